"""Where a new question goes after it is stored: the channel, the moderation queue, or the next session.

The ask flow calls `admit` instead of publishing directly, and `receipt_status` when the asker
presses "Show my question"; everything about sessions and moderation stays on this side.
"""

from __future__ import annotations

import logging

from bot.actions import ActionContext
from bot.domain import ChannelPurpose, Platform
from bot.i18n import Catalog
from bot.messages import Reply
from bot.questions.board import QuestionBoard
from bot.questions.loop import Loop
from bot.questions.moderation import QUEUED, Moderation
from bot.questions.sessions import QuestionHours
from bot.text import Text
from storage import question_hours as store
from storage.engine import Database
from storage.models import Question

log = logging.getLogger(__name__)

PUBLISHED, HELD = "published", "held"


class QuestionGate:
    def __init__(
        self,
        *,
        database: Database,
        board: QuestionBoard,
        hours: QuestionHours,
        moderation: Moderation,
        loop: Loop,
    ) -> None:
        self._db = database
        self._board = board
        self._hours = hours
        self._moderation = moderation
        self._loop = loop

    async def admit(self, question: Question, questions_channel: str) -> str:
        """Publish, hold for moderation, or queue a stored question; returns which."""
        assert question.id is not None
        platform = Platform(question.platform)
        if await self._hours.moderated(platform):
            champions = await self._board.binding(platform, ChannelPurpose.CHAMPIONS)
            if champions is not None:
                await self._moderation.hold(question, champions.channel_id)
                return HELD
            log.warning("pre-moderation is on but no champions channel is bound; question posted unreviewed")
        if not await self._hours.accepting(platform):
            async with self._db.session() as session:
                await store.move(session, question_id=question.id, to=QUEUED, only_from=("open",))
            question.status = QUEUED
            return QUEUED
        await self._board.publish(question, questions_channel)
        await self._loop.suggest_same(question)
        return PUBLISHED

    def receipt_note(self, catalog: Catalog, locale: str, route: str, number: int) -> Text | None:
        """The receipt's first line when the question does not go straight out."""
        if route == HELD:
            return catalog.text(locale, "qamod.note_held", number=number)
        if route == QUEUED:
            return catalog.text(locale, "qamod.note_queued", number=number)
        return None

    async def receipt_status(self, ctx: ActionContext, question: Question) -> Reply | None:
        return await self._moderation.receipt_status(ctx, question)
