"""The tables. Small typed models; timestamps are aware UTC; nothing here imports a chat SDK."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


def _utc(**kwargs: object) -> object:
    return Field(sa_column=Column(UTCDateTime(), nullable=False), **kwargs)  # type: ignore[call-overload]


class Person(SQLModel, table=True):
    """Someone the bot has met on one platform; locale and time zone as that platform reports them."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("platform", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=128)
    display_name: str = Field(default="", max_length=200)
    locale: str | None = Field(default=None, max_length=16)
    timezone: str | None = Field(default=None, max_length=64)
    first_seen_at: datetime = _utc()  # type: ignore[assignment]
    last_seen_at: datetime = _utc()  # type: ignore[assignment]


class RoleGrant(SQLModel, table=True):
    """A role given in chat. Bootstrap admins come from configuration and are not stored."""

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("platform", "user_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=128)
    role: str = Field(max_length=16)
    granted_by: str = Field(max_length=128)
    granted_at: datetime = _utc()  # type: ignore[assignment]


class ChannelBinding(SQLModel, table=True):
    """Which channel serves which purpose (questions, champions, leadership, showtell) per platform."""

    __tablename__ = "channel_binding"
    __table_args__ = (UniqueConstraint("platform", "purpose"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    purpose: str = Field(max_length=16)
    channel_id: str = Field(max_length=256)
    channel_name: str = Field(default="", max_length=200)
    bound_by: str = Field(max_length=128)
    bound_at: datetime = _utc()  # type: ignore[assignment]


class ConversationRecord(SQLModel, table=True):
    """Where the bot can speak later: a Teams conversation reference, or a Slack channel or DM id."""

    __tablename__ = "conversation"
    __table_args__ = (UniqueConstraint("platform", "conversation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    conversation_id: str = Field(max_length=256)
    kind: str = Field(max_length=16)  # direct | channel
    user_id: str | None = Field(default=None, max_length=128, index=True)
    name: str = Field(default="", max_length=200)
    reference: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    updated_at: datetime = _utc()  # type: ignore[assignment]


class JobRun(SQLModel, table=True):
    """One row per job and period: the database, not luck, keeps a double run from posting twice."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(max_length=64)
    period: str = Field(max_length=64)
    started_at: datetime = _utc()  # type: ignore[assignment]
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    outcome: str = Field(default="running", max_length=32)


class OutboxMessage(SQLModel, table=True):
    """A message a job or campaign will send: written first, delivered by any replica, never twice.

    States: pending → sending → sent; a transient failure goes to failed (retried at
    next_attempt_at); a permanent one, or too many attempts, to dead.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        Index("ix_outbox_due", "state", "next_attempt_at"),
        Index("ix_outbox_campaign_state", "campaign", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200)
    campaign: str | None = Field(default=None, max_length=128)
    platform: str = Field(max_length=16)
    kind: str = Field(max_length=16)  # dm | post
    target: str = Field(max_length=256)  # a user id for dm, a channel id for post
    thread_id: str | None = Field(default=None, max_length=256)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # the neutral message as JSON
    state: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _utc()  # type: ignore[assignment]
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    claimed_by: str | None = Field(default=None, max_length=64)
    send_started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    channel_id: str | None = Field(default=None, max_length=256)
    message_id: str | None = Field(default=None, max_length=256)
    last_error: str | None = Field(default=None, max_length=200)
    created_at: datetime = _utc()  # type: ignore[assignment]


class InboundEvent(SQLModel, table=True):
    """Ids of platform events already handled, so a retried delivery is answered without doing work."""

    __tablename__ = "inbound_event"
    __table_args__ = (UniqueConstraint("platform", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    event_id: str = Field(max_length=256)
    received_at: datetime = _utc()  # type: ignore[assignment]


class LearningEnrolment(SQLModel, table=True):
    """A person taking the weekly lessons: their track, function, pace and the dates behind the KPIs."""

    __tablename__ = "learning_enrolment"
    __table_args__ = (UniqueConstraint("platform", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=128)
    track: str = Field(max_length=32)  # foundations | practitioner | champion
    function: str = Field(max_length=32)  # sales, finance, hr, customer-service, operations, managers, other
    pace_weeks: int = Field(default=1)  # 1 weekly, 2 every other week
    weekday: int = Field(default=1)  # 0 Monday … 4 Friday, local
    local_time: str = Field(default="10:00", max_length=5)  # HH:MM, local
    level_shift: int = Field(default=0)  # "too easy" +1, "too hard" -1, within -2..2
    enrolled_by: str | None = Field(default=None, max_length=128)  # an admin's id when HR enrolled them
    enrolled_at: datetime = _utc()  # type: ignore[assignment]
    paused_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    stopped_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    away_from: date | None = Field(default=None)
    away_until: date | None = Field(default=None)
    last_nudge_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    foundations_completed_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    first_ai_use_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class LessonProgress(SQLModel, table=True):
    """One person and one lesson: delivered, opened, done, the quiz answer, the rating and comment."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("platform", "user_id", "lesson_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=128)
    lesson_id: str = Field(max_length=64)
    track: str = Field(max_length=32)
    delivered_at: datetime = _utc()  # type: ignore[assignment]
    opened_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    quiz_answer: int | None = Field(default=None)
    quiz_correct: bool | None = Field(default=None)
    rating: int | None = Field(default=None)  # 1–5
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    difficulty: str | None = Field(default=None, max_length=8)  # easy | hard, from the lesson's buttons
    reminder_sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    snoozed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class LearningCheckin(SQLModel, table=True):
    """A one-tap check: "used an AI tool this week?" after every third lesson, or a monthly follow-up."""

    __tablename__ = "learning_checkin"
    __table_args__ = (UniqueConstraint("platform", "user_id", "kind", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=128)
    kind: str = Field(max_length=16)  # ai_use | followup
    number: int  # ai_use: lessons done when asked; followup: month 1–3
    sent_at: datetime = _utc()  # type: ignore[assignment]
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    answer: str | None = Field(default=None, max_length=32)  # yes | no | tried | stuck | …


class Campaign(SQLModel, table=True):
    """An HR campaign (`nudge schedule`): who, when, what, and where its live progress is shown.

    Status: scheduled (waiting for its next occurrence) → sending → done; or cancelled. A weekly
    campaign goes back to scheduled after each occurrence. The tick fans out every campaign whose
    next_occurrence is due, so any replica may accept the command and a restart loses nothing.
    """

    __tablename__ = "campaign"
    __table_args__ = (Index("ix_campaign_due", "status", "next_due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    created_by: str = Field(max_length=128)
    locale: str = Field(default="en", max_length=8)  # the admin's, for the progress message
    audience: str = Field(sa_column=Column(Text, nullable=False))  # bot.campaigns.audience.encode
    schedule: str = Field(max_length=64)  # bot.campaigns.when.encode
    content_kind: str = Field(max_length=16)  # text | lesson | track
    content: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="scheduled", max_length=16)
    next_occurrence: str | None = Field(default=None, max_length=32)  # its key, e.g. 2026-12-01
    next_due_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    progress_channel: str | None = Field(default=None, max_length=256)
    progress_message: str | None = Field(default=None, max_length=256)
    created_at: datetime = _utc()  # type: ignore[assignment]
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class CampaignOccurrence(SQLModel, table=True):
    """One run of a campaign (the only one, or one week of a weekly one); unique, so two ticks
    can never fan the same week out twice."""

    __tablename__ = "campaign_occurrence"
    __table_args__ = (UniqueConstraint("campaign_id", "occurrence"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(index=True)
    occurrence: str = Field(max_length=32)
    started_at: datetime = _utc()  # type: ignore[assignment]
    enqueued_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    recipients: int = Field(default=0)
    skipped: int = Field(default=0)


# --- knowledge base (issue 3) -----------------------------------------------------------------
# Names no person: an entry from an answered question keeps only the question's id and Q-number.


class KnowledgeEntry(SQLModel, table=True):
    """A question with an answer the bot can offer again: curated (`kb add`) or an answered question.

    `question_terms` and `answer_terms` are the normalised, stemmed search words
    (`storage.search_terms`); the migration indexes them with SQLite FTS5, or on PostgreSQL with a
    GIN-indexed generated tsvector column, all named ``knowledge_fts…`` and kept outside these models.
    """

    __tablename__ = "knowledge_entry"
    __table_args__ = (UniqueConstraint("question_id"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(default="curated", max_length=16)  # curated | question
    question_id: int | None = Field(default=None)  # the answered question, one entry per question
    question_number: int | None = Field(default=None)  # its Q-number, shown with the match
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    locale: str = Field(default="en", max_length=16)
    question_terms: str = Field(default="", sa_column=Column(Text, nullable=False))
    answer_terms: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = _utc()  # type: ignore[assignment]
    updated_at: datetime = _utc()  # type: ignore[assignment]


class KnowledgeTerm(SQLModel, table=True):
    """How many entries contain a search term: the same IDF weights on SQLite and PostgreSQL."""

    __tablename__ = "knowledge_term"

    term: str = Field(primary_key=True, max_length=64)
    entries: int = Field(default=0)


# --- anonymous questions (issue 3) ------------------------------------------------------------
# Nothing below names an asker, voter or follow-up writer: no user id, no hash of one on a
# question, and no moment of asking (only the randomised time the question became public).


class Question(SQLModel, table=True):
    """An anonymous question. `number` is the Q-17 people see, counted per platform."""

    __tablename__ = "question"
    __table_args__ = (
        UniqueConstraint("platform", "number"),
        Index("ix_question_message", "platform", "channel_id", "message_id"),
        Index("ix_question_status", "platform", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    number: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    locale: str = Field(default="en", max_length=16)
    status: str = Field(default="open", max_length=16)  # open | answered | accepted (H adds queued, …)
    votes: int = Field(default=0)
    channel_id: str | None = Field(default=None, max_length=256)  # where it was posted, once posted
    message_id: str | None = Field(default=None, max_length=256)
    visible_at: datetime = _utc()  # type: ignore[assignment]  # the randomised post time, never the ask time


class QuestionCounter(SQLModel, table=True):
    """The last Q-number handed out per platform; bumped with one atomic UPDATE … RETURNING."""

    __tablename__ = "question_counter"

    platform: str = Field(primary_key=True, max_length=16)
    last_number: int = Field(default=0)


class QuestionToken(SQLModel, table=True):
    """The SHA-256 of a follow-up capability token; the token itself lives only in the asker's receipt."""

    __tablename__ = "question_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    question_id: int = Field(foreign_key="question.id", index=True)


class QuestionFollowUp(SQLModel, table=True):
    """More words from the asker, posted anonymously in the question's thread."""

    __tablename__ = "question_followup"

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="question.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    visible_at: datetime = _utc()  # type: ignore[assignment]


class QuestionAnswer(SQLModel, table=True):
    """A champion's answer (named: answers are public), or an AI draft a champion approved."""

    __tablename__ = "question_answer"

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="question.id", index=True)
    kind: str = Field(default="champion", max_length=16)  # champion | ai
    text: str = Field(sa_column=Column(Text, nullable=False))
    author_id: str = Field(max_length=128)  # the champion who wrote or approved it
    author_name: str = Field(default="", max_length=200)
    accepted: bool = Field(default=False)
    message_id: str | None = Field(default=None, max_length=256)
    created_at: datetime = _utc()  # type: ignore[assignment]


class AiDraft(SQLModel, table=True):
    """An AI-drafted answer waiting for a champion: publish, edit and publish, or discard."""

    __tablename__ = "question_draft"

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="question.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(default="pending", max_length=16)  # pending | published | discarded
    created_at: datetime = _utc()  # type: ignore[assignment]


class AnonVote(SQLModel, table=True):
    """One keyed hash per person and thing voted on (`scope`, e.g. ``question:12``).

    The digest is an HMAC under that day's secret of the scope and the person's id, so it differs
    per question (two votes of one person cannot be linked) and nobody can recompute it once the
    day's secret is gone. Rows of past days are pruned; the counts live on the voted thing.
    """

    __tablename__ = "anon_vote"
    __table_args__ = (UniqueConstraint("scope", "digest"), Index("ix_anon_vote_day", "day"))

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=64)
    digest: str = Field(max_length=64)
    day: str = Field(max_length=10)


class AnonQuota(SQLModel, table=True):
    """How many anonymous actions a keyed hash used today; no question, no time of day."""

    __tablename__ = "anon_quota"

    day: str = Field(primary_key=True, max_length=10)
    digest: str = Field(primary_key=True, max_length=64)
    used: int = Field(default=0)


class DailySecret(SQLModel, table=True):
    """The day's HMAC key, shared by replicas on PostgreSQL only; deleted when the day ends."""

    __tablename__ = "daily_secret"

    day: str = Field(primary_key=True, max_length=10)
    secret: str = Field(max_length=128)


# --- question hours, moderation, closing the loop (issue 3, H) --------------------------------
# Like the question tables: nothing here names an asker or a voter.


class QaHoursSettings(SQLModel, table=True):
    """Per platform: whether questions wait for a session, pre-moderation, and the on-call rotation."""

    __tablename__ = "qa_hours_settings"

    platform: str = Field(primary_key=True, max_length=16)
    always_open: bool = Field(default=True)  # False: questions outside a session wait for the next one
    moderation: bool = Field(default=False)
    oncall: str = Field(default="", sa_column=Column(Text, nullable=False))  # champion ids, rotation order
    oncall_since: str = Field(default="", max_length=10)  # ISO date; its week has the first on duty
    updated_by: str = Field(default="", max_length=128)
    updated_at: datetime = _utc()  # type: ignore[assignment]


class QaSlot(SQLModel, table=True):
    """A recurring question hour: every `weekday` at `start_minute` local time, for a while."""

    __tablename__ = "qa_slot"
    __table_args__ = (UniqueConstraint("platform", "weekday", "start_minute"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    weekday: int  # Monday is 0
    start_minute: int  # minutes after local midnight
    duration_minutes: int
    created_by: str = Field(max_length=128)
    created_at: datetime = _utc()  # type: ignore[assignment]


class QaSession(SQLModel, table=True):
    """One question hour. `key` is unique per sitting, so a scheduled one opens once however often
    the tick runs (``slot:3:20261126T1300``; ``manual:…`` for `qa open`)."""

    __tablename__ = "qa_session"
    __table_args__ = (UniqueConstraint("key"), Index("ix_qa_session_open", "platform", "closed_at"))

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    key: str = Field(max_length=128)
    opened_at: datetime = _utc()  # type: ignore[assignment]
    closes_at: datetime = _utc()  # type: ignore[assignment]
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    opened_by: str = Field(max_length=128)  # a champion's id, or "schedule"


class QaModeration(SQLModel, table=True):
    """A question held for pre-moderation, and the decision. The reason reaches the asker only
    through their own receipt (capability token); nothing here says who asked."""

    __tablename__ = "qa_moderation"

    question_id: int = Field(primary_key=True, foreign_key="question.id")
    state: str = Field(default="pending", max_length=16)  # pending | approved | rejected
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decided_by: str | None = Field(default=None, max_length=128)
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class QaFeedback(SQLModel, table=True):
    """Counts of "Helpful? yes / no" per answered question; who tapped is an `AnonVote` of that day."""

    __tablename__ = "qa_feedback"

    question_id: int = Field(primary_key=True, foreign_key="question.id")
    helpful: int = Field(default=0)
    not_helpful: int = Field(default=0)


class QaMerge(SQLModel, table=True):
    """A question merged into an earlier one that asks the same: its votes moved there, and the
    asker's receipt of the merged question leads to the one that carries on."""

    __tablename__ = "qa_merge"

    question_id: int = Field(primary_key=True, foreign_key="question.id")
    into_id: int = Field(foreign_key="question.id", index=True)
    merged_by: str = Field(max_length=128)
    merged_at: datetime = _utc()  # type: ignore[assignment]
