"""What campaigns need from the learning feature (LearningService and its Curriculum): lesson DMs
with their buttons, each person's next lesson, who is enrolled, which lessons and tracks exist."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from bot.domain import Platform
from bot.messages import Message

if TYPE_CHECKING:
    from bot.learning.service import LearningService


class Lessons(Protocol):
    def has_lesson(self, lesson_id: str) -> bool: ...

    def has_track(self, name: str) -> bool: ...

    def functions(self) -> tuple[str, ...]:
        """The job functions learners choose from (sales, finance, …)."""
        ...

    async def lesson_message(
        self, *, platform: Platform, user_id: str, lesson_id: str, locale: str
    ) -> Message:
        """The lesson DM with its buttons, exactly as the weekly nudge sends it."""
        ...

    async def next_lesson_id(
        self, *, platform: Platform, user_id: str, track: str | None = None
    ) -> str | None: ...

    async def enrolled(
        self, *, platform: Platform, track: str | None = None, function: str | None = None
    ) -> list[str]:
        """User ids, excluding people who stopped or paused."""
        ...


class FromLearning:
    """The learning feature as campaigns see it: LearningService's contract plus its curriculum's names."""

    def __init__(self, service: LearningService) -> None:
        self._service = service

    def has_lesson(self, lesson_id: str) -> bool:
        return self._service.curriculum.lesson(lesson_id, "en") is not None

    def has_track(self, name: str) -> bool:
        return name in self._service.curriculum.tracks()

    def functions(self) -> tuple[str, ...]:
        from bot.learning.inputs import CHOOSABLE_FUNCTIONS

        return tuple(CHOOSABLE_FUNCTIONS)

    async def lesson_message(
        self, *, platform: Platform, user_id: str, lesson_id: str, locale: str
    ) -> Message:
        return await self._service.lesson_message(
            platform=platform, user_id=user_id, lesson_id=lesson_id, locale=locale
        )

    async def next_lesson_id(
        self, *, platform: Platform, user_id: str, track: str | None = None
    ) -> str | None:
        return await self._service.next_lesson_id(platform=platform, user_id=user_id, track=track)

    async def enrolled(
        self, *, platform: Platform, track: str | None = None, function: str | None = None
    ) -> list[str]:
        return await self._service.enrolled(platform=platform, track=track, function=function)
