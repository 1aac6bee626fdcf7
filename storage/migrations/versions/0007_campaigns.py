"""campaigns: HR campaigns and their occurrences

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("schedule", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("next_occurrence", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("next_due_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("progress_channel", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
        sa.Column("progress_message", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_due", ["status", "next_due_at"], unique=False)
    op.create_table(
        "campaign_occurrence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("occurrence", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("enqueued_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "occurrence"),
    )
    with op.batch_alter_table("campaign_occurrence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_occurrence_campaign_id"), ["campaign_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("campaign_occurrence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_occurrence_campaign_id"))
    op.drop_table("campaign_occurrence")
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_due")
    op.drop_table("campaign")
