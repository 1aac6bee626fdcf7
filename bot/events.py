"""Neutral inbound events: what every edge turns its platform's payloads into."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain import Actor, Conversation


@dataclass(eq=False)
class Delivery:
    """The platform's id for a request it may send again (Slack retries an event it thinks we
    missed). The first look-up of the speaker claims it, in the same transaction, so a request
    costs one round of BEGIN and COMMIT instead of two; a delivery claimed before, here or on
    another replica, stops the work there with `AlreadyHandled`."""

    delivery_id: str
    claimed: bool = False  # by this request, so a second look-up in the same request goes through


class AlreadyHandled(Exception):
    """This delivery's work ran before. Its acknowledgement is already out; the edge drops it."""


@dataclass(frozen=True)
class Origin:
    """Who spoke and where, plus what the edge needs to talk there again later."""

    actor: Actor
    conversation: Conversation
    reference: str | None = None  # opaque, platform-specific (a Teams conversation reference as JSON)
    trigger_id: str | None = None  # lets a service open a form in reply (Slack); never stored
    delivery: Delivery | None = None  # set when the platform retries this request


@dataclass(frozen=True)
class CommandEvent:
    """`/champ <text>` in Slack, or the same words typed to the bot anywhere."""

    origin: Origin
    text: str


@dataclass(frozen=True)
class ButtonPress:
    origin: Origin
    action_id: str
    value: str = ""
    message_id: str | None = None


@dataclass(frozen=True)
class FormSubmission:
    origin: Origin
    form_id: str
    values: dict[str, str] = field(default_factory=dict)
    metadata: str = ""


@dataclass(frozen=True)
class MemberJoined:
    """A person (or the bot itself) joined a channel or installed the app."""

    origin: Origin
    is_bot: bool = False


@dataclass(frozen=True)
class ThreadReply:
    """A person replied in a thread of a channel the bot is in (`origin.conversation.thread_id` is
    the parent message): a champion's answer when the parent is a question, else just conversation."""

    origin: Origin
    text: str
    message_id: str | None = None


InboundEvent = CommandEvent | ButtonPress | FormSubmission | MemberJoined | ThreadReply
