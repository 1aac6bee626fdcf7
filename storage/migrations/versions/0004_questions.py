"""anonymous questions: questions, follow-ups, answers, AI drafts, keyed-hash votes and quotas

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anon_quota",
        sa.Column("day", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "digest"),
    )
    op.create_table(
        "anon_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("day", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "digest"),
    )
    with op.batch_alter_table("anon_vote", schema=None) as batch_op:
        batch_op.create_index("ix_anon_vote_day", ["day"], unique=False)

    op.create_table(
        "daily_secret",
        sa.Column("day", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("secret", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
        sa.Column("visible_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "number"),
    )
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.create_index("ix_question_message", ["platform", "channel_id", "message_id"], unique=False)
        batch_op.create_index("ix_question_status", ["platform", "status"], unique=False)

    op.create_table(
        "question_counter",
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("platform"),
    )
    op.create_table(
        "question_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("author_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("question_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_answer_question_id"), ["question_id"], unique=False)

    op.create_table(
        "question_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("question_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_draft_question_id"), ["question_id"], unique=False)

    op.create_table(
        "question_followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("visible_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("question_followup", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_followup_question_id"), ["question_id"], unique=False)

    op.create_table(
        "question_token",
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
        ),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("question_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_token_question_id"), ["question_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("question_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_token_question_id"))

    op.drop_table("question_token")
    with op.batch_alter_table("question_followup", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_followup_question_id"))

    op.drop_table("question_followup")
    with op.batch_alter_table("question_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_draft_question_id"))

    op.drop_table("question_draft")
    with op.batch_alter_table("question_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_answer_question_id"))

    op.drop_table("question_answer")
    op.drop_table("question_counter")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_index("ix_question_status")
        batch_op.drop_index("ix_question_message")

    op.drop_table("question")
    op.drop_table("daily_secret")
    with op.batch_alter_table("anon_vote", schema=None) as batch_op:
        batch_op.drop_index("ix_anon_vote_day")

    op.drop_table("anon_vote")
    op.drop_table("anon_quota")
