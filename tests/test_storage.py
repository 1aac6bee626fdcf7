"""Storage on SQLite and PostgreSQL: migrations from empty, schema matches the models, upserts race-free."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, event, inspect
from sqlmodel import SQLModel

from bot.clock import FrozenClock
from bot.domain import Actor, Conversation, Platform, Role
from bot.events import AlreadyHandled, Delivery, Origin
from bot.services.people import PeopleService
from storage import job_runs, people
from storage.engine import Database, sync_url
from storage.knowledge import include_object, is_search_index
from storage.migrate import alembic_config, current, downgrade, upgrade
from tests.cli import champbot

TABLES = {
    "person",
    "role_grant",
    "channel_binding",
    "conversation",
    "job_run",
    "outbox",
    "inbound_event",
    "knowledge_entry",
    "knowledge_term",
    "question",
    "question_counter",
    "question_token",
    "question_followup",
    "question_answer",
    "question_draft",
    "anon_vote",
    "anon_quota",
    "daily_secret",
    "qa_hours_settings",
    "qa_slot",
    "qa_session",
    "qa_moderation",
    "qa_feedback",
    "qa_merge",
    "alembic_version",
    "learning_enrolment",
    "lesson_progress",
    "learning_checkin",
    "campaign",
    "campaign_occurrence",
}
HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def table_names(connection: Connection) -> set[str]:
    """Tables of the models; the full-text index (FTS5 and its shadow tables) is not one."""
    return {name for name in inspect(connection).get_table_names() if not is_search_index(name)}


def test_migrations_run_from_empty_and_match_the_models(database_url: str) -> None:
    upgrade(database_url)
    engine = create_engine(sync_url(database_url))
    with engine.connect() as connection:
        assert table_names(connection) == TABLES
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        assert compare_metadata(context, SQLModel.metadata) == []
    engine.dispose()
    assert current(database_url) == HEAD


def test_migrations_are_idempotent_and_reversible(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)
    downgrade(database_url, "base")
    engine = create_engine(sync_url(database_url))
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == {"alembic_version"}
    engine.dispose()
    upgrade(database_url)
    assert current(database_url) == HEAD


def test_db_upgrade_command(database_url: str) -> None:
    result = champbot("db", "upgrade", CHAMPBOT_DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    assert f"database at revision {HEAD}" in result.stdout


async def test_first_contact_from_many_tasks_at_once_makes_one_person(
    database_url: str, clock: FrozenClock
) -> None:
    upgrade(database_url)
    database = Database(database_url)

    async def meet(locale: str | None) -> None:
        async with database.session() as session:
            await people.remember_person(
                session,
                platform="slack",
                user_id="U1",
                display_name="Ana",
                locale=locale,
                timezone=None,
                now=clock.now(),
            )

    await asyncio.gather(*(meet("da-DK" if i == 3 else None) for i in range(8)))
    async with database.session() as session:
        person = await people.get_person(session, platform="slack", user_id="U1")
    await database.close()
    assert person is not None and person.locale == "da-DK"  # an unknown locale never erased a known one
    assert person.first_seen_at == clock.now()  # aware UTC datetimes round-trip on both databases


async def test_a_job_period_is_claimed_exactly_once_even_when_raced(
    database_url: str, clock: FrozenClock
) -> None:
    upgrade(database_url)
    database = Database(database_url)

    async def claim() -> bool:
        async with database.session() as session:
            return await job_runs.claim_period(
                session, job_id="monthly-agenda", period="2026-11", now=clock.now()
            )

    results = await asyncio.gather(*(claim() for _ in range(10)))
    await database.close()
    assert results.count(True) == 1


async def test_granting_twice_is_reported_and_stored_once(database_url: str, clock: FrozenClock) -> None:
    upgrade(database_url)
    database = Database(database_url)
    async with database.session() as session:
        first = await people.grant_role(
            session, platform="teams", user_id="29:1", role="champion", granted_by="29:admin", now=clock.now()
        )
        second = await people.grant_role(
            session,
            platform="teams",
            user_id="29:1",
            role="champion",
            granted_by="29:admin",
            now=clock.now() + timedelta(hours=1),
        )
        assert (first, second) == (True, False)
        assert await people.revoke_role(session, platform="teams", user_id="29:1", role="champion") is True
        assert await people.revoke_role(session, platform="teams", user_id="29:1", role="champion") is False
    await database.close()


def people_service(database_url: str, clock: FrozenClock) -> tuple[Database, PeopleService]:
    """A migrated database and the people service on it, with no configured roles."""
    upgrade(database_url)
    database = Database(database_url)
    service = PeopleService(
        database=database,
        clock=clock,
        configured_roles={},
        default_locale="en",
        default_timezone="Europe/Copenhagen",
    )
    return database, service


async def test_a_person_who_keeps_talking_is_written_once_a_while_and_at_once_when_something_changes(
    database_url: str, clock: FrozenClock
) -> None:
    database, service = people_service(database_url, clock)
    direct = Conversation(Platform.SLACK, "D1", is_direct=True)

    def said(name: str, locale: str | None = None) -> Origin:
        return Origin(Actor(Platform.SLACK, "U1", name, locale, None), direct)

    async def last_seen() -> tuple[str, object]:
        async with database.session() as session:
            person = await people.get_person(session, platform="slack", user_id="U1")
        assert person is not None
        return person.display_name, person.last_seen_at

    first = clock.now()
    await service.identify(said("Ana"))
    clock.advance(timedelta(minutes=1))
    await service.identify(said("Ana"))
    assert await last_seen() == ("Ana", first)  # nothing changed a minute later: no write

    identity = await service.identify(said("Ana Berg", "da-DK"))
    assert await last_seen() == ("Ana Berg", clock.now())  # a new name is written at once
    assert identity.locale == "da"

    async with database.session() as session:  # a grant made elsewhere (another replica) counts at once
        await people.grant_role(
            session, platform="slack", user_id="U1", role="champion", granted_by="U9", now=clock.now()
        )
    assert Role.CHAMPION in (await service.identify(said("Ana Berg", "da-DK"))).roles

    clock.advance(timedelta(minutes=6))
    await service.identify(said("Ana Berg", "da-DK"))
    assert await last_seen() == ("Ana Berg", clock.now())  # and last_seen_at is refreshed now and then
    await database.close()


async def test_a_retried_delivery_stops_at_the_speakers_lookup_which_claims_it_in_the_same_transaction(
    database_url: str, clock: FrozenClock
) -> None:
    database, service = people_service(database_url, clock)
    direct = Conversation(Platform.SLACK, "D1", is_direct=True)
    ana = Actor(Platform.SLACK, "U1", "Ana", None, None)
    commits: list[object] = []
    event.listen(database.engine.sync_engine, "commit", commits.append)

    request = Origin(ana, direct, delivery=Delivery("Ev1"))
    await service.identify(request)
    assert len(commits) == 1  # the claim, the first contact and the roles: one transaction
    await service.identify(request)  # the same request may look its speaker up twice (a mention in a thread)

    renamed = Actor(Platform.SLACK, "U1", "Ana Berg", None, None)
    with pytest.raises(AlreadyHandled):  # Slack's retry, to this replica or another
        await service.identify(Origin(renamed, direct, delivery=Delivery("Ev1")))
    async with database.session() as session:
        person = await people.get_person(session, platform="slack", user_id="U1")
    assert person is not None and person.display_name == "Ana"  # the retry wrote nothing

    await service.identify(Origin(ana, direct, delivery=Delivery("Ev2")))
    teams = Actor(Platform.TEAMS, "29:1", "Bo", None, None)
    await service.identify(Origin(teams, Conversation(Platform.TEAMS, "a:1", True), delivery=Delivery("Ev1")))
    await database.close()
