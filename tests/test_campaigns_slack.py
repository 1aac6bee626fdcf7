"""HR campaigns over signed Slack HTTP: an admin types `/champ nudge …`; the fake Slack Web API
sees the channel read in pages, one DM per person, and the admin's progress message edited live."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlmodel import col, select

from bot.app import Server, serve
from bot.campaigns.service import CampaignService
from bot.clock import FrozenClock
from bot.config import Settings
from jobs.registry import find
from jobs.runner import run_job
from storage.models import Campaign, CampaignOccurrence, OutboxMessage
from tests import cli as tests_cli
from tests.conftest import BOT_TOKEN, NOW, SIGNING_SECRET, make_settings
from tests.fakes import FakeSlackApi, SlackRequestFactory
from tests.test_slack_http import slash, text_of

STAFF = 2000
ZONES = ("Europe/Copenhagen", "America/New_York", "Asia/Singapore")


def staff_id(n: int) -> str:
    return f"U{n:05d}"


@pytest.fixture
def settings(database_url: str, slack_api: FakeSlackApi) -> Settings:
    """As in conftest, with the outbox allowed to go as fast as the fake answers."""
    return make_settings(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.base_url,
        slack_rate=1000.0,
    )


def add_staff(slack: FakeSlackApi, size: int, channel: str = "C0STAFF", extra: tuple[str, ...] = ()) -> None:
    for n in range(size):
        slack.add_user(staff_id(n), f"person{n}", tz=ZONES[n % 3])
    slack.add_user("UROBOT", "standup-bot", is_bot=True)
    slack.add_user("UGONE", "left-last-year", deleted=True)
    members = [staff_id(n) for n in range(size)] + ["UROBOT", "UGONE", *extra]
    slack.add_channel(channel, "all-staff", members)


def campaign_dms(slack: FakeSlackApi, campaign_id: int = 1) -> Counter[str]:
    """Who received a message of the campaign, by its outbox key (the metadata on each post)."""
    prefix = f"campaign:{campaign_id}:"
    received: Counter[str] = Counter()
    for call in slack.calls_to("chat.postMessage"):
        key = ((call.args.get("metadata") or {}).get("event_payload") or {}).get("key") or ""
        if call.response.get("ok") and key.startswith(prefix):
            received[call.args["channel"]] += 1
    return received


def progress_updates(slack: FakeSlackApi, channel: str = "DUADMIN") -> list[str]:
    return [text_of(call.args) for call in slack.calls_to("chat.update") if call.args["channel"] == channel]


async def until_done(slack: FakeSlackApi, clock: FrozenClock, *, steps: int = 400) -> list[str]:
    """Let time pass three seconds at a look until the admin's message says the campaign is done."""
    for _ in range(steps):
        shown = progress_updates(slack)
        if shown and "is done" in shown[-1]:
            return shown
        clock.advance(timedelta(seconds=3))
        with contextlib.suppress(AssertionError):  # nothing changed in that look; the next one will tell
            await slack.wait_for("chat.update", len(slack.calls_to("chat.update")) + 1, timeout=1.5)
    raise AssertionError(f"the campaign never finished; last progress: {progress_updates(slack)[-1:]}")


def counts_in(shown: str) -> dict[str, int]:
    found = re.search(r"Sent \*(\d+)\* · failed \*(\d+)\* · pending \*(\d+)\* · of (\d+)", shown)
    assert found, shown
    return dict(zip(("sent", "failed", "pending", "total"), map(int, found.groups()), strict=True))


async def rows(server: Server, model: Any, *where: Any) -> list[Any]:
    async with server.core.database.session() as session:
        return list((await session.exec(select(model).where(*where))).all())


@pytest.mark.timeout(900)  # 2,000 real HTTP sends; slow on a busy CI machine
async def test_a_campaign_to_a_channel_of_2000_reaches_each_member_once_with_live_progress(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    clock: FrozenClock,
) -> None:
    add_staff(slack_api, STAFF, extra=("UGHOST",))  # UGHOST: a member Slack cannot deliver to
    slack_api.schedule_faults(
        "chat.postMessage", lambda n: (200, None, "account_inactive") if n in (500, 1500) else None
    )
    answer = await slash(
        http,
        server,
        signer,
        slack_api,
        "nudge schedule <#C0STAFF|all-staff> now Hi <!channel>, AI week starts Monday. <@U00001> says hi!",
        user_id="UADMIN",
        user_name="hanne",
    )
    assert answer["response_type"] == "ephemeral"
    assert "Campaign *#1* scheduled: now." in text_of(answer)
    assert "direct message" in text_of(answer)

    shown = await until_done(slack_api, clock)

    received = campaign_dms(slack_api)
    assert set(received.values()) == {1}
    everyone = {staff_id(n) for n in range(STAFF)}
    assert set(received) <= everyone and len(received) == STAFF - 2  # two were refused: account_inactive
    assert "UROBOT" not in received and "UGONE" not in received and "UBOT" not in received
    dm = next(c.args for c in slack_api.calls_to("chat.postMessage") if c.args["channel"] == staff_id(7))
    assert "AI week starts Monday" in dm["text"]
    assert "<!channel>" not in str(dm) and "<@U00001>" not in str(dm)  # their words never ping anyone

    pages = slack_api.calls_to("conversations.members")
    assert len(pages) >= 4 and any(page.args.get("cursor") for page in pages)  # read page by page
    assert len(slack_api.calls_to("users.list")) <= 5  # bots and zones from one bulk read

    # The admin's DM: posted once, then edited in place, never faster than one look per 3 s.
    first = [c for c in slack_api.calls_to("chat.postMessage") if c.args["channel"] == "UADMIN"]
    assert len(first) == 1 and "Campaign #1" in text_of(first[0].args).replace("*", "")
    assert len(shown) >= 2
    looks = (clock.now() - NOW) / timedelta(seconds=3)
    assert len(shown) <= looks + 2  # one edit per 3 s of the Clock at most (plus the first and the last)
    final = counts_in(shown[-1])
    assert final == {"sent": STAFF - 2, "failed": 3, "pending": 0, "total": STAFF + 1}
    assert "`account_inactive` × 2" in shown[-1] and "`channel_not_found` × 1" in shown[-1]
    assert "▓" * 20 in shown[-1] and "100 %" in shown[-1]
    middle = [counts_in(text) for text in shown[:-1]]
    assert any(0 < c["sent"] < STAFF - 2 for c in middle) or len(shown) == 2
    sent = [c["sent"] for c in map(counts_in, shown)]
    assert sent == sorted(sent)  # progress only moves forward


@pytest.mark.timeout(900)
async def test_a_restart_half_way_loses_and_duplicates_nothing(
    settings: Settings,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    clock: FrozenClock,
) -> None:
    add_staff(slack_api, STAFF)
    slow = settings.model_copy(update={"slack_rate": 150.0})
    async with serve(slow, clock=clock) as first:
        await slash(
            http,
            first,
            signer,
            slack_api,
            "nudge schedule <#C0STAFF|all-staff> now Lunch talk at 12!",
            user_id="UADMIN",
        )
        await slack_api.wait_for("chat.postMessage", 400, timeout=60)
    halfway = sum(campaign_dms(slack_api).values())
    assert 300 <= halfway < STAFF

    async with serve(settings, clock=clock) as second:
        shown = await until_done(slack_api, clock)
        campaign = (await rows(second, Campaign))[0]
    received = campaign_dms(slack_api)
    assert len(received) == STAFF and set(received.values()) == {1}
    assert counts_in(shown[-1]) == {"sent": STAFF, "failed": 0, "pending": 0, "total": STAFF}
    assert campaign.status == "done"


async def schedule(
    http: aiohttp.ClientSession, server: Server, signer: SlackRequestFactory, slack: FakeSlackApi, words: str
) -> str:
    return text_of(await slash(http, server, signer, slack, f"nudge {words}", user_id="UADMIN"))


async def tick(server: Server) -> None:
    job = find(server.core, "campaign_tick")
    assert job is not None
    await run_job(server.core, job)


async def outbox(server: Server, campaign_id: int = 1) -> dict[str, OutboxMessage]:
    found = await rows(server, OutboxMessage, OutboxMessage.campaign == f"campaign:{campaign_id}")
    return {row.target: row for row in found}


def trio(slack: FakeSlackApi) -> None:
    slack.add_user("UCPH", "mette", tz="Europe/Copenhagen")
    slack.add_user("UNYC", "jake", tz="America/New_York")
    slack.add_user("USGP", "wei", tz="Asia/Singapore")
    slack.add_channel("C0TRIO", "trio", ["UCPH", "UNYC", "USGP"])


async def test_a_local_campaign_reaches_each_person_at_their_own_nine_o_clock(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    clock: FrozenClock,
) -> None:
    trio(slack_api)
    shown = await schedule(
        http, server, signer, slack_api, "schedule <#C0TRIO|trio> 2026-11-25 09:00 local Good morning!"
    )
    assert "scheduled: 2026-11-25 09:00 in each person's own time zone" in shown
    await tick(server)
    assert await outbox(server) == {}  # nobody on earth has reached 09:00 on the 25th yet

    clock.set(datetime(2026, 11, 24, 19, 0, 30, tzinfo=UTC))  # 09:00 on the 25th at UTC+14
    await tick(server)
    await tick(server)  # the same minute again: claimed once
    await server.core.service(CampaignService).tick(clock.now())  # and a stray direct tick adds nothing
    held = {target: row.next_attempt_at for target, row in (await outbox(server)).items()}
    assert held == {
        "UCPH": datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
        "UNYC": datetime(2026, 11, 25, 14, 0, tzinfo=UTC),
        "USGP": datetime(2026, 11, 25, 1, 0, tzinfo=UTC),
    }

    clock.set(datetime(2026, 11, 25, 1, 0, tzinfo=UTC))  # 09:00 in Singapore
    await slack_api.wait_for("chat.postMessage", 2, timeout=10)  # the progress DM, then Wei's
    assert set(campaign_dms(slack_api)) == {"USGP"}


async def test_cancel_stops_the_messages_that_have_not_gone_out(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    clock: FrozenClock,
) -> None:
    trio(slack_api)
    await schedule(
        http, server, signer, slack_api, "schedule <#C0TRIO|trio> 2026-11-25 09:00 local Good morning!"
    )
    clock.set(datetime(2026, 11, 24, 19, 0, 30, tzinfo=UTC))
    await tick(server)
    clock.set(datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
    await slack_api.wait_for("chat.postMessage", 2, timeout=10)

    answer = await schedule(http, server, signer, slack_api, "cancel 1")
    assert "Campaign *#1* cancelled. 2 messages that had not gone out yet will not be sent." in answer
    again = await schedule(http, server, signer, slack_api, "cancel 1")
    assert "has already ended (cancelled)" in again

    clock.set(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))  # past everyone's 09:00
    await schedule(http, server, signer, slack_api, "schedule <@USGP> now One more thing")
    await slack_api.wait_for("chat.postMessage", 4, timeout=10)  # progress DM #2 and its one message
    assert set(campaign_dms(slack_api, 2)) == {"USGP"}
    assert set(campaign_dms(slack_api, 1)) == {"USGP"}  # Mette and Jake never got campaign 1
    states = {target: (row.state, row.last_error) for target, row in (await outbox(server)).items()}
    assert states == {"USGP": ("sent", None), "UCPH": ("dead", "cancelled"), "UNYC": ("dead", "cancelled")}
    last = progress_updates(slack_api)
    assert any("was cancelled" in text and "stopped learning: 2" in text for text in last)


async def test_a_weekly_campaign_makes_one_occurrence_a_week_even_when_the_tick_runs_twice(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    clock: FrozenClock,
) -> None:
    shown = await schedule(
        http,
        server,
        signer,
        slack_api,
        "schedule <@U1> <@U2> every tuesday 10:00 Weekly AI tip: ask it to critique your draft.",
    )
    assert "every Tuesday at 10:00 (Europe/Copenhagen)" in shown  # it is Tuesday 10:30: next week
    await tick(server)
    assert await outbox(server) == {}

    clock.set(datetime(2026, 12, 1, 9, 0, 30, tzinfo=UTC))  # Tuesday 10:00:30 in Copenhagen
    core = server.core
    await asyncio.gather(tick(server), tick(server), core.service(CampaignService).tick(clock.now()))
    await core.service(CampaignService).tick(clock.now())
    clock.set(datetime(2026, 12, 8, 9, 0, 30, tzinfo=UTC))
    await asyncio.gather(
        core.service(CampaignService).tick(clock.now()), core.service(CampaignService).tick(clock.now())
    )

    occurrences = await rows(server, CampaignOccurrence)
    assert sorted(o.occurrence for o in occurrences) == ["2026-12-01", "2026-12-08"]
    keys = sorted(
        row.idempotency_key
        for row in await rows(server, OutboxMessage, col(OutboxMessage.campaign) == "campaign:1")
    )
    assert keys == [
        "campaign:1:U1:2026-12-01",
        "campaign:1:U1:2026-12-08",
        "campaign:1:U2:2026-12-01",
        "campaign:1:U2:2026-12-08",
    ]
    campaign = (await rows(server, Campaign))[0]
    assert campaign.next_occurrence == "2026-12-15"
    listed = await schedule(http, server, signer, slack_api, "list")
    assert "*#1*" in listed and "every Tuesday at 10:00" in listed and "2 people" in listed


@pytest.mark.parametrize(
    "words, says",
    [
        ("schedule", "Say who should get it"),
        ("schedule somebody now hi", "“somebody” is not an audience"),
        ("schedule everyone", "Say when"),
        ("schedule everyone tomorrow hi", "“tomorrow” is not a time"),
        ("schedule everyone every someday 10:00 hi", "“someday” is not a weekday"),
        ("schedule everyone every friday 9h hi", "“9h” is not a time of day"),
        ("schedule everyone 2026-02-30 09:00 hi", "“2026-02-30” is not a date in the calendar"),
        ("schedule everyone 2026-11-01 09:00 hi", "2026-11-01 09:00 has already passed"),
        ("schedule everyone now", "Say what to send"),
        ("schedule everyone now lesson:no-such-lesson", "There is no lesson “no-such-lesson”"),
        ("schedule track:astrology now hi", "There is no track “astrology”"),
        ("schedule function:astrologers now hi", "There is no function “astrologers”. Use one of: `sales`"),
        ("schedule everyone now track:astrology", "There is no track “astrology”"),
        ("status 42", "There is no campaign #42"),
        ("cancel soon", "There is no campaign #soon"),
        ("launch", "Usage:"),
    ],
)
async def test_bad_campaign_words_get_a_clear_answer_and_store_nothing(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    words: str,
    says: str,
) -> None:
    shown = await schedule(http, server, signer, slack_api, words)
    assert says in shown and "Usage:" in shown
    assert await rows(server, Campaign) == []
    assert await rows(server, OutboxMessage) == []


async def test_only_admins_may_run_campaigns(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    answer = await slash(http, server, signer, slack_api, "nudge schedule everyone now hi", user_id="U1")
    assert "needs the *admin* role" in text_of(answer)
    assert await rows(server, Campaign) == []


def buttons(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (element.get("action_id", ""), element.get("value", ""))
        for block in payload.get("blocks", [])
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    ]


async def test_a_lesson_campaign_sends_the_lesson_with_its_buttons_and_skips_people_who_stopped(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    clock: FrozenClock,
) -> None:
    slack_api.add_user("U3", "carl", tz="Europe/Copenhagen")
    await slash(http, server, signer, slack_api, "learn enrol <@U3>", user_id="UADMIN")
    stopped = await slash(http, server, signer, slack_api, "learn stop", user_id="U3", user_name="carl")
    assert stopped["response_type"] == "ephemeral"

    await schedule(http, server, signer, slack_api, "schedule <@U1> <@U2> <@U3> now lesson:foundations-03")
    shown = await until_done(slack_api, clock)
    assert counts_in(shown[-1]) == {"sent": 2, "failed": 0, "pending": 0, "total": 2}
    lessons = {
        call.args["channel"]: call.args
        for call in slack_api.calls_to("chat.postMessage")
        if call.args["channel"] in {"U1", "U2", "U3"}
        and buttons(call.args)
        and str(call.args.get("metadata", "")).find("campaign:1:") >= 0
    }
    assert set(lessons) == {"U1", "U2"}  # Carl stopped learning: no lesson for him
    assert ("learn.start", "foundations-03") in buttons(lessons["U1"])
    # Bo's Slack locale is Danish, so his copy of the lesson is the Danish one.
    assert lessons["U1"]["text"] != lessons["U2"]["text"]


async def test_a_track_campaign_sends_each_person_their_next_lesson(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    clock: FrozenClock,
) -> None:
    await schedule(http, server, signer, slack_api, "schedule <@U1> now track:foundations")
    shown = await until_done(slack_api, clock)
    assert counts_in(shown[-1])["sent"] == 1
    dm = next(c.args for c in slack_api.calls_to("chat.postMessage") if c.args["channel"] == "U1")
    assert any(action == "learn.start" and "foundations-" in value for action, value in buttons(dm))


async def test_a_person_who_stops_learning_mid_campaign_gets_nothing_more(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    clock: FrozenClock,
) -> None:
    slack_api.add_user("U3", "carl", tz="Europe/Copenhagen")
    await slash(http, server, signer, slack_api, "learn enrol <@U1> <@U3>", user_id="UADMIN")
    await schedule(
        http, server, signer, slack_api, "schedule <@U1> <@U3> 2026-11-25 09:00 local lesson:foundations-04"
    )
    clock.set(datetime(2026, 11, 24, 19, 0, 30, tzinfo=UTC))
    await tick(server)
    assert {target: row.state for target, row in (await outbox(server)).items()} == {
        "U1": "pending",
        "U3": "pending",
    }

    await slash(http, server, signer, slack_api, "learn stop", user_id="U3", user_name="carl")
    clock.advance(timedelta(minutes=1))
    await tick(server)
    clock.set(datetime(2026, 11, 25, 8, 0, 30, tzinfo=UTC))  # 09:00 in Copenhagen for both
    shown = await until_done(slack_api, clock)
    assert set(campaign_dms(slack_api)) == {"U1"}
    assert (await outbox(server))["U3"].last_error == "stopped_learning"
    assert counts_in(shown[-1]) == {"sent": 1, "failed": 0, "pending": 0, "total": 2}
    assert "stopped learning: 1" in shown[-1]


async def test_here_means_the_members_of_the_channel_the_admin_typed_in(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    clock: FrozenClock,
) -> None:
    answer = await schedule(http, server, signer, slack_api, "schedule here now Coffee and prompts at 3 pm")
    assert "Campaign *#1* scheduled" in answer
    shown = await until_done(slack_api, clock)
    assert set(campaign_dms(slack_api)) == {"UADMIN", "U1", "U2"}  # #general, without the bot itself
    assert counts_in(shown[-1]) == {"sent": 3, "failed": 0, "pending": 0, "total": 3}
    status = await schedule(http, server, signer, slack_api, "status 1")
    assert "Campaign #1" in status.replace("*", "") and "is done" in status and "Sent *3*" in status
    direct = await slash(
        http, server, signer, slack_api, "nudge schedule here now hi", user_id="UADMIN", channel_id="DUADMIN"
    )
    assert "in a direct chat, name a #channel" in text_of(direct)


async def test_running_the_tick_from_a_shell_leaves_campaigns_to_a_process_that_can_send(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    clock: FrozenClock,
    settings: Settings,
) -> None:
    await schedule(
        http, server, signer, slack_api, "schedule <@U1> 2026-11-25 09:00 Reminder: AI clinic today"
    )
    clock.set(datetime(2026, 11, 25, 8, 0, 30, tzinfo=UTC))
    shell = tests_cli.champbot("jobs", "run", "campaign_tick", CHAMPBOT_DATABASE_URL=settings.database_url)
    assert shell.returncode == 0, shell.stderr
    campaign = (await rows(server, Campaign))[0]
    assert campaign.status == "scheduled" and await outbox(server) == {}  # no Slack in that shell
    await tick(server)
    await slack_api.wait_for("chat.postMessage", 2, timeout=10)
    assert set(campaign_dms(slack_api)) == {"U1"}
