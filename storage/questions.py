"""Queries for anonymous questions: numbering, receipts' tokens, votes, quotas, answers and drafts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    AiDraft,
    AnonQuota,
    AnonVote,
    DailySecret,
    OutboxMessage,
    Question,
    QuestionAnswer,
    QuestionCounter,
    QuestionFollowUp,
    QuestionToken,
)
from storage.upsert import insert_if_absent

OPEN, ANSWERED, ACCEPTED = "open", "answered", "accepted"
QUESTION_KEY = "qa:q:"  # outbox key prefix of a question's post: qa:q:<question id>


async def next_number(session: AsyncSession, *, platform: str) -> int:
    """The next Q-number of a platform. One UPDATE … RETURNING on a counter row: PostgreSQL locks the
    row and SQLite the file, so two replicas asking at once never get the same number."""
    await insert_if_absent(
        session, QuestionCounter, {"platform": platform, "last_number": 0}, key=("platform",)
    )
    result = await (await session.connection()).execute(
        update(QuestionCounter)
        .where(col(QuestionCounter.platform) == platform)
        .values(last_number=QuestionCounter.last_number + 1)
        .returning(col(QuestionCounter.last_number))
    )
    return int(result.scalar_one())


async def create_question(
    session: AsyncSession,
    *,
    platform: str,
    number: int,
    text: str,
    locale: str,
    visible_at: datetime,
    status: str = OPEN,
) -> Question:
    question = Question(
        platform=platform, number=number, text=text, locale=locale, status=status, visible_at=visible_at
    )
    session.add(question)
    await session.flush()
    return question


async def get_question(session: AsyncSession, question_id: int) -> Question | None:
    return await session.get(Question, question_id)


async def by_message(
    session: AsyncSession, *, platform: str, channel_id: str, message_id: str
) -> Question | None:
    """The question posted as this message (a thread reply's parent), if it is one."""
    result = await session.exec(
        select(Question).where(
            Question.platform == platform,
            Question.channel_id == channel_id,
            Question.message_id == message_id,
        )
    )
    return result.first()


async def posted_question_id(
    session: AsyncSession, *, platform: str, channel_id: str, message_id: str
) -> int | None:
    """The question whose post the outbox recorded at this message, for when the after-send hook
    that copies the location onto the question never ran (its replica died right after sending)."""
    result = await session.exec(
        select(OutboxMessage.idempotency_key).where(
            OutboxMessage.platform == platform,
            OutboxMessage.channel_id == channel_id,
            OutboxMessage.message_id == message_id,
            OutboxMessage.state == "sent",
            col(OutboxMessage.idempotency_key).startswith(QUESTION_KEY),
        )
    )
    key = result.first()
    rest = key[len(QUESTION_KEY) :] if key else ""
    return int(rest) if rest.isdigit() else None


async def set_location(session: AsyncSession, *, question_id: int, channel_id: str, message_id: str) -> None:
    await (await session.connection()).execute(
        update(Question)
        .where(col(Question.id) == question_id)
        .values(channel_id=channel_id, message_id=message_id)
    )


async def set_status(
    session: AsyncSession, *, question_id: int, status: str, only_from: tuple[str, ...] = ()
) -> bool:
    """Change a question's status; with `only_from`, only when it is in one of those (compare-and-set)."""
    statement = update(Question).where(col(Question.id) == question_id)
    if only_from:
        statement = statement.where(col(Question.status).in_(only_from))
    result = await (await session.connection()).execute(
        statement.values(status=status).returning(col(Question.id))
    )
    return result.first() is not None


# --- capability tokens -----------------------------------------------------------------------


async def add_token(session: AsyncSession, *, token_hash: str, question_id: int) -> None:
    session.add(QuestionToken(token_hash=token_hash, question_id=question_id))
    await session.flush()


async def question_for_token(session: AsyncSession, *, token_hash: str) -> Question | None:
    result = await session.exec(
        select(Question)
        .join(QuestionToken, col(QuestionToken.question_id) == col(Question.id))
        .where(QuestionToken.token_hash == token_hash)
    )
    return result.first()


async def add_followup(
    session: AsyncSession, *, question_id: int, text: str, visible_at: datetime
) -> QuestionFollowUp:
    followup = QuestionFollowUp(question_id=question_id, text=text, visible_at=visible_at)
    session.add(followup)
    await session.flush()
    return followup


# --- keyed-hash votes and quotas -------------------------------------------------------------


async def add_vote(session: AsyncSession, *, scope: str, digest: str, day: str) -> bool:
    """Record one keyed hash for `scope`; False when that hash voted there already."""
    return await insert_if_absent(
        session, AnonVote, {"scope": scope, "digest": digest, "day": day}, key=("scope", "digest")
    )


async def bump_votes(session: AsyncSession, *, question_id: int) -> int:
    result = await (await session.connection()).execute(
        update(Question)
        .where(col(Question.id) == question_id)
        .values(votes=Question.votes + 1)
        .returning(col(Question.votes))
    )
    return int(result.scalar_one())


async def take_quota(session: AsyncSession, *, day: str, digest: str, limit: int) -> bool:
    """Use one of today's `limit` actions for this keyed hash; False when all are used.

    The UPDATE only succeeds below the limit, so concurrent asks cannot overshoot it."""
    await insert_if_absent(
        session, AnonQuota, {"day": day, "digest": digest, "used": 0}, key=("day", "digest")
    )
    result = await (await session.connection()).execute(
        update(AnonQuota)
        .where(col(AnonQuota.day) == day, col(AnonQuota.digest) == digest, col(AnonQuota.used) < limit)
        .values(used=AnonQuota.used + 1)
        .returning(col(AnonQuota.used))
    )
    return result.first() is not None


async def shared_secret(session: AsyncSession, *, day: str, candidate: str) -> str:
    """The day's secret shared by replicas: the first to ask stores its candidate, all read that one."""
    await insert_if_absent(session, DailySecret, {"day": day, "secret": candidate}, key=("day",))
    found = await session.get(DailySecret, day)
    assert found is not None
    return found.secret


async def forget_before(session: AsyncSession, *, day: str) -> None:
    """Delete every secret, vote hash and quota of days before `day`: once gone, no hash can be recomputed."""
    connection = await session.connection()
    await connection.execute(delete(DailySecret).where(col(DailySecret.day) < day))
    await connection.execute(delete(AnonVote).where(col(AnonVote.day) < day))
    await connection.execute(delete(AnonQuota).where(col(AnonQuota.day) < day))


# --- answers and drafts ----------------------------------------------------------------------


async def add_answer(
    session: AsyncSession,
    *,
    question_id: int,
    kind: str,
    text: str,
    author_id: str,
    author_name: str,
    now: datetime,
    message_id: str | None = None,
) -> QuestionAnswer:
    answer = QuestionAnswer(
        question_id=question_id,
        kind=kind,
        text=text,
        author_id=author_id,
        author_name=author_name,
        message_id=message_id,
        created_at=now,
    )
    session.add(answer)
    await session.flush()
    return answer


async def answers_for(session: AsyncSession, *, question_id: int) -> list[QuestionAnswer]:
    result = await session.exec(
        select(QuestionAnswer)
        .where(QuestionAnswer.question_id == question_id)
        .order_by(col(QuestionAnswer.id))
    )
    return list(result.all())


async def set_accepted(session: AsyncSession, *, question_id: int, answer_id: int | None) -> None:
    """Mark one answer accepted (and no other); None clears the mark."""
    connection = await session.connection()
    await connection.execute(
        update(QuestionAnswer).where(col(QuestionAnswer.question_id) == question_id).values(accepted=False)
    )
    if answer_id is not None:
        await connection.execute(
            update(QuestionAnswer).where(col(QuestionAnswer.id) == answer_id).values(accepted=True)
        )


async def add_draft(session: AsyncSession, *, question_id: int, text: str, now: datetime) -> AiDraft:
    draft = AiDraft(question_id=question_id, text=text, created_at=now)
    session.add(draft)
    await session.flush()
    return draft


async def has_draft(session: AsyncSession, *, question_id: int) -> bool:
    result = await session.exec(select(AiDraft.id).where(AiDraft.question_id == question_id).limit(1))
    return result.first() is not None


async def get_draft(session: AsyncSession, draft_id: int) -> AiDraft | None:
    return await session.get(AiDraft, draft_id)


async def settle_draft(session: AsyncSession, *, draft_id: int, state: str) -> bool:
    """pending → published/discarded, once: a second champion pressing the same button gets False."""
    result = await (await session.connection()).execute(
        update(AiDraft)
        .where(col(AiDraft.id) == draft_id, col(AiDraft.state) == "pending")
        .values(state=state)
        .returning(col(AiDraft.id))
    )
    return result.first() is not None
