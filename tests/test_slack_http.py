"""Slack over real HTTP: signed requests to /slack/events, answers observed at the fake Web API."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
import pytest

from bot.app import Server
from storage import channels, conversations, people
from tests.conftest import SIGNING_SECRET, base_url
from tests.fakes import (
    FakeSlackApi,
    SlackRequestFactory,
    app_home_opened_event,
    app_mention_event,
    event_body,
    member_joined_channel_event,
    message_im_event,
    sign,
    slash_command_body,
)


async def slash(
    http: aiohttp.ClientSession,
    server: Server,
    signer: SlackRequestFactory,
    slack: FakeSlackApi,
    text: str,
    **fields: Any,
) -> dict[str, Any]:
    """Type `/champ <text>` and return what the bot answered through the response_url."""
    before = len(slack.calls_to("response_url"))
    body = slash_command_body(text, response_url=slack.response_url(), **fields)
    async with http.post(
        f"{base_url(server)}/slack/events", data=body, headers=signer.headers_for(body)
    ) as resp:
        assert resp.status == 200
        assert (await resp.text()) == ""  # acked at once; the answer follows via response_url
    calls = await slack.wait_for("response_url", before + 1)
    return calls[before].args


def text_of(payload: dict[str, Any]) -> str:
    """Everything a person reads in a Block Kit message: sections, fields and context lines."""
    parts = []
    for block in payload.get("blocks", []):
        parts.append(block.get("text", {}).get("text", ""))
        parts.extend(item.get("text", "") for item in block.get("fields", []) + block.get("elements", []))
    return "\n".join(parts)


async def post_event(
    http: aiohttp.ClientSession, server: Server, signer: SlackRequestFactory, body: str
) -> int:
    async with http.post(
        f"{base_url(server)}/slack/events", data=body, headers=signer.headers_for(body, "json")
    ) as r:
        return r.status


async def test_an_employee_asks_for_help_and_sees_only_the_commands_for_everyone(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    answer = await slash(http, server, signer, slack_api, "help", user_id="U1", user_name="ana")
    assert answer["response_type"] == "ephemeral"
    shown = text_of(answer)
    assert "`/champ help`" in shown and "`/champ whoami`" in shown
    assert "setup" not in shown and "grant" not in shown


async def test_an_admin_sees_the_admin_commands_in_help(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    shown = text_of(await slash(http, server, signer, slack_api, "help", user_id="UADMIN", user_name="hanne"))
    assert "`/champ setup" in shown and "`/champ grant" in shown and "`/champ revoke" in shown


async def test_whoami_reports_role_language_and_time_zone_from_the_slack_profile(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    shown = text_of(await slash(http, server, signer, slack_api, "whoami", user_id="U2", user_name="bo"))
    # Bo's Slack locale is da-DK: the answer is Danish, with his New York time zone.
    assert "Sådan kender champbot dig" in shown
    assert "America/New_York" in shown and "medarbejder" in shown
    info = slack_api.calls_to("users.info")
    assert info and info[-1].args["user"] == "U2" and info[-1].args["include_locale"] in ("1", "true", True)


async def test_an_admin_binds_the_questions_channel_and_the_bot_introduces_itself_there(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    answer = await slash(
        http, server, signer, slack_api, "setup questions <#CQUESTIONS|ai-questions>", user_id="UADMIN"
    )
    assert "<#CQUESTIONS>" in text_of(answer)
    posts = [call for call in slack_api.calls_to("chat.postMessage") if call.args["channel"] == "CQUESTIONS"]
    assert len(posts) == 1 and "anonymous AI questions" in text_of(posts[0].args)
    async with server.core.database.session() as session:
        binding = await channels.binding_for(session, platform="slack", purpose="questions")
    assert binding is not None and (binding.channel_id, binding.channel_name) == (
        "CQUESTIONS",
        "ai-questions",
    )


async def test_setup_in_a_channel_without_the_bot_says_how_to_invite_it(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    answer = await slash(
        http, server, signer, slack_api, "setup champions <#CNOBOT|no-bot-here>", user_id="UADMIN"
    )
    assert "/invite @champbot" in text_of(answer)


async def test_an_employee_cannot_run_setup_and_is_told_which_role_it_needs(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    answer = await slash(
        http, server, signer, slack_api, "setup questions <#CQUESTIONS|ai-questions>", user_id="U1"
    )
    assert "needs the *admin* role" in text_of(answer)
    async with server.core.database.session() as session:
        assert await channels.binding_for(session, platform="slack", purpose="questions") is None
    assert not [c for c in slack_api.calls_to("chat.postMessage") if c.args["channel"] == "CQUESTIONS"]


async def test_an_admin_grants_champion_and_the_new_champion_is_told_in_their_own_language(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    await slash(
        http, server, signer, slack_api, "whoami", user_id="U2"
    )  # Bo has met the bot (Danish profile)
    answer = await slash(http, server, signer, slack_api, "grant champion <@U2|bo>", user_id="UADMIN")
    assert "<@U2> is now *AI champion*" in text_of(answer)
    await slack_api.wait_for("chat.postMessage")  # the notice goes through the outbox, a moment later
    notice = slack_api.calls_to("chat.postMessage")[-1]
    assert notice.args["channel"] == "U2"  # a user id as channel lands in the bot's DM with them
    assert notice.args["metadata"]["event_payload"]["key"].startswith("grant:slack:U2:champion:")
    assert slack_api.messages_in(slack_api.dm_channel_id("U2"))
    assert "AI-ambassadør" in text_of(notice.args) and "<@UADMIN>" in text_of(notice.args)
    async with server.core.database.session() as session:
        assert await people.granted_roles(session, platform="slack", user_id="U2") == {"champion"}
    shown = text_of(await slash(http, server, signer, slack_api, "help", user_id="U2"))
    assert "Din rolle: AI-ambassadør" in shown


async def test_revoke_takes_the_role_away_but_never_your_own_admin_role(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    await slash(http, server, signer, slack_api, "grant admin <@U1|ana>", user_id="UADMIN")
    answer = await slash(http, server, signer, slack_api, "revoke admin <@U1|ana>", user_id="UADMIN")
    assert "no longer admin" in text_of(answer)
    answer = await slash(http, server, signer, slack_api, "revoke admin <@UADMIN|hanne>", user_id="UADMIN")
    assert "cannot take away your own admin role" in text_of(answer)
    async with server.core.database.session() as session:
        assert await people.granted_roles(session, platform="slack", user_id="U1") == set()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("grant wizard <@U2|bo>", "Usage: `/champ grant"),
        ("grant champion bo", "Usage: `/champ grant"),
        ("setup kitchen <#C0GENERAL|general>", "Usage: `/champ setup"),
        ("setup questions #general", "Name the channel with #"),
        ("setup questions here", "this is a direct chat"),
    ],
)
async def test_bad_admin_input_gets_a_clear_answer_and_changes_nothing(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    text: str,
    expected: str,
) -> None:
    answer = await slash(
        http,
        server,
        signer,
        slack_api,
        text,
        user_id="UADMIN",
        channel_id="D0ADMIN",
        channel_name="directmessage",
    )
    assert expected in text_of(answer)
    async with server.core.database.session() as session:
        assert await people.granted_roles(session, platform="slack", user_id="U2") == set()
        assert await channels.bindings(session, platform="slack") == []


async def test_an_unknown_subcommand_gets_a_suggestion_not_a_stack_trace(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    shown = text_of(await slash(http, server, signer, slack_api, "hlep", user_id="U1"))
    assert "I don't know the command “hlep”" in shown and "Did you mean `/champ help`" in shown
    assert "Traceback" not in shown


async def test_user_text_echoed_back_cannot_ping_anyone(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    shown = text_of(await slash(http, server, signer, slack_api, "<!channel>", user_id="U1"))
    assert "<!channel>" not in shown


async def test_a_direct_message_to_the_bot_works_like_the_slash_command(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    body = event_body(message_im_event("whoami", user="U1", channel="D0ANA"))
    assert await post_event(http, server, signer, body) == 200
    reply = (await slack_api.wait_for("chat.postMessage"))[-1]
    assert reply.args["channel"] == "D0ANA" and "Who you are to champbot" in text_of(reply.args)
    async with server.core.database.session() as session:
        record = await conversations.direct_conversation(session, platform="slack", user_id="U1")
    assert record is not None and record.conversation_id == "D0ANA"


async def test_a_mention_in_a_channel_answers_privately_to_the_person_who_asked(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    body = event_body(app_mention_event("help", user="U1", channel="C0GENERAL"))
    assert await post_event(http, server, signer, body) == 200
    ephemeral = (await slack_api.wait_for("chat.postEphemeral"))[-1]
    assert ephemeral.args["channel"] == "C0GENERAL" and ephemeral.args["user"] == "U1"
    assert "`/champ help`" in text_of(ephemeral.args)


async def test_the_bot_joining_a_channel_is_remembered_for_later_posts(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    body = event_body(member_joined_channel_event("UBOT", "CQUESTIONS"))
    assert await post_event(http, server, signer, body) == 200
    await asyncio.wait_for(server.core.lane.idle(), 10)  # the work after the ack is done
    async with server.core.database.session() as session:
        record = await conversations.conversation(session, platform="slack", conversation_id="CQUESTIONS")
    assert record is not None and record.kind == "channel"


async def test_opening_app_home_publishes_the_persons_help(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    body = event_body(app_home_opened_event("U1"))
    assert await post_event(http, server, signer, body) == 200
    published = (await slack_api.wait_for("views.publish"))[-1]
    assert published.args["user_id"] == "U1"
    assert published.args["view"]["type"] == "home"


def forgeable(kind: str, slack: FakeSlackApi) -> tuple[str, str]:
    """A slash command or an event callback: Bolt verifies both the same way, once."""
    if kind == "slash":
        return slash_command_body(
            "help", response_url=slack.response_url()
        ), "application/x-www-form-urlencoded"
    return event_body(message_im_event("help", user="U1", channel="D0ANA")), "application/json"


@pytest.mark.parametrize("kind", ["slash", "event"])
async def test_a_forged_signature_is_rejected_with_401_and_no_web_api_call(
    server: Server, http: aiohttp.ClientSession, slack_api: FakeSlackApi, kind: str
) -> None:
    body, content_type = forgeable(kind, slack_api)
    headers = {
        "Content-Type": content_type,
        **sign(body, secret="not-the-secret", timestamp=int(time.time())),
    }
    async with http.post(f"{base_url(server)}/slack/events", data=body, headers=headers) as resp:
        assert resp.status == 401
    await server.core.lane.idle()
    assert slack_api.calls == []


@pytest.mark.parametrize("kind", ["slash", "event"])
async def test_a_request_older_than_five_minutes_is_rejected_with_401_and_no_web_api_call(
    server: Server, http: aiohttp.ClientSession, slack_api: FakeSlackApi, kind: str
) -> None:
    body, content_type = forgeable(kind, slack_api)
    stale = sign(body, secret=SIGNING_SECRET, timestamp=int(time.time()) - 6 * 60)
    async with http.post(
        f"{base_url(server)}/slack/events", data=body, headers={"Content-Type": content_type, **stale}
    ) as resp:
        assert resp.status == 401
    await server.core.lane.idle()
    assert slack_api.calls == []


async def test_a_timestamp_that_is_not_a_number_is_rejected_with_401(
    server: Server, http: aiohttp.ClientSession, slack_api: FakeSlackApi
) -> None:
    body, content_type = forgeable("event", slack_api)
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": "soon",
        "X-Slack-Signature": "v0=" + "0" * 64,
    }
    async with http.post(f"{base_url(server)}/slack/events", data=body, headers=headers) as resp:
        assert resp.status == 401
    assert slack_api.calls == []


async def test_an_event_nothing_listens_to_is_still_answered_200_so_slack_does_not_retry_it(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    """Bolt answers 404 to an event without a listener; Slack would retry it three times and, after
    enough failures, turn the app's events off. Such a request is answered 200 and counted as
    unhandled, never as ok."""
    reaction = {"type": "reaction_added", "user": "U1", "reaction": "tada", "event_ts": "1700000000.000100"}
    assert await post_event(http, server, signer, event_body(reaction)) == 200
    assert await post_event(http, server, signer, '{"type": "event_callback"}') == 200  # no event in it
    other = slash_command_body("hello", response_url=slack_api.response_url(), command="/other")
    async with http.post(
        f"{base_url(server)}/slack/events", data=other, headers=signer.headers_for(other)
    ) as response:
        assert response.status == 200
    await server.core.lane.idle()
    assert slack_api.calls_to("chat.postMessage") == [] and slack_api.calls_to("response_url") == []
    counted = server.core.metrics.exposition().decode()
    assert 'champbot_inbound_requests_total{outcome="unhandled",platform="slack"} 3.0' in counted
    assert 'champbot_inbound_requests_total{outcome="ok",platform="slack"}' not in counted


async def test_work_that_fails_after_the_ack_is_logged_and_counted_as_failed_not_ok(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(*_args: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(server.core, "handle_command", broken)
    body = slash_command_body("whoami", response_url=slack_api.response_url())
    async with http.post(
        f"{base_url(server)}/slack/events", data=body, headers=signer.headers_for(body)
    ) as response:
        assert response.status == 200  # Slack had its answer before the work began
    await server.core.lane.idle()
    counted = server.core.metrics.exposition().decode()
    assert 'champbot_inbound_requests_total{outcome="failed",platform="slack"} 1.0' in counted
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in failures] == ["work on an acknowledged Slack request failed"]
    assert slack_api.calls_to("response_url") == []


async def test_garbage_bodies_get_a_4xx_not_a_500(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    for body, kind in (("{not json", "json"), ("payload=%7Bbroken", "form"), ("", "json")):
        async with http.post(
            f"{base_url(server)}/slack/events", data=body, headers=signer.headers_for(body, kind)
        ) as r:
            assert 400 <= r.status < 500, (body, r.status)


async def test_a_rate_limited_profile_lookup_waits_out_retry_after_instead_of_failing_the_command(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    slack_api.fail_next("users.info", status=429, retry_after=0)
    shown = text_of(await slash(http, server, signer, slack_api, "whoami", user_id="U2"))
    assert "America/New_York" in shown  # the profile arrived on the retry
    assert [c.status for c in slack_api.calls_to("users.info")] == [429, 200]
