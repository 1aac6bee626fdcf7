"""Slack's Web API rate tiers, applied before each call so bursts of lookups stay within them.

Tiers as Slack publishes them (calls per minute per workspace): Tier 1 ≈ 1+, Tier 2 ≈ 20+,
Tier 3 ≈ 50+, Tier 4 ≈ 100+. chat.postMessage is not here: its "special" limit (one message per
second per channel) is the outbox limiter's job, which also sees every 429.
"""

from __future__ import annotations

import asyncio
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.delivery.limits import TokenBucket

PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}

METHOD_TIERS = {
    "apps.connections.open": 1,
    "users.list": 2,
    "conversations.list": 2,
    "conversations.open": 3,
    "conversations.history": 3,
    "conversations.replies": 3,
    "conversations.info": 3,
    "chat.getPermalink": 3,
    "files.upload": 2,
    "files.uploadV2": 2,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
    "users.info": 4,
    "conversations.members": 4,
    "views.open": 4,
    "views.update": 4,
    "views.publish": 4,
    "reactions.add": 3,
}


def bucket_for(method: str) -> TokenBucket | None:
    tier = METHOD_TIERS.get(method) or (2 if method.startswith("files.") else None)
    if tier is None:
        return None
    per_minute = PER_MINUTE[tier]
    return TokenBucket(rate=per_minute / 60.0, burst=max(1, per_minute // 4))


class TieredWebClient(AsyncWebClient):
    """An AsyncWebClient that waits for its method's tier before calling, one bucket per method."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._buckets: dict[str, TokenBucket | None] = {}

    def wait_for(self, method: str, now: float) -> float:
        """Seconds until `method` may be called (and the call is counted when it is 0)."""
        if method not in self._buckets:
            self._buckets[method] = bucket_for(method)
        bucket = self._buckets[method]
        if bucket is None:
            return 0.0
        wait = bucket.delay(now)
        if wait == 0:
            bucket.take(now)
        return wait

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        loop = asyncio.get_running_loop()
        while (wait := self.wait_for(api_method, loop.time())) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)
        return await super().api_call(api_method, **kwargs)
