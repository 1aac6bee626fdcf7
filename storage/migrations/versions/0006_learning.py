"""learning: enrolment, lesson progress and check-ins (the weekly lessons and their KPIs)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learning_checkin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "user_id", "kind", "number"),
    )
    op.create_table(
        "learning_enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("track", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("function", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("pace_weeks", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("local_time", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("level_shift", sa.Integer(), nullable=False),
        sa.Column("enrolled_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("enrolled_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paused_until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("away_from", sa.Date(), nullable=True),
        sa.Column("away_until", sa.Date(), nullable=True),
        sa.Column("last_nudge_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("foundations_completed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_ai_use_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "user_id"),
    )
    op.create_table(
        "lesson_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("lesson_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("track", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("delivered_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("quiz_answer", sa.Integer(), nullable=True),
        sa.Column("quiz_correct", sa.Boolean(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("difficulty", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("reminder_sent_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("snoozed_until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "user_id", "lesson_id"),
    )


def downgrade() -> None:
    op.drop_table("lesson_progress")
    op.drop_table("learning_enrolment")
    op.drop_table("learning_checkin")
