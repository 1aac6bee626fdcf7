"""The knowledge base: answered questions and curated entries, searched for instant answers (`kb …`).

Question-derived entries keep the question's id and Q-number only, never anything about who asked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.clock import Clock
from bot.context import CommandContext, after_sub
from bot.errors import InputError
from bot.messages import Message, Reply, Section
from bot.text import Text, UserText, shorten
from storage import knowledge
from storage.engine import Database
from storage.models import KnowledgeEntry

log = logging.getLogger(__name__)

QUESTION_LIMIT = 500
ANSWER_LIMIT = 3000
SEARCH_LIMIT = 500  # characters of a `kb search`
BROWSE_MIN_SCORE = 0.25  # `kb search`: the reader judges the matches, so weaker ones are shown too
PAGE = 10
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL; a longer number is no entry


@dataclass  # not frozen: `bot.questions.answering.Match` declares plain (settable) attributes
class KnowledgeMatch:
    entry_id: int
    question: str
    answer: str
    score: float  # 0..1, higher is better
    question_number: int | None  # the Q-number when the entry came from an answered question


def _match(found: knowledge.Found) -> KnowledgeMatch:
    entry = found.entry
    assert entry.id is not None
    return KnowledgeMatch(entry.id, entry.question, entry.answer, found.score, entry.question_number)


class KnowledgeService:
    def __init__(self, *, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    # --- the contract other features call ------------------------------------------------------

    async def search(
        self, words: str, *, limit: int = 3, min_score: float | None = None
    ) -> list[KnowledgeMatch]:
        """The best entries for a text, best first; only those scoring at least `min_score`
        (default: the threshold "Asked before:" uses, chosen on the labelled benchmark set)."""
        threshold = knowledge.DEFAULT_MIN_SCORE if min_score is None else min_score
        async with self._db.session() as session:
            found = await knowledge.search(session, words, limit=limit, min_score=threshold)
        return [_match(item) for item in found]

    async def remember_answer(
        self, *, question_id: int, question_number: int, question: str, answer: str, locale: str
    ) -> None:
        """An answered (or newly accepted) question becomes, or refreshes, its one entry."""
        async with self._db.session() as session:
            await knowledge.remember_question(
                session,
                question_id=question_id,
                question_number=question_number,
                question=question,
                answer=answer,
                locale=locale,
                now=self._clock.now(),
            )
        log.info("knowledge entry remembered", extra={"question_id": question_id})

    async def forget_question(self, question_id: int) -> None:
        """A re-opened question leaves the knowledge base until it is answered again."""
        async with self._db.session() as session:
            removed = await knowledge.forget_question(session, question_id)
        if removed:
            log.info("knowledge entry forgotten", extra={"question_id": question_id})

    # --- the kb subcommands (declared in bot/knowledge/feature.py) ------------------------------

    async def add(self, ctx: CommandContext) -> Reply:
        """`kb add <question> | <answer>`."""
        return await self._add(ctx, after_sub(ctx))

    async def search_command(self, ctx: CommandContext) -> Reply:
        """`kb search <words>`."""
        return await self._search(ctx, after_sub(ctx))

    async def list_command(self, ctx: CommandContext) -> Reply:
        """`kb list [page]`."""
        return await self._list(ctx, after_sub(ctx))

    async def remove(self, ctx: CommandContext) -> Reply:
        """`kb remove <id>`."""
        return await self._remove(ctx, after_sub(ctx))

    async def _add(self, ctx: CommandContext, rest: str) -> Reply:
        if "|" not in rest:
            return ctx.reply(ctx.t("kb.add.no_separator"))
        question, _, answer = (part.strip() for part in rest.partition("|"))
        if not question or not answer:
            return ctx.reply(ctx.t("kb.add.empty"))
        if len(question) > QUESTION_LIMIT or len(answer) > ANSWER_LIMIT:
            return ctx.reply(ctx.t("kb.add.too_long", question=QUESTION_LIMIT, answer=ANSWER_LIMIT))
        async with self._db.session() as session:
            entry_id = await knowledge.add_curated(
                session, question=question, answer=answer, locale=ctx.locale, now=self._clock.now()
            )
        log.info("knowledge entry added", extra={"entry_id": entry_id})
        return ctx.reply(ctx.t("kb.add.done", id=entry_id))

    async def _search(self, ctx: CommandContext, words: str) -> Reply:
        if not words:
            return ctx.reply(ctx.t("kb.search.empty"))
        if len(words) > SEARCH_LIMIT:
            return ctx.reply(ctx.t("kb.search.too_long", limit=SEARCH_LIMIT))
        matches = await self.search(words, limit=3, min_score=BROWSE_MIN_SCORE)
        if not matches:
            return ctx.reply(ctx.t("kb.search.none", words=UserText(shorten(words, 100))))
        lines = [ctx.t("kb.search.title", words=UserText(shorten(words, 100)))]
        for match in matches:
            lines.append(self._line(ctx, match.entry_id, match.question_number, match.question))
            lines.append(ctx.t("kb.search.answer", answer=UserText(shorten(match.answer, 600))))
        return ctx.reply(Text.join(lines))

    async def _list(self, ctx: CommandContext, rest: str) -> Reply:
        page = 1
        if rest:
            if not (rest.isascii() and rest.isdigit()) or not 1 <= int(rest) <= MAX_ID:
                raise InputError("cmd.kb.list.usage")
            page = int(rest)
        async with self._db.session() as session:
            total = await knowledge.count(session)
            shown = await knowledge.entries(session, offset=(page - 1) * PAGE, limit=PAGE)
        if not shown:
            return ctx.reply(ctx.t("kb.list.empty" if total == 0 else "kb.list.past_end", total=total))
        pages = (total + PAGE - 1) // PAGE
        lines = [self._line(ctx, entry.id or 0, entry.question_number, entry.question) for entry in shown]
        return Reply(
            Message(
                (
                    Section(ctx.t("kb.list.title", total=total, page=page, pages=pages)),
                    Section(Text.join(lines)),
                )
            )
        )

    async def _remove(self, ctx: CommandContext, rest: str) -> Reply:
        if not rest.lstrip("#").isascii() or not rest.lstrip("#").isdigit():
            return ctx.reply(ctx.t("kb.remove.bad_id"))
        entry_id = int(rest.lstrip("#"))
        if entry_id > MAX_ID:
            return ctx.reply(ctx.t("kb.remove.unknown", id=entry_id))
        async with self._db.session() as session:
            removed: KnowledgeEntry | None = await knowledge.remove(session, entry_id)
        if removed is None:
            return ctx.reply(ctx.t("kb.remove.unknown", id=entry_id))
        log.info("knowledge entry removed", extra={"entry_id": entry_id})
        return ctx.reply(
            ctx.t("kb.remove.done", id=entry_id, question=UserText(shorten(removed.question, 100)))
        )

    @staticmethod
    def _line(ctx: CommandContext, entry_id: int, number: int | None, question: str) -> Text:
        text = UserText(shorten(question, 200))
        if number is None:
            return ctx.t("kb.line.curated", id=entry_id, question=text)
        return ctx.t("kb.line.question", id=entry_id, number=number, question=text)
