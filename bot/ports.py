"""Ports the core drives: each edge supplies a Messenger; the core never sees an SDK."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.domain import Platform
from bot.messages import Form, Message, MessageRef


class DeliveryError(Exception):
    """A platform refused a message. `permanent` errors are not worth retrying."""

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass(frozen=True)
class FormTrigger:
    """What a platform needs to open a form for a person (Slack's trigger id, or where to post a card)."""

    user_id: str
    conversation_id: str
    trigger_id: str | None = None


@dataclass(frozen=True)
class Member:
    """Someone in the workspace's directory, as a campaign needs them: a bot or a person, still
    active or not, and their time zone and language when the platform tells."""

    user_id: str
    is_bot: bool = False
    active: bool = True
    timezone: str | None = None
    locale: str | None = None


class Messenger(Protocol):
    platform: Platform

    async def post(
        self, channel_id: str, message: Message, *, thread_id: str | None = None, key: str | None = None
    ) -> MessageRef:
        """Post to a channel (or into a thread of it) as the bot; `key` marks it for find_sent."""
        ...

    async def dm(self, user_id: str, message: Message, *, key: str | None = None) -> MessageRef:
        """Send a direct message to a person."""
        ...

    async def find_sent(
        self, kind: str, target: str, key: str, *, thread_id: str | None = None
    ) -> MessageRef | None:
        """The message sent earlier with this key, if the platform can tell; None if not found or unknowable.

        The outbox asks before re-sending a message whose worker died mid-send."""
        ...

    async def update(self, ref: MessageRef, message: Message) -> None:
        """Replace a message the bot sent earlier."""
        ...

    async def open_form(self, trigger: FormTrigger, form: Form) -> None:
        """Ask a person to fill in a form (a modal in Slack, a card in Teams, prompts in the console)."""
        ...

    async def members(self, channel_id: str) -> list[str]:
        """The user ids of a channel's members (a Teams team's), every page of them, bots included."""
        ...

    async def directory(self) -> list[Member]:
        """Everyone in the workspace in one bulk read, with bot flags and time zones; an empty list
        where the platform cannot list people (time zones then come from what PeopleService stored)."""

    async def permalink(self, ref: MessageRef) -> str | None:
        """A link that opens a sent message (Slack's chat.getPermalink, a Teams deep link)."""
        ...


class LLM(Protocol):
    """A chat model behind an OpenAI-compatible API (`bot.ai`); raises `bot.ai.LLMError` when it
    cannot answer (timeout, HTTP error, malformed reply), so callers handle one exception."""

    async def complete(self, messages: list[dict[str, str]]) -> str:
        """The assistant's reply to chat messages ({"role": …, "content": …})."""
        ...


class Messengers:
    """The Messenger of each live platform, looked up by the platform an event came from."""

    def __init__(self) -> None:
        self._by_platform: dict[Platform, Messenger] = {}

    def register(self, messenger: Messenger) -> None:
        self._by_platform[messenger.platform] = messenger

    def get(self, platform: Platform) -> Messenger:
        try:
            return self._by_platform[platform]
        except KeyError:
            raise DeliveryError(f"{platform} is not connected", permanent=True) from None

    def __contains__(self, platform: Platform) -> bool:
        return platform in self._by_platform
