"""The action table: which service answers a button press or a form, found by the id's prefix.

Buttons and forms carry ids like ``qa.vote`` or ``learn.done``; a feature declares the ids it
answers (``qa.vote`` exactly, or ``qa`` for every ``qa.…``) with the role each needs, so every
edge hands presses to the core unchanged and the core refuses roles in one place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.domain import Role
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
H = TypeVar("H")


def feature_of(action_id: str) -> str:
    """``"qa.vote"`` → ``"qa"``: the feature that owns a button or form id."""
    return action_id.split(".", 1)[0]


@dataclass(frozen=True)
class Route(Generic[H]):
    """Who may press (or submit) what a handler answers, and what the others are told."""

    action_id: str
    role: Role
    handler: H
    refusal: str  # catalog key


class ActionTable:
    """Buttons and forms by declared id; an id also covers every id under it (``qa`` covers ``qa.x``)."""

    def __init__(self) -> None:
        self._buttons: dict[str, Route[ButtonHandler]] = {}
        self._forms: dict[str, Route[FormHandler]] = {}

    def button(self, action_id: str, role: Role, handler: ButtonHandler, refusal: str) -> None:
        if action_id in self._buttons:
            raise ValueError(f"button {action_id!r} registered twice")
        self._buttons[action_id] = Route(action_id, role, handler, refusal)

    def form(self, form_id: str, role: Role, handler: FormHandler, refusal: str) -> None:
        if form_id in self._forms:
            raise ValueError(f"form {form_id!r} registered twice")
        self._forms[form_id] = Route(form_id, role, handler, refusal)

    def for_button(self, action_id: str) -> Route[ButtonHandler] | None:
        return _longest(self._buttons, action_id)

    def for_form(self, form_id: str) -> Route[FormHandler] | None:
        return _longest(self._forms, form_id)

    def buttons(self) -> list[Route[ButtonHandler]]:
        return list(self._buttons.values())

    def forms(self) -> list[Route[FormHandler]]:
        return list(self._forms.values())


def _longest(routes: dict[str, Route[H]], action_id: str) -> Route[H] | None:
    candidate = action_id
    while candidate:
        route = routes.get(candidate)
        if route is not None:
            return route
        candidate = candidate.rpartition(".")[0]
    return None
