"""Retention: the database keeps bookkeeping only as long as it is useful."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage import inbound, outbox
from storage.engine import Database
from storage.job_runs import delete_runs_before

JOB_RUN_RETENTION = timedelta(days=400)  # a backstop for jobs no longer installed; ticks prune their own
INBOUND_EVENT_RETENTION = timedelta(days=2)  # Slack retries within minutes; two days is ample
SENT_OUTBOX_RETENTION = timedelta(days=90)  # long enough for campaign reports and audits


async def run(database: Database, now: datetime) -> str:
    async with database.session() as session:
        runs = await delete_runs_before(session, now - JOB_RUN_RETENTION)
        events = await inbound.delete_before(session, now - INBOUND_EVENT_RETENTION)
        sent = await outbox.delete_sent_before(session, now - SENT_OUTBOX_RETENTION)
    return f"deleted {runs} old job-run records, {events} inbound event ids, {sent} delivered outbox messages"
