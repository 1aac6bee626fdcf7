"""The README's default set-up as a person runs it: `champbot run` on SQLite, Slack over HTTP.

One process answers and works; one +1 per person and the daily `ask` limit hold in it, and still
hold after it is restarted within the day (the daily secret lives in the database).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.fakes import FakeSlackApi, SlackRequestFactory, block_actions_body, slash_command_body
from tests.test_questions_slack import buttons, questions_posts, text_of
from tests.test_server import Process

TIMEZONE = "Europe/Copenhagen"


class Bot:
    """A running `champbot run` child, driven with signed requests over real HTTP."""

    def __init__(self, database_url: str, slack: FakeSlackApi) -> None:
        self.slack = slack
        self.signer = SlackRequestFactory(SIGNING_SECRET)
        self.process = Process(
            CHAMPBOT_DATABASE_URL=database_url,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.base_url,
            CHAMPBOT_ADMINS="slack:UADMIN",
            CHAMPBOT_TIMEZONE=TIMEZONE,
            CHAMPBOT_QA_DAILY_LIMIT="2",
            CHAMPBOT_QA_MAX_DELAY="0",
        )
        self.url = ""

    async def start(self) -> None:
        ready = await asyncio.to_thread(self.process.wait_for, "champbot listening")
        assert "slack: http" in ready["message"]
        self.url = f"http://127.0.0.1:{ready['port']}/slack/events"

    async def stop(self) -> None:
        assert await asyncio.to_thread(self.process.stop) == 0

    def children(self) -> list[str]:
        """The process ids `champbot run` started (Linux names them in /proc)."""
        pid = self.process.popen.pid
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()

    async def _post(self, http: aiohttp.ClientSession, body: str) -> dict[str, Any]:
        before = len(self.slack.calls_to("response_url"))
        async with http.post(self.url, data=body, headers=self.signer.headers_for(body)) as response:
            assert response.status == 200
        return (await self.slack.wait_for("response_url", before + 1, timeout=30))[before].args

    async def command(self, http: aiohttp.ClientSession, text: str, user: str) -> str:
        body = slash_command_body(text, response_url=self.slack.response_url(), user_id=user)
        return text_of(await self._post(http, body))

    async def press(self, http: aiohttp.ClientSession, action: str, value: str, user: str, ts: str) -> str:
        body = block_actions_body(
            action,
            value,
            response_url=self.slack.response_url(),
            user_id=user,
            channel_id="CQUESTIONS",
            message_ts=ts,
        )
        return text_of(await self._post(http, body))


def today() -> str:
    return datetime.now(ZoneInfo(TIMEZONE)).date().isoformat()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts child processes through /proc")
async def test_one_vote_per_person_and_the_daily_ask_limit_hold_in_champbot_run_and_across_a_restart(
    tmp_path: Path, slack_api: FakeSlackApi
) -> None:
    database_url = f"sqlite:///{tmp_path / 'champbot.db'}"
    day = today()
    slack_api.add_user("U3", "cy", real_name="Cy", locale="en-US")
    async with aiohttp.ClientSession() as http:
        bot = Bot(database_url, slack_api)
        try:
            await bot.start()
            assert bot.children() == []  # one process: nothing is handed to a helper
            await bot.command(http, "setup questions <#CQUESTIONS|ai-questions>", "UADMIN")
            receipt = await bot.command(http, "ask Will AI write our quarterly report?", "U1")
            assert "*Q-1*" in receipt
            await slack_api.wait_for("chat.postMessage", timeout=30)
            for _ in range(100):  # the outbox posts it right after the command's transaction
                if questions_posts(slack_api):
                    break
                await slack_api.wait_for("chat.postMessage", len(slack_api.calls_to("chat.postMessage")) + 1)
            post = questions_posts(slack_api)[0]
            vote = buttons(post)["qa.vote"]
            ts = slack_api.messages_in("CQUESTIONS")[0]["ts"]

            assert "now has 1" in await bot.press(http, "qa.vote", vote, "U1", ts)
            assert "now has 2" in await bot.press(http, "qa.vote", vote, "UADMIN", ts)
            assert "already" in await bot.press(http, "qa.vote", vote, "U1", ts)
            assert "*Q-2*" in await bot.command(http, "ask Can I use Copilot for e-mail?", "U1")
            assert "daily limit" in await bot.command(http, "ask And for meeting notes?", "U1")
        finally:
            await bot.stop()

        restarted = Bot(database_url, slack_api)
        try:
            await restarted.start()
            again = await restarted.press(http, "qa.vote", vote, "U1", ts)
            assert "already" in again and "now has 3" not in again
            assert "daily limit" in await restarted.command(http, "ask One more, please?", "U1")
            assert "now has 3" in await restarted.press(http, "qa.vote", vote, "U3", ts)
        finally:
            await restarted.stop()
    if today() != day:  # the limits reset at local midnight; a run across it proves nothing
        pytest.skip("the day changed during the test; run it again")
