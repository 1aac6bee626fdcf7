"""Closing the loop: "Helpful? yes / no" under answers, and "same as Q-12?" for repeated questions.

A helpful tap is counted once per person per question with the same keyed daily hash as a +1
(an `AnonVote` in scope ``helpful:<id>``); only the totals stay on the question.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

from bot.actions import ActionContext
from bot.delivery.outbox import OutboxService, Outgoing
from bot.domain import ChannelPurpose, Platform
from bot.events import ButtonPress
from bot.i18n import Catalog
from bot.messages import Actions, Button, Message, Note, Reply, Section
from bot.questions.anonymity import Anonymity
from bot.text import Text, UserText, shorten
from storage import channels, questions
from storage import question_hours as store
from storage.engine import Database
from storage.models import Question

log = logging.getLogger(__name__)

SAME_THRESHOLD = 0.55
MIN_PEOPLE = 5  # totals over fewer people are not shown

_WORD = re.compile(r"[^\W_]+")
# Words that say little about what a question is about, in both catalog languages.
_STOP = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "should",
        "so",
        "that",
        "the",
        "their",
        "there",
        "this",
        "to",
        "use",
        "using",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "af",
        "de",
        "den",
        "der",
        "det",
        "du",
        "eller",
        "en",
        "er",
        "et",
        "fra",
        "har",
        "hvad",
        "hvem",
        "hvis",
        "hvor",
        "hvordan",
        "hvorfor",
        "jeg",
        "kan",
        "man",
        "med",
        "mig",
        "min",
        "må",
        "og",
        "om",
        "os",
        "på",
        "skal",
        "som",
        "til",
        "vi",
        "vil",
    }
)


def _stem(word: str) -> str:
    """A crude suffix trim so "models"/"model" and "reglerne"/"regler" meet; enough for a hint."""
    for suffix in ("erne", "ene", "ing", "ers", "er", "es", "en", "s", "e"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def keywords(text: str) -> frozenset[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return frozenset(_stem(w) for w in _WORD.findall(folded) if w not in _STOP and len(w) > 1)


def similarity(a: str, b: str) -> float:
    """Overlap of the content words of two questions, 0..1 (Dice coefficient)."""
    left, right = keywords(a), keywords(b)
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))


def best_match(text: str, candidates: list[Question], threshold: float = SAME_THRESHOLD) -> Question | None:
    scored = [(similarity(text, c.text), c) for c in candidates]
    scored = [item for item in scored if item[0] >= threshold]
    return max(scored, key=lambda item: (item[0], -item[1].number), default=(0.0, None))[1]


def helpful_actions(catalog: Catalog, locale: str, question_id: int) -> Actions:
    """The one-tap "Helpful? yes / no" under a published answer (the question renderer adds it)."""
    return Actions(
        (
            Button(catalog.string(locale, "qaloop.helpful_yes"), "qahours.helpful", f"{question_id}:yes"),
            Button(catalog.string(locale, "qaloop.helpful_no"), "qahours.helpful", f"{question_id}:no"),
        )
    )


@dataclass(frozen=True)
class HelpfulShare:
    yes: int
    no: int

    @property
    def share(self) -> float | None:
        """Share of "yes"; None below five taps (small groups stay hidden)."""
        total = self.yes + self.no
        return self.yes / total if total >= MIN_PEOPLE else None


class Loop:
    def __init__(
        self,
        *,
        database: Database,
        outbox: OutboxService,
        anonymity: Anonymity,
        catalog: Catalog,
        locale: str,
    ) -> None:
        self._db = database
        self._outbox = outbox
        self._anonymity = anonymity
        self._catalog = catalog
        self._locale = locale

    async def helpful(self, ctx: ActionContext, press: ButtonPress) -> Reply:
        """Count one tap per person per question; a repeat tap is thanked, not counted."""
        number, _, answer = press.value.partition(":")
        if not number.isdigit() or answer not in {"yes", "no"}:
            return ctx.reply(ctx.t("button.expired"))
        question_id = int(number)
        async with self._db.session() as session:
            question = await questions.get_question(session, question_id)
        if question is None or question.platform != ctx.identity.platform.value:
            return ctx.reply(ctx.t("button.expired"))
        day, digest = await self._anonymity.digest(
            f"helpful:{question_id}", question.platform, ctx.identity.user_id
        )
        async with self._db.session() as session:
            if not await questions.add_vote(session, scope=f"helpful:{question_id}", digest=digest, day=day):
                return ctx.reply(ctx.t("qaloop.helpful_already", number=question.number))
            await store.count_feedback(session, question_id=question_id, helpful=answer == "yes")
        return ctx.reply(ctx.t("qaloop.helpful_thanks", number=question.number))

    async def share(self, platform: Platform) -> HelpfulShare:
        async with self._db.session() as session:
            yes, no = await store.feedback_totals(session, platform=platform.value)
        return HelpfulShare(yes, no)

    async def suggest_same(self, question: Question) -> Question | None:
        """Show champions "same as Q-12?" with Merge when a new question repeats an open one."""
        assert question.id is not None
        async with self._db.session() as session:
            candidates = await store.recent_open(session, platform=question.platform, except_id=question.id)
            binding = await channels.binding_for(
                session, platform=question.platform, purpose=ChannelPurpose.CHAMPIONS.value
            )
        match = best_match(question.text, [c for c in candidates if c.number < question.number])
        if match is None or binding is None:
            return match
        assert match.id is not None
        t = self._catalog
        card = Message(
            (
                Section(t.text(self._locale, "qaloop.same_title", new=question.number, old=match.number)),
                Note(Text.of(UserText(shorten(question.text, 300)))),
                Note(Text.of(UserText(shorten(match.text, 300)))),
                Actions(
                    (
                        Button(
                            t.string(self._locale, "qaloop.merge", new=question.number, old=match.number),
                            "qamod.merge",
                            f"{question.id}:{match.id}",
                            "primary",
                        ),
                    )
                ),
            )
        )
        key = f"qaloop:same:{question.id}:{match.id}"
        platform = Platform(question.platform)
        # Held back like the question itself, so the champions' card tells nobody when it was asked.
        await self._outbox.enqueue(
            [Outgoing(key, platform, "post", binding.channel_id, card, not_before=question.visible_at)]
        )
        return match
