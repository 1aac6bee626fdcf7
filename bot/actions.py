"""The action table: which service answers a button press or a form, found by the id's prefix.

Buttons and forms carry ids like ``qa.vote`` or ``learn.done``; the part before the first dot
names the feature that registered it, so every edge hands presses to the core unchanged and a
reader finds every handler in one place, as with commands.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.events import ButtonPress, FormSubmission
from bot.i18n import Catalog
from bot.identity import Identity
from bot.messages import Message, Reply
from bot.text import Text


@dataclass(frozen=True)
class ActionContext:
    """What a button or form handler gets: the presser, the catalog in their language, the event."""

    identity: Identity
    catalog: Catalog
    prefix: str  # how commands are typed on this platform: "/champ " in Slack, "" elsewhere

    @property
    def locale(self) -> str:
        return self.identity.locale

    def t(self, key: str, **params: object) -> Text:
        return self.catalog.text(self.locale, key, **params)

    def s(self, key: str, **params: object) -> str:
        return self.catalog.string(self.locale, key, **params)

    def reply(self, *texts: Text, replace: bool = False) -> Reply:
        return Reply(Message.of(*texts), private=True, replace=replace)


ButtonHandler = Callable[[ActionContext, ButtonPress], Awaitable[Reply | None]]
FormHandler = Callable[[ActionContext, FormSubmission], Awaitable[Reply | None]]


def feature_of(action_id: str) -> str:
    """``"qa.vote"`` → ``"qa"``: the feature that owns a button or form id."""
    return action_id.split(".", 1)[0]


class ActionTable:
    def __init__(self) -> None:
        self._buttons: dict[str, ButtonHandler] = {}
        self._forms: dict[str, FormHandler] = {}

    def button(self, feature: str, handler: ButtonHandler) -> None:
        if feature in self._buttons:
            raise ValueError(f"buttons of {feature!r} registered twice")
        self._buttons[feature] = handler

    def form(self, feature: str, handler: FormHandler) -> None:
        if feature in self._forms:
            raise ValueError(f"forms of {feature!r} registered twice")
        self._forms[feature] = handler

    def for_button(self, action_id: str) -> ButtonHandler | None:
        return self._buttons.get(feature_of(action_id))

    def for_form(self, form_id: str) -> FormHandler | None:
        return self._forms.get(feature_of(form_id))
