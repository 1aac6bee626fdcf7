"""knowledge base: entries, term counts, and a full-text index (SQLite FTS5 or a PostgreSQL GIN index)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The search index lives outside the models (autogenerate cannot describe it); every object it
# consists of (tables, triggers, the PostgreSQL column and index) is named knowledge_fts…, so
# `storage.knowledge.include_object` can leave it out.
SQLITE_INDEX = [
    "CREATE VIRTUAL TABLE knowledge_fts USING fts5(question_terms, answer_terms, "
    "content='knowledge_entry', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER knowledge_fts_insert AFTER INSERT ON knowledge_entry BEGIN "
    "INSERT INTO knowledge_fts(rowid, question_terms, answer_terms) "
    "VALUES (new.id, new.question_terms, new.answer_terms); END",
    "CREATE TRIGGER knowledge_fts_delete AFTER DELETE ON knowledge_entry BEGIN "
    "INSERT INTO knowledge_fts(knowledge_fts, rowid, question_terms, answer_terms) "
    "VALUES ('delete', old.id, old.question_terms, old.answer_terms); END",
    "CREATE TRIGGER knowledge_fts_update AFTER UPDATE ON knowledge_entry BEGIN "
    "INSERT INTO knowledge_fts(knowledge_fts, rowid, question_terms, answer_terms) "
    "VALUES ('delete', old.id, old.question_terms, old.answer_terms); "
    "INSERT INTO knowledge_fts(rowid, question_terms, answer_terms) "
    "VALUES (new.id, new.question_terms, new.answer_terms); END",
]
POSTGRES_INDEX = [  # a stored vector: ranking thousands of matches must not re-parse their text
    "ALTER TABLE knowledge_entry ADD COLUMN knowledge_fts_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, question_terms), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, answer_terms), 'B')) STORED",
    "CREATE INDEX knowledge_fts_gin ON knowledge_entry USING gin (knowledge_fts_vector)",
]


def upgrade() -> None:
    op.create_table(
        "knowledge_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("question_number", sa.Integer(), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("question_terms", sa.Text(), nullable=False),
        sa.Column("answer_terms", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("question_id"),
    )
    op.create_table(
        "knowledge_term",
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term"),
    )
    index = {"sqlite": SQLITE_INDEX, "postgresql": POSTGRES_INDEX}.get(op.get_bind().dialect.name, [])
    for statement in index:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("knowledge_fts_update", "knowledge_fts_delete", "knowledge_fts_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS knowledge_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS knowledge_fts_gin")
        op.execute("ALTER TABLE knowledge_entry DROP COLUMN IF EXISTS knowledge_fts_vector")
    op.drop_table("knowledge_term")
    op.drop_table("knowledge_entry")
