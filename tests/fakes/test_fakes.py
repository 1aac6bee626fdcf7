"""Tests of the loopback fakes, driven through the real slack_sdk / slack_bolt / botbuilder clients."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.core.teams import teams_get_channel_id, teams_get_team_info
from botbuilder.core.teams.teams_activity_extensions import teams_get_channel_data
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationParameters
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import HttpOperationError
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond, AsyncSay
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes import (
    FakeBotConnector,
    FakeSlackApi,
    SlackRequestFactory,
    app_mention_event,
    block_actions_body,
    card_action_activity,
    channel_message_activity,
    conversation_update_activity,
    event_body,
    invoke_activity,
    member_joined_channel_event,
    mention_entity,
    message_activity,
    message_im_event,
    plain_text_value,
    sign,
    slash_command_body,
    view_submission_body,
)

TOKEN = "xoxb-test"
SECRET = "s3cr3t"
TEAMS_CHANNEL_CONV = "19:abc@thread.tacv2;messageid=123"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi(token=TOKEN) as fake:
        fake.add_user("U1", "ana", real_name="Ana Andersen", tz="Europe/Copenhagen", locale="da-DK")
        fake.add_user("U2", "bo", tz="America/New_York")
        fake.add_user("U3", "cy", deleted=True)
        fake.add_channel("C0GENERAL", "general", ["U1", "U2"])
        fake.add_channel("C0RANDOM", "random", ["U1"], bot_is_member=False)
        yield fake


@pytest.fixture
def client(slack: FakeSlackApi) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=slack.base_url)


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with FakeBotConnector() as fake:
        yield fake


@pytest.fixture
async def connector_client(connector: FakeBotConnector) -> AsyncIterator[ConnectorClient]:
    async with ConnectorClient(MicrosoftAppCredentials("", ""), base_url=connector.service_url) as client:
        yield client


# ====================================================================== FakeSlackApi


async def test_base_url_is_loopback_with_trailing_slash(slack: FakeSlackApi) -> None:
    assert slack.base_url.startswith("http://127.0.0.1:")
    assert slack.base_url.endswith("/api/")
    assert not slack.base_url.endswith(":0/api/")
    assert slack.response_url("abc").endswith("/response/abc")


async def test_auth_test_and_bearer_header(slack: FakeSlackApi, client: AsyncWebClient) -> None:
    resp = await client.auth_test()
    assert resp["user_id"] == "UBOT"
    assert resp["team_id"] == "T0001"
    assert resp["bot_id"]
    assert resp["url"].startswith("https://")
    [call] = slack.calls_to("auth.test")
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.status == 200


async def test_wrong_or_missing_token_is_rejected_but_recorded(slack: FakeSlackApi) -> None:
    with pytest.raises(SlackApiError) as wrong:
        await AsyncWebClient(token="xoxb-wrong", base_url=slack.base_url).auth_test()
    assert wrong.value.response["error"] == "invalid_auth"
    assert wrong.value.response.status_code == 200
    with pytest.raises(SlackApiError) as missing:
        await AsyncWebClient(base_url=slack.base_url).chat_postMessage(channel="C0GENERAL", text="x")
    assert missing.value.response["error"] == "not_authed"
    assert [c.method for c in slack.calls] == ["auth.test", "chat.postMessage"]
    assert slack.messages_in("C0GENERAL") == []


async def test_post_message_update_and_thread(slack: FakeSlackApi, client: AsyncWebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = await client.chat_postMessage(channel="C0GENERAL", text="hi", blocks=blocks)
    assert first["channel"] == "C0GENERAL"
    assert first["message"]["blocks"] == blocks
    assert first["message"]["user"] == "UBOT"
    assert first["message"]["ts"] == first["ts"]
    reply = await client.chat_postMessage(channel="C0GENERAL", text="re", thread_ts=first["ts"])
    assert reply["message"]["thread_ts"] == first["ts"]
    assert float(reply["ts"]) > float(first["ts"])
    assert len(first["ts"].split(".")[1]) == 6

    [call, _] = slack.calls_to("chat.postMessage")
    assert call.args["blocks"] == blocks  # decoded, not a JSON string
    assert call.args["channel"] == "C0GENERAL"

    updated = await client.chat_update(channel="C0GENERAL", ts=first["ts"], text="bye")
    assert (updated["channel"], updated["ts"], updated["text"]) == ("C0GENERAL", first["ts"], "bye")
    assert slack.messages_in("C0GENERAL")[0]["text"] == "bye"
    with pytest.raises(SlackApiError) as err:
        await client.chat_update(channel="C0GENERAL", ts="1.000000", text="nope")
    assert err.value.response["error"] == "message_not_found"


async def test_post_message_channel_errors(client: AsyncWebClient) -> None:
    for channel, error in [("C0RANDOM", "not_in_channel"), ("C0NOPE", "channel_not_found")]:
        with pytest.raises(SlackApiError) as err:
            await client.chat_postMessage(channel=channel, text="x")
        assert err.value.response["error"] == error
    dm = await client.chat_postMessage(channel="D0001", text="x")
    assert dm["channel"] == "D0001"
    to_user = await client.chat_postMessage(channel="U1", text="x")
    assert to_user["channel"] == FakeSlackApi.dm_channel_id("U1")
    with pytest.raises(SlackApiError) as err:
        await client.api_call("chat.postMessage", json={"channel": "C0GENERAL"})
    assert err.value.response["error"] == "no_text"


async def test_form_encoded_json_fields_are_decoded(slack: FakeSlackApi, client: AsyncWebClient) -> None:
    blocks = [{"type": "divider"}]
    await client.api_call(
        "chat.postMessage", data={"channel": "C0GENERAL", "text": "x", "blocks": json.dumps(blocks)}
    )
    [call] = slack.calls_to("chat.postMessage")
    assert call.args["blocks"] == blocks
    assert call.headers["Content-Type"].startswith("application/x-www-form-urlencoded")


async def test_ephemeral_permalink_reactions_info(client: AsyncWebClient) -> None:
    eph = await client.chat_postEphemeral(channel="C0GENERAL", user="U1", text="psst")
    assert eph["message_ts"]
    with pytest.raises(SlackApiError) as err:
        await client.chat_postEphemeral(channel="C0GENERAL", user="U3", text="psst")
    assert err.value.response["error"] == "user_not_in_channel"

    link = await client.chat_getPermalink(channel="C0GENERAL", message_ts="1700000000.000100")
    assert link["permalink"] == "https://fake.slack.test/archives/C0GENERAL/p1700000000000100"

    posted = await client.chat_postMessage(channel="C0GENERAL", text="react")
    await client.reactions_add(channel="C0GENERAL", timestamp=posted["ts"], name="tada")
    with pytest.raises(SlackApiError) as err:
        await client.reactions_add(channel="C0GENERAL", timestamp=posted["ts"], name="tada")
    assert err.value.response["error"] == "already_reacted"

    info = await client.conversations_info(channel="C0RANDOM")
    assert info["channel"]["name"] == "random"
    assert info["channel"]["is_member"] is False
    assert info["channel"]["is_channel"] is True
    assert info["channel"]["is_im"] is False
    with pytest.raises(SlackApiError) as err:
        await client.conversations_info(channel="C0NOPE")
    assert err.value.response["error"] == "channel_not_found"


async def test_conversations_open(client: AsyncWebClient) -> None:
    one = await client.conversations_open(users="U1")
    again = await client.conversations_open(users=["U1"])
    assert one["channel"]["id"] == again["channel"]["id"] == FakeSlackApi.dm_channel_id("U1")
    assert one["channel"]["id"].startswith("D")
    other = await client.conversations_open(users="U2")
    assert other["channel"]["id"] != one["channel"]["id"]
    info = await client.conversations_info(channel=one["channel"]["id"])
    assert info["channel"]["is_im"] is True
    assert info["channel"]["user"] == "U1"
    for users, error in [("U404", "user_not_found"), ("U3", "user_disabled"), ("U1,U404", "user_not_found")]:
        with pytest.raises(SlackApiError) as err:
            await client.conversations_open(users=users)
        assert err.value.response["error"] == error


async def test_users_info_timezone_and_locale(client: AsyncWebClient) -> None:
    without = await client.users_info(user="U1")
    assert "locale" not in without["user"]
    resp = await client.users_info(user="U1", include_locale=True)
    user = resp["user"]
    assert user["locale"] == "da-DK"
    assert user["tz"] == "Europe/Copenhagen"
    offset = datetime.now(UTC).astimezone(ZoneInfo("Europe/Copenhagen")).utcoffset()
    assert offset is not None
    assert user["tz_offset"] == int(offset.total_seconds())
    assert user["tz_offset"] in (3600, 7200)
    assert user["profile"]["real_name"] == "Ana Andersen"
    assert (user["name"], user["is_bot"], user["deleted"]) == ("ana", False, False)
    ny = (await client.users_info(user="U2"))["user"]
    assert ny["tz_offset"] in (-18000, -14400)
    with pytest.raises(SlackApiError) as err:
        await client.users_info(user="U404")
    assert err.value.response["error"] == "user_not_found"


async def test_users_list_pagination(slack: FakeSlackApi, client: AsyncWebClient) -> None:
    for n in range(4, 8):
        slack.add_user(f"U{n}", f"user{n}")
    seen: list[str] = []
    cursors: list[str] = []
    async for page in await client.users_list(limit=3):
        seen.extend(m["id"] for m in page["members"])
        cursors.append(page["response_metadata"]["next_cursor"])
    assert seen == ["U1", "U2", "U3", "U4", "U5", "U6", "U7"]
    assert len(cursors) == 3 and cursors[-1] == "" and all(cursors[:-1])
    assert [c.args.get("limit") for c in slack.calls_to("users.list")] == ["3", "3", "3"]
    everyone = await client.users_list()
    assert len(everyone["members"]) == 7
    assert everyone["response_metadata"]["next_cursor"] == ""
    with pytest.raises(SlackApiError) as err:
        await client.users_list(cursor="garbage!")
    assert err.value.response["error"] == "invalid_cursor"


async def test_conversations_members_pagination(slack: FakeSlackApi, client: AsyncWebClient) -> None:
    slack.add_channel("C0BIG", "big", [f"U{n}" for n in range(1, 6)])
    members: list[str] = []
    async for page in await client.conversations_members(channel="C0BIG", limit=2):
        members.extend(page["members"])
    assert members == ["U1", "U2", "U3", "U4", "U5", "UBOT"]
    assert len(slack.calls_to("conversations.members")) == 3
    with pytest.raises(SlackApiError) as err:
        await client.conversations_members(channel="C0NOPE")
    assert err.value.response["error"] == "channel_not_found"


async def test_views_open_update_publish(slack: FakeSlackApi, client: AsyncWebClient) -> None:
    view = {
        "type": "modal",
        "callback_id": "edit",
        "title": {"type": "plain_text", "text": "Edit"},
        "blocks": [{"type": "divider"}],
        "private_metadata": "42",
    }
    opened = await client.views_open(trigger_id="1337.42.abcd", view=view)
    view_id = opened["view"]["id"]
    assert view_id.startswith("V")
    assert opened["view"]["callback_id"] == "edit"
    assert slack.calls_to("views.open")[0].args["view"] == view
    updated = await client.views_update(view_id=view_id, view={**view, "private_metadata": "43"})
    assert updated["view"]["id"] == view_id
    assert updated["view"]["private_metadata"] == "43"
    with pytest.raises(SlackApiError) as err:
        await client.views_update(view_id="V404", view=view)
    assert err.value.response["error"] == "not_found"
    home = await client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert home["view"]["type"] == "home"
    assert slack.calls_to("views.publish")[0].args["user_id"] == "U1"


async def test_unknown_method(slack: FakeSlackApi, client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.api_call("foo.bar")
    assert err.value.response["error"] == "unknown_method"
    assert slack.calls_to("foo.bar")


async def test_fail_next_rate_limit(slack: FakeSlackApi, client: AsyncWebClient) -> None:
    slack.fail_next("chat.postMessage", retry_after=7, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            await client.chat_postMessage(channel="C0GENERAL", text="x")
        assert err.value.response.status_code == 429
        assert err.value.response.headers["Retry-After"] == "7"
        assert err.value.response["error"] == "ratelimited"
    await client.chat_postMessage(channel="C0GENERAL", text="x")  # third one goes through
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 429, 200]
    assert len(slack.messages_in("C0GENERAL")) == 1

    slack.fail_next("users.info", status=500, retry_after=None, error="internal_error")
    with pytest.raises(SlackApiError) as err:
        await client.users_info(user="U1")
    assert err.value.response.status_code == 500
    assert "Retry-After" not in err.value.response.headers


async def test_set_handler_overrides_method(slack: FakeSlackApi, client: AsyncWebClient) -> None:
    seen: list[dict[str, Any]] = []

    def handler(args: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        seen.append(args)
        return 200, {"X-Fake": "1"}, {"ok": True, "channel": "C0GENERAL", "ts": "1.000001"}

    slack.set_handler("chat.postMessage", handler)
    resp = await client.chat_postMessage(channel="C0RANDOM", text="hi")
    assert resp["ts"] == "1.000001"
    assert resp.headers["X-Fake"] == "1"
    assert seen[0]["text"] == "hi"
    slack.set_handler("chat.postMessage", None)
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="C0RANDOM", text="hi")


async def test_wait_for_and_clear(slack: FakeSlackApi, client: AsyncWebClient) -> None:
    async def later() -> None:
        await client.auth_test()
        await client.chat_postMessage(channel="C0GENERAL", text="one")
        await client.chat_postMessage(channel="C0GENERAL", text="two")

    task = asyncio.create_task(later())
    calls = await slack.wait_for("chat.postMessage", count=2, timeout=5)
    await task
    assert [c.args["text"] for c in calls] == ["one", "two"]
    with pytest.raises(AssertionError, match=r"chat\.update.*auth\.test"):
        await slack.wait_for("chat.update", timeout=0.05)
    slack.clear()
    assert slack.calls == []
    assert slack.messages_in("C0GENERAL")  # state survives clear()


async def test_response_url_with_webhook_client(slack: FakeSlackApi) -> None:
    webhook = AsyncWebhookClient(url=slack.response_url("cmd-1"))
    resp = await webhook.send(text="done", response_type="ephemeral", replace_original=False)
    assert resp.status_code == 200
    assert resp.body == "ok"
    [call] = await slack.wait_for("response_url")
    assert call.args == {
        "text": "done",
        "response_type": "ephemeral",
        "replace_original": False,
        "key": "cmd-1",
    }
    slack.fail_next("response_url", status=404, retry_after=None, error="expired_url")
    failed = await webhook.send(text="late")
    assert (failed.status_code, failed.body) == (404, "expired_url")


async def test_plain_aiohttp_get_with_query_args(slack: FakeSlackApi) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            slack.base_url + "users.info",
            params={"user": "U2", "include_locale": "true"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as resp,
    ):
        body = await resp.json()
    assert body["ok"] is True
    assert body["user"]["locale"] == "en-US"
    assert slack.calls_to("users.info")[0].http_method == "GET"


# ====================================================================== slack_requests


def test_sign_matches_slack_sdk_verifier() -> None:
    body = slash_command_body("hello world", response_url="http://x/response/1")
    now = int(time.time())
    headers = sign(body, secret=SECRET, timestamp=now)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    assert not verifier.is_valid_request(body + "x", headers)
    stale = sign(body, secret=SECRET, timestamp=now - 3600)
    assert not verifier.is_valid_request(body, stale)


def test_slash_command_fields() -> None:
    body = slash_command_body("top 5", response_url="http://r/1", channel_id="C9", user_id="U7")
    fields = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    assert set(fields) == {
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    }
    assert (fields["text"], fields["command"], fields["channel_id"]) == ("top 5", "/champ", "C9")
    assert (fields["user_id"], fields["response_url"]) == ("U7", "http://r/1")


def test_event_envelope() -> None:
    body = json.loads(event_body(message_im_event("hi", ts="1.000100"), event_time=1700000000))
    assert body["type"] == "event_callback"
    assert body["authorizations"][0]["user_id"] == "UBOT"
    assert body["authorizations"][0]["is_bot"] is True
    assert body["event"]["channel_type"] == "im"
    assert body["event"]["event_ts"] == "1.000100"
    assert body["event_time"] == 1700000000
    assert body["event_id"].startswith("Ev")
    other = json.loads(event_body(member_joined_channel_event("U1", "C1")))
    assert other["event_id"] != body["event_id"]
    mention = app_mention_event("hello", user="U1", channel="C1", ts="2.0")
    assert mention["text"] == "<@UBOT> hello"


def test_factory_headers() -> None:
    factory = SlackRequestFactory(SECRET, clock=lambda: 1_700_000_000)
    headers = factory.headers_for("a=b", "form")
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["X-Slack-Request-Timestamp"] == "1700000000"
    assert headers == {"Content-Type": "application/x-www-form-urlencoded"} | sign(
        "a=b", secret=SECRET, timestamp=1_700_000_000
    )
    assert factory.headers_for("{}", "json")["Content-Type"] == "application/json"


def _bolt_app(slack: FakeSlackApi) -> AsyncApp:
    return AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(token=TOKEN, base_url=slack.base_url),
    )


def _bolt_request(body: str, content_type: str) -> AsyncBoltRequest:
    headers = SlackRequestFactory(SECRET).headers_for(body, content_type)
    return AsyncBoltRequest(body=body, headers={k.lower(): v for k, v in headers.items()})


async def test_bolt_accepts_signed_slash_command(slack: FakeSlackApi) -> None:
    app = _bolt_app(slack)
    received: list[dict[str, Any]] = []

    @app.command("/champ")
    async def champ(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        received.append(command)
        await respond(text=f"you said {command['text']}")

    body = slash_command_body("standings", response_url=slack.response_url("slash"))
    resp = await app.async_dispatch(_bolt_request(body, "form"))
    assert resp.status == 200
    [call] = await slack.wait_for("response_url")
    assert call.args["key"] == "slash"
    assert call.args["text"] == "you said standings"
    assert received[0]["user_id"] == "U1"
    assert slack.calls_to("auth.test"), "bolt authorizes through auth.test on the fake"

    signed_for_original: dict[str, str | Sequence[str]] = {
        k.lower(): v for k, v in SlackRequestFactory(SECRET).headers_for(body, "form").items()
    }
    tampered = AsyncBoltRequest(body=body.replace("standings", "other"), headers=signed_for_original)
    assert (await app.async_dispatch(tampered)).status == 401


async def test_bolt_accepts_events_and_interactivity(slack: FakeSlackApi) -> None:
    app = _bolt_app(slack)
    values: list[dict[str, Any]] = []

    @app.event("app_mention")
    async def mentioned(event: dict[str, Any], say: AsyncSay) -> None:
        await say(text=f"hi <@{event['user']}>", thread_ts=event["ts"])

    @app.message("standings")
    async def dm(message: dict[str, Any], say: AsyncSay) -> None:
        await say(text="dm reply")

    @app.action("vote")
    async def vote(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await respond(text=f"voted {body['actions'][0]['value']}", replace_original=False)

    @app.view("edit")
    async def submit(ack: AsyncAck, view: dict[str, Any]) -> None:
        values.append(view["state"]["values"])
        await ack()

    mention = app_mention_event("hello", user="U1", channel="C0GENERAL", ts="1700000001.000100")
    assert (await app.async_dispatch(_bolt_request(event_body(mention), "json"))).status == 200
    [posted] = await slack.wait_for("chat.postMessage")
    assert posted.args["channel"] == "C0GENERAL"
    assert posted.args["text"] == "hi <@U1>"
    assert posted.args["thread_ts"] == "1700000001.000100"

    dm_event = message_im_event("standings please", user="U1", channel="D0001")
    assert (await app.async_dispatch(_bolt_request(event_body(dm_event), "json"))).status == 200
    calls = await slack.wait_for("chat.postMessage", count=2)
    assert calls[1].args["channel"] == "D0001"

    action = block_actions_body("vote", "yes", response_url=slack.response_url("act"))
    assert (await app.async_dispatch(_bolt_request(action, "form"))).status == 200
    [responded] = await slack.wait_for("response_url")
    assert responded.args["text"] == "voted yes"

    state = {"name_block": {"name_input": plain_text_value("Ana")}}
    submission = view_submission_body("edit", state, private_metadata="42")
    assert (await app.async_dispatch(_bolt_request(submission, "form"))).status == 200
    assert values == [state]


# ====================================================================== FakeBotConnector


async def test_service_url_and_send_to_colon_semicolon_at_ids(
    connector: FakeBotConnector, connector_client: ConnectorClient
) -> None:
    assert connector.service_url.startswith("http://127.0.0.1:")
    assert connector.service_url.endswith("/")
    activity = Activity(type=ActivityTypes.message, text="hello channel")
    sent = await connector_client.conversations.send_to_conversation(TEAMS_CHANNEL_CONV, activity)
    assert sent.id == "activity-1"
    [call] = connector.calls
    assert (call.method, call.operation) == ("POST", "send")
    assert call.conversation_id == TEAMS_CHANNEL_CONV
    assert call.activity_id is None
    assert call.path.startswith("/v3/conversations/") and "//" not in call.path
    assert call.body["text"] == "hello channel"
    assert "Authorization" not in call.headers  # anonymous credentials
    assert connector.activities_in(TEAMS_CHANNEL_CONV) == [call.body]


async def test_reply_update_delete(connector: FakeBotConnector, connector_client: ConnectorClient) -> None:
    conv = "a:1abc;x@y"
    ops = connector_client.conversations
    reply = await ops.reply_to_activity(conv, "1:orig@id", Activity(type="message", text="re"))
    updated = await ops.update_activity(conv, reply.id, Activity(type="message", text="edited"))
    assert updated.id == reply.id
    await ops.delete_activity(conv, reply.id)
    assert [(c.method, c.operation, c.conversation_id, c.activity_id) for c in connector.calls] == [
        ("POST", "reply", conv, "1:orig@id"),
        ("PUT", "update", conv, reply.id),
        ("DELETE", "delete", conv, reply.id),
    ]
    assert [a["text"] for a in await connector.wait_for_activities(2)] == ["re", "edited"]
    assert len(await connector.wait_for_calls("delete")) == 1


async def test_create_conversation_and_members(
    connector: FakeBotConnector, connector_client: ConnectorClient
) -> None:
    ana = {
        "id": "29:1ana",
        "name": "Ana",
        "aadObjectId": "aad-ana",
        "userPrincipalName": "ana@example.com",
        "tenantId": "tenant-1",
    }
    params = ConversationParameters(
        is_group=False,
        bot=ChannelAccount(id="28:bot"),
        members=[ChannelAccount(id="29:1ana")],
        tenant_id="tenant-1",
    )
    created = await connector_client.conversations.create_conversation(params)
    assert created.id == "a:new-1"
    assert created.service_url == connector.service_url
    assert connector.calls[0].body["members"] == [{"id": "29:1ana"}]

    connector.add_members(TEAMS_CHANNEL_CONV, [ana] + [{"id": f"29:{n}", "name": f"u{n}"} for n in range(4)])
    members = await connector_client.conversations.get_conversation_members(TEAMS_CHANNEL_CONV)
    assert [m.id for m in members][:2] == ["29:1ana", "29:0"]
    assert members[0].name == "Ana"

    ids: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        page = await connector_client.conversations.get_conversation_paged_members(
            TEAMS_CHANNEL_CONV, page_size=2, continuation_token=token
        )
        pages += 1
        ids.extend(m.id for m in page.members)
        token = page.continuation_token
        if not token:
            break
    assert pages == 3
    assert ids == ["29:1ana", "29:0", "29:1", "29:2", "29:3"]
    assert connector.calls[-1].query == {"pageSize": "2", "continuationToken": "page-4"}

    with pytest.raises(HttpOperationError) as err:
        await connector_client.conversations.get_conversation_members("a:unknown")
    assert err.value.response.status_code == 404


async def test_connector_fail_next(connector: FakeBotConnector, connector_client: ConnectorClient) -> None:
    connector.fail_next(status=429, retry_after=3)
    with pytest.raises(ErrorResponseException) as err:
        await connector_client.conversations.send_to_conversation("a:1", Activity(type="message", text="x"))
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "3"
    assert connector.activities == []
    ok = await connector_client.conversations.send_to_conversation("a:1", Activity(type="message", text="x"))
    assert ok.id
    assert [c.status for c in connector.calls] == [429, 200]
    with pytest.raises(AssertionError, match="429"):
        await connector.wait_for_activities(2, timeout=0.05)
    connector.clear()
    assert connector.calls == [] and connector.activities == []


# ====================================================================== activities


def test_message_activity_deserializes_like_teams() -> None:
    data = message_activity("standings", service_url="http://svc/", mentions_bot=True)
    activity = Activity().deserialize(data)
    assert activity.type == "message"
    assert activity.channel_id == "msteams"
    assert activity.from_property.id == "29:1ana"
    assert activity.from_property.aad_object_id
    assert activity.recipient.id == "28:bot"
    assert activity.conversation.conversation_type == "personal"
    # Teams sends conversation.tenantId, but botbuilder's ConversationAccount maps "tenantID".
    assert data["conversation"]["tenantId"] == "tenant-1"
    assert activity.local_timezone == "Europe/Copenhagen"
    assert activity.local_timestamp is not None and activity.local_timestamp.utcoffset() is not None
    assert activity.timestamp is not None and activity.timestamp.utcoffset() is not None
    mentions = activity.get_mentions()
    assert [m.additional_properties["mentioned"]["id"] for m in mentions] == ["28:bot"]
    assert TurnContext.remove_recipient_mention(activity).strip() == "standings"
    assert teams_get_channel_data(activity).tenant.id == "tenant-1"
    client_info = [e for e in data["entities"] if e["type"] == "clientInfo"]
    assert client_info[0]["timezone"] == "Europe/Copenhagen"

    other = message_activity(
        "gg <at>Bo</at>", service_url="http://svc/", mentions=[mention_entity("29:1bo", "Bo")]
    )
    assert [m["mentioned"]["id"] for m in other["entities"] if m["type"] == "mention"] == ["29:1bo"]


def test_channel_and_update_activities() -> None:
    data = channel_message_activity("hi", service_url="http://svc/", activity_id="1700000000999")
    activity = Activity().deserialize(data)
    assert activity.conversation.id == "19:general0001@thread.tacv2;messageid=1700000000999"
    assert activity.conversation.conversation_type == "channel"
    assert activity.text.startswith("<at>champbot</at> ")
    assert teams_get_team_info(activity).id == "19:team0001@thread.tacv2"
    assert teams_get_channel_id(activity) == "19:general0001@thread.tacv2"

    update = Activity().deserialize(
        conversation_update_activity([{"id": "28:bot"}], service_url="http://svc/")
    )
    assert update.type == ActivityTypes.conversation_update
    assert [m.id for m in update.members_added] == ["28:bot"]
    card = Activity().deserialize(card_action_activity({"verb": "vote"}, service_url="http://svc/"))
    assert card.type == "message" and card.text is None and card.value == {"verb": "vote"}
    invoke = Activity().deserialize(invoke_activity("task/fetch", {"a": 1}, service_url="http://svc/"))
    assert (invoke.type, invoke.name, invoke.value) == ("invoke", "task/fetch", {"a": 1})


class _EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        text = TurnContext.remove_recipient_mention(turn_context.activity) or ""
        await turn_context.send_activity(f"echo {text.strip()}")

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        if any(m.id == turn_context.activity.recipient.id for m in members_added):
            await turn_context.send_activity("thanks for installing")


async def test_botbuilder_adapter_replies_through_fake_connector(connector: FakeBotConnector) -> None:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_EmptyConfig()))
    bot = _EchoBot()
    incoming = channel_message_activity("standings", service_url=connector.service_url)
    await adapter.process_activity("", Activity().deserialize(incoming), bot.on_turn)
    installed = conversation_update_activity([{"id": "28:bot"}], service_url=connector.service_url)
    await adapter.process_activity("", Activity().deserialize(installed), bot.on_turn)
    [echo, welcome] = await connector.wait_for_activities(2)
    assert echo["text"] == "echo standings"
    assert echo["conversation"]["id"] == incoming["conversation"]["id"]
    assert echo["replyToId"] == incoming["id"]
    assert welcome["text"] == "thanks for installing"
    # botbuilder replies to messages, but *sends* for conversationUpdate (no activity id to reply to)
    assert [c.operation for c in connector.calls] == ["reply", "send"]
    assert connector.calls[0].conversation_id == incoming["conversation"]["id"]
    assert connector.calls[0].activity_id == incoming["id"]


class _EmptyConfig:
    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""
