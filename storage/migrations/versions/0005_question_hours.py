"""question hours: sessions, slots, moderation, helpful feedback, merges

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "qa_hours_settings",
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("always_open", sa.Boolean(), nullable=False),
        sa.Column("moderation", sa.Boolean(), nullable=False),
        sa.Column("oncall", sa.Text(), nullable=False),
        sa.Column("oncall_since", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform"),
    )
    op.create_table(
        "qa_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("opened_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("opened_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("qa_session", schema=None) as batch_op:
        batch_op.create_index("ix_qa_session_open", ["platform", "closed_at"], unique=False)

    op.create_table(
        "qa_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "weekday", "start_minute"),
    )
    op.create_table(
        "qa_feedback",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("helpful", sa.Integer(), nullable=False),
        sa.Column("not_helpful", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
        ),
        sa.PrimaryKeyConstraint("question_id"),
    )
    op.create_table(
        "qa_merge",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("into_id", sa.Integer(), nullable=False),
        sa.Column("merged_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("merged_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["into_id"],
            ["question.id"],
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
        ),
        sa.PrimaryKeyConstraint("question_id"),
    )
    with op.batch_alter_table("qa_merge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_merge_into_id"), ["into_id"], unique=False)

    op.create_table(
        "qa_moderation",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
        ),
        sa.PrimaryKeyConstraint("question_id"),
    )


def downgrade() -> None:
    op.drop_table("qa_moderation")
    with op.batch_alter_table("qa_merge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qa_merge_into_id"))

    op.drop_table("qa_merge")
    op.drop_table("qa_feedback")
    op.drop_table("qa_slot")
    with op.batch_alter_table("qa_session", schema=None) as batch_op:
        batch_op.drop_index("ix_qa_session_open")

    op.drop_table("qa_session")
    op.drop_table("qa_hours_settings")
