"""HR campaigns over signed Slack HTTP: an admin types `/champ nudge …`; the fake Slack Web API
sees the channel read in pages, one DM per person, and the admin's progress message edited live."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlmodel import col, select

from bot.app import Server, serve
from bot.clock import FrozenClock
from bot.config import Settings
from jobs.registry import find
from jobs.runner import run_job
from storage.models import Campaign, CampaignOccurrence, OutboxMessage
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, make_settings
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
        try:
            await slack.wait_for("chat.update", len(slack.calls_to("chat.update")) + 1, timeout=1.5)
        except AssertionError:
            pass  # nothing changed in that look; the next one will tell
    raise AssertionError(f"the campaign never finished; last progress: {progress_updates(slack)[-1:]}")


def counts_in(shown: str) -> dict[str, int]:
    found = re.search(r"Sent \*(\d+)\* · failed \*(\d+)\* · pending \*(\d+)\* · of (\d+)", shown)
    assert found, shown
    return dict(zip(("sent", "failed", "pending", "total"), map(int, found.groups()), strict=True))


async def rows(server: Server, model: Any, *where: Any) -> list[Any]:
    async with server.core.database.session() as session:
        return list((await session.exec(select(model).where(*where))).all())


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
        "nudge schedule <#C0STAFF|all-staff> now Hi <!channel>, our AI week starts Monday. <@U00001> says hi!",
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

    pages = slack_api.calls_to("conversations.members")
    assert len(pages) >= 2 and pages[1].args.get("cursor")  # read page by page
    assert len(slack_api.calls_to("users.list")) <= 5  # bots and zones from one bulk read

    # The admin's DM: posted once, then edited in place, never faster than one look per 3 s.
    first = [c for c in slack_api.calls_to("chat.postMessage") if c.args["channel"] == "UADMIN"]
    assert len(first) == 1 and "Campaign #1" in text_of(first[0].args).replace("*", "")
    assert len(shown) >= 2
    final = counts_in(shown[-1])
    assert final == {"sent": STAFF - 2, "failed": 3, "pending": 0, "total": STAFF + 1}
    assert "`account_inactive` × 2" in shown[-1] and "`channel_not_found` × 1" in shown[-1]
    assert "▓" * 20 in shown[-1] and "100 %" in shown[-1]
    middle = [counts_in(text) for text in shown[:-1]]
    assert any(0 < c["sent"] < STAFF - 2 for c in middle) or len(shown) == 2
    sent = [c["sent"] for c in map(counts_in, shown)]
    assert sent == sorted(sent)  # progress only moves forward


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
