"""Campaign queries: the rows the tick fans out, their occurrences, and cancelling what is pending."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, cast, exists, literal, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import outbox
from storage.models import Campaign, CampaignOccurrence, LearningEnrolment, OutboxMessage, Person
from storage.upsert import insert_if_absent

SCHEDULED, SENDING, DONE, CANCELLED = "scheduled", "sending", "done", "cancelled"
CANCELLED_REASON = "cancelled"
STOPPED_LEARNING_REASON = "stopped_learning"


async def create(session: AsyncSession, **values: Any) -> Campaign:
    campaign = Campaign(**values)
    session.add(campaign)
    await session.flush()
    await session.refresh(campaign)
    return campaign


async def get(session: AsyncSession, campaign_id: int) -> Campaign | None:
    return await session.get(Campaign, campaign_id)


async def recent(session: AsyncSession, *, platform: str, limit: int = 10) -> list[Campaign]:
    result = await session.exec(
        select(Campaign).where(Campaign.platform == platform).order_by(col(Campaign.id).desc()).limit(limit)
    )
    return list(result.all())


async def due(session: AsyncSession, *, now: datetime, limit: int = 20) -> list[Campaign]:
    """Campaigns whose next occurrence should be fanned out by now."""
    result = await session.exec(
        select(Campaign)
        .where(
            col(Campaign.status).in_((SCHEDULED, SENDING)),
            col(Campaign.next_due_at).is_not(None),
            col(Campaign.next_due_at) <= now,
        )
        .order_by(col(Campaign.next_due_at))
        .limit(limit)
    )
    return list(result.all())


async def sending(session: AsyncSession) -> list[Campaign]:
    """Campaigns with messages on their way: their progress message still needs updating."""
    result = await session.exec(select(Campaign).where(Campaign.status == SENDING))
    return list(result.all())


async def start_occurrence(
    session: AsyncSession, *, campaign_id: int, occurrence: str, now: datetime
) -> bool:
    """Record an occurrence; True when this call created it. Either way the caller may fan it
    out: the outbox keys make a repeated fan-out a no-op."""
    return await insert_if_absent(
        session,
        CampaignOccurrence,
        {
            "campaign_id": campaign_id,
            "occurrence": occurrence,
            "started_at": now,
            "recipients": 0,
            "skipped": 0,
        },
        key=("campaign_id", "occurrence"),
    )


async def finish_occurrence(
    session: AsyncSession, *, campaign_id: int, occurrence: str, recipients: int, skipped: int, now: datetime
) -> None:
    await (await session.connection()).execute(
        update(CampaignOccurrence)
        .where(
            col(CampaignOccurrence.campaign_id) == campaign_id,
            col(CampaignOccurrence.occurrence) == occurrence,
        )
        .values(recipients=recipients, skipped=skipped, enqueued_at=now)
    )


async def advance(
    session: AsyncSession,
    *,
    campaign_id: int,
    from_occurrence: str,
    next_occurrence: str | None,
    next_due_at: datetime | None,
) -> bool:
    """Move a campaign past an occurrence it has fanned out: compare-and-set on the occurrence it
    was at, so two ticks never skip a week, and a cancelled campaign stays cancelled."""
    result = await (await session.connection()).execute(
        update(Campaign)
        .where(
            col(Campaign.id) == campaign_id,
            col(Campaign.next_occurrence) == from_occurrence,
            col(Campaign.status).in_((SCHEDULED, SENDING)),
        )
        .values(status=SENDING, next_occurrence=next_occurrence, next_due_at=next_due_at)
        .returning(col(Campaign.id))
    )
    return result.first() is not None


async def set_progress_ref(
    session: AsyncSession, *, campaign_id: int, channel_id: str, message_id: str
) -> None:
    await (await session.connection()).execute(
        update(Campaign)
        .where(col(Campaign.id) == campaign_id)
        .values(progress_channel=channel_id, progress_message=message_id)
    )


async def finish(session: AsyncSession, *, campaign_id: int, now: datetime) -> bool:
    """A campaign whose messages are all out: done, or back to scheduled when another week follows."""
    connection = await session.connection()
    done = await connection.execute(
        update(Campaign)
        .where(
            col(Campaign.id) == campaign_id,
            col(Campaign.status) == SENDING,
            col(Campaign.next_due_at).is_(None),
        )
        .values(status=DONE, finished_at=now)
        .returning(col(Campaign.id))
    )
    if done.first() is not None:
        return True
    await connection.execute(
        update(Campaign)
        .where(col(Campaign.id) == campaign_id, col(Campaign.status) == SENDING)
        .values(status=SCHEDULED)
    )
    return False


async def cancel(session: AsyncSession, *, campaign_id: int, key: str, now: datetime) -> int | None:
    """Stop a campaign and its messages that are not on their way yet; None if it had ended.

    A row a worker has claimed but not begun to send is stopped too: its worker re-stamps the row
    before sending and finds it taken (take_turn), so it never goes out."""
    connection = await session.connection()
    stopped = await connection.execute(
        update(Campaign)
        .where(col(Campaign.id) == campaign_id, col(Campaign.status).in_((SCHEDULED, SENDING)))
        .values(status=CANCELLED, finished_at=now, next_occurrence=None, next_due_at=None)
        .returning(col(Campaign.id))
    )
    if stopped.first() is None:
        return None
    rows = await connection.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.campaign) == key,
            or_(
                col(OutboxMessage.state).in_((outbox.PENDING, outbox.FAILED)),
                and_(
                    col(OutboxMessage.state) == outbox.SENDING, col(OutboxMessage.send_started_at).is_(None)
                ),
            ),
        )
        .values(state=outbox.DEAD, last_error=CANCELLED_REASON)
        .returning(col(OutboxMessage.id))
    )
    return len(rows.all())


async def known_people(session: AsyncSession, *, platform: str) -> list[str]:
    """Everyone the bot has met on a platform: the `everyone` audience."""
    result = await session.exec(
        select(Person.user_id).where(Person.platform == platform).order_by(col(Person.id))
    )
    return list(result.all())


async def stored_zones(session: AsyncSession, *, platform: str, user_ids: Sequence[str]) -> dict[str, str]:
    """The time zones PeopleService stored (Teams' localTimezone, Slack's tz), for those who have one."""
    zones: dict[str, str] = {}
    for start in range(0, len(user_ids), 500):
        chunk = list(user_ids[start : start + 500])
        result = await session.exec(
            select(Person.user_id, Person.timezone).where(
                Person.platform == platform, col(Person.user_id).in_(chunk), col(Person.timezone).is_not(None)
            )
        )
        zones.update({user_id: zone for user_id, zone in result.all() if zone})
    return zones


async def stored_locales(session: AsyncSession, *, platform: str, user_ids: Sequence[str]) -> dict[str, str]:
    locales: dict[str, str] = {}
    for start in range(0, len(user_ids), 500):
        chunk = list(user_ids[start : start + 500])
        result = await session.exec(
            select(Person.user_id, Person.locale).where(
                Person.platform == platform, col(Person.user_id).in_(chunk), col(Person.locale).is_not(None)
            )
        )
        locales.update({user_id: locale for user_id, locale in result.all() if locale})
    return locales


async def not_learning(
    session: AsyncSession, *, platform: str, user_ids: Sequence[str], now: datetime
) -> set[str]:
    """Of these people, those who stopped or paused the weekly lessons: lesson campaigns skip them.
    People who never enrolled are not among them; a lesson campaign may be their first lesson."""
    found: set[str] = set()
    for start in range(0, len(user_ids), 500):
        chunk = list(user_ids[start : start + 500])
        result = await session.exec(
            select(LearningEnrolment.user_id).where(
                LearningEnrolment.platform == platform,
                col(LearningEnrolment.user_id).in_(chunk),
                or_(
                    col(LearningEnrolment.stopped_at).is_not(None),
                    col(LearningEnrolment.paused_until) > now,
                ),
            )
        )
        found.update(result.all())
    return found


async def withdraw_stopped_learners(session: AsyncSession, *, now: datetime) -> int:
    """Lesson messages of running campaigns still waiting for people who have since stopped or
    paused learning are not sent: a person who stops mid-campaign gets nothing more."""
    lesson_campaigns = select(literal("campaign:") + cast(Campaign.id, String)).where(
        col(Campaign.content_kind).in_(("lesson", "track")),
        col(Campaign.status).in_((SCHEDULED, SENDING)),
    )
    stopped = exists().where(
        col(LearningEnrolment.platform) == col(OutboxMessage.platform),
        col(LearningEnrolment.user_id) == col(OutboxMessage.target),
        or_(col(LearningEnrolment.stopped_at).is_not(None), col(LearningEnrolment.paused_until) > now),
    )
    result = await (await session.connection()).execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.state).in_((outbox.PENDING, outbox.FAILED)),
            col(OutboxMessage.campaign).in_(lesson_campaigns),
            stopped,
        )
        .values(state=outbox.DEAD, last_error=STOPPED_LEARNING_REASON)
        .returning(col(OutboxMessage.id))
    )
    return len(result.all())
