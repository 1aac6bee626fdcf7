"""Test support for the question flows: wait until the outbox has sent (and hooked) a question's messages."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bot.delivery.outbox import OutboxService
from bot.messages import MessageRef
from tests.fakes import FakeSlackApi


class SentKeys:
    """Records every sent outbox key under a prefix, after the core's own after-send hooks ran."""

    def __init__(self, outbox: OutboxService, prefix: str = "qa:") -> None:
        self.keys: list[str] = []
        self.refs: dict[str, MessageRef] = {}
        self._condition = asyncio.Condition()
        outbox.on_sent(prefix, self._hook)

    async def _hook(self, key: str, ref: MessageRef) -> None:
        async with self._condition:
            self.keys.append(key)
            self.refs[key] = ref
            self._condition.notify_all()

    async def wait(self, prefix: str, count: int = 1, timeout: float = 10.0) -> list[str]:  # noqa: ASYNC109
        """Wait until `count` keys starting with `prefix` were sent; return them in order."""

        def matching() -> list[str]:
            return [key for key in self.keys if key.startswith(prefix)]

        async with self._condition:
            await asyncio.wait_for(self._condition.wait_for(lambda: len(matching()) >= count), timeout)
        return matching()


async def dm_saying(slack: FakeSlackApi, user: str, *needles: str) -> dict[str, Any]:
    """Wait for the bot's direct message to `user` that contains one of `needles` (other messages,
    such as outbox notices, may arrive in between)."""

    def found() -> dict[str, Any] | None:
        for call in slack.calls_to("chat.postMessage"):
            if call.args.get("channel") == user and any(
                n in json.dumps(call.args, ensure_ascii=False) for n in needles
            ):
                return dict(call.args)
        return None

    for _ in range(20):
        if (hit := found()) is not None:
            return hit
        await slack.wait_for("chat.postMessage", len(slack.calls_to("chat.postMessage")) + 1)
    raise AssertionError(f"no direct message to {user} saying {needles}")
