"""Every door has a key: each privileged command, subcommand, button and form that any installed
feature declares is refused to an employee, over signed Slack HTTP and Teams Activities, and nothing
stored changes."""

from __future__ import annotations

from typing import Any

import aiohttp
from sqlalchemy import select
from sqlmodel import SQLModel

from bot.app import Server, serve
from bot.clock import FrozenClock
from bot.domain import Role
from tests.conftest import base_url, make_settings
from tests.fakes import (
    FakeBotConnector,
    FakeSlackApi,
    SlackRequestFactory,
    card_action_activity,
    message_activity,
    view_submission_body,
)
from tests.questions_support import SentKeys
from tests.test_questions_slack import prepare, press
from tests.test_questions_teams import prepare as prepare_teams
from tests.test_questions_teams import send, until
from tests.test_slack_http import slash, text_of

# Written whatever the answer: by the look-up of the speaker on every request, and by the
# scheduler, which runs its ticks on the wall clock while the test runs.
UNRELATED_TABLES = {"person", "conversation", "inbound_event", "job_run"}


async def stored(server: Server) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the features own, to prove a refusal changed nothing."""
    snapshot = {}
    async with server.core.database.session() as session:
        connection = await session.connection()
        for table in SQLModel.metadata.sorted_tables:
            if table.name in UNRELATED_TABLES:
                continue
            rows = (await connection.execute(select(table))).all()
            snapshot[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return snapshot


def privileged_commands(server: Server) -> list[tuple[str, str, Role]]:
    """Every command part an employee may not use: what to type, what the refusal names (the command
    when the command itself needs the role, else the subcommand), and the role it needs."""
    found = []
    for command in server.core.commands:
        if command.role is not Role.EMPLOYEE:
            typed = [f"{command.name} {name}" for name in command.subcommands] or [command.name]
            found += [(what, command.name, command.role) for what in typed]
            continue
        for name, sub in command.subcommands.items():
            if sub.role is not Role.EMPLOYEE:
                found.append((f"{command.name} {name}", f"{command.name} {name}", sub.role))
    return found


def plain(text: str) -> str:
    return text.replace("*", "")


async def submit(
    http: aiohttp.ClientSession,
    server: Server,
    signer: SlackRequestFactory,
    slack: FakeSlackApi,
    form_id: str,
    metadata: str,
) -> str:
    """Submit a modal as Ana (an employee) and return what the bot told her in a DM."""
    before = len(slack.calls_to("chat.postMessage"))
    body = view_submission_body(form_id, {}, user_id="U1", private_metadata=metadata)
    url = f"{base_url(server)}/slack/events"
    async with http.post(url, data=body, headers=signer.headers_for(body)) as r:
        assert r.status == 200
    calls = await slack.wait_for("chat.postMessage", before + 1)
    return text_of(calls[before].args) or str(calls[before].args.get("text", ""))


async def test_every_privileged_command_and_subcommand_is_refused_to_an_employee_and_changes_nothing(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    sent = SentKeys(server.core.outbox, prefix="")
    await prepare(http, server, signer, slack_api)
    await slash(http, server, signer, slack_api, "ask Can I use AI for my job applications?", user_id="U1")
    await sent.wait("grant:")  # what the set-up sends has gone before the snapshot
    privileged = privileged_commands(server)
    names = {what for what, _, _ in privileged}
    assert {"setup", "grant", "revoke", "nudge schedule", "learn enrol", "qa open", "kb remove"} <= names

    before = await stored(server)
    for what, refused, role in privileged:
        answer = await slash(http, server, signer, slack_api, f"{what} <@U1|ana> 1", user_id="U1")
        role_name = server.core.catalog.string("en", f"role.{role.value}")
        assert f"`{refused}` needs the *{role_name}* role" in text_of(answer), what
    assert await stored(server) == before


async def test_every_privileged_button_and_form_is_refused_to_an_employee_and_changes_nothing(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    sent = SentKeys(server.core.outbox, prefix="")
    await prepare(http, server, signer, slack_api)
    await slash(http, server, signer, slack_api, "ask Can I use AI for my job applications?", user_id="U1")
    await sent.wait("grant:")  # what the set-up sends has gone before the snapshot
    async with server.core.database.session() as session:
        connection = await session.connection()
        question_ids = (await connection.execute(select(SQLModel.metadata.tables["question"].c.id))).all()
    question_id = str(question_ids[0][0])
    buttons = [route for route in server.core.actions.buttons() if route.role is not Role.EMPLOYEE]
    forms = [route for route in server.core.actions.forms() if route.role is not Role.EMPLOYEE]
    assert {"qa", "qamod"} <= {route.action_id for route in buttons}
    assert {"qa", "qamod"} <= {route.action_id for route in forms}

    before = await stored(server)
    for route in buttons:
        for action_id in (route.action_id, f"{route.action_id}.accept"):
            if server.core.actions.for_button(action_id) is not route:
                continue  # a more specific id is declared for that one
            expected = server.core.catalog.string("en", route.refusal, role=route.role.value)
            answer = await press(http, server, signer, slack_api, action_id, question_id, user_id="U1")
            assert plain(expected) in plain(text_of(answer)), action_id
    for route in forms:
        expected = server.core.catalog.string("en", route.refusal, role=route.role.value)
        shown = await submit(http, server, signer, slack_api, route.action_id, question_id)
        assert plain(expected) in plain(shown), route.action_id
    assert await stored(server) == before


def strings(value: Any) -> str:
    """Every text in a Teams activity (plain text or an Adaptive Card), joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(strings(item) for item in value.values())
    if isinstance(value, list):
        return "\n".join(strings(item) for item in value)
    return ""


async def test_every_privileged_command_button_and_form_is_refused_to_a_teams_employee(
    database_url: str, clock: FrozenClock, http: aiohttp.ClientSession, connector: FakeBotConnector
) -> None:
    async with serve(make_settings(database_url, qa_max_delay=0), clock=clock) as server:
        sent = SentKeys(server.core.outbox, prefix="")
        await prepare_teams(http, server, connector)
        url = connector.service_url
        await send(
            http, server, message_activity("ask Can I use AI for my job applications?", service_url=url)
        )
        async with server.core.database.session() as session:
            connection = await session.connection()
            question_id = str(
                (await connection.execute(select(SQLModel.metadata.tables["question"].c.id))).one()[0]
            )

        await sent.wait("grant:")  # what the set-up sends has gone before the snapshot
        await sent.wait("qa:q:")

        async def answer_to(activity: dict[str, Any]) -> str:
            seen = len(connector.activities_in("a:1personal"))
            await send(http, server, activity)
            replies = await until(connector, lambda c: c.activities_in("a:1personal")[seen:])
            return plain(strings(replies))

        before = await stored(server)
        for what, refused, role in privileged_commands(server):
            role_name = server.core.catalog.string("en", f"role.{role.value}")
            shown = await answer_to(message_activity(f"{what} 1", service_url=url))
            assert f"`{refused}` needs the {role_name} role" in shown, what
        for route in server.core.actions.buttons():
            if route.role is not Role.EMPLOYEE:
                press = {"action_id": route.action_id, "value": question_id}
                shown = await answer_to(card_action_activity(press, service_url=url))
                assert plain(server.core.catalog.string("en", route.refusal, role=route.role.value)) in shown
        for route in server.core.actions.forms():
            if route.role is not Role.EMPLOYEE:
                form = {"form_id": route.action_id, "metadata": question_id}
                shown = await answer_to(card_action_activity(form, service_url=url))
                assert plain(server.core.catalog.string("en", route.refusal, role=route.role.value)) in shown
        assert await stored(server) == before
