"""Bad input to the question flow gets a clear answer and changes nothing; the random delay holds posts."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest
from sqlmodel import select

from bot.app import Server
from bot.clock import FrozenClock
from bot.config import Settings
from storage.models import AnonVote, OutboxMessage, Question, QuestionAnswer, QuestionFollowUp
from tests.conftest import BOT_TOKEN, NOW, SIGNING_SECRET, base_url, make_settings
from tests.fakes import FakeSlackApi, SlackRequestFactory, plain_text_value, view_submission_body
from tests.questions_support import SentKeys, dm_saying
from tests.test_questions_slack import buttons, prepare, press, questions_posts, text_of
from tests.test_slack_http import slash


@pytest.fixture
def settings(database_url: str, slack_api: FakeSlackApi) -> Settings:
    return make_settings(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.base_url,
        qa_max_delay=120,
        qa_daily_limit=2,
    )


async def stored(server: Server) -> tuple[int, int, int, int]:
    """(questions, follow-ups, vote hashes, answers): what bad input must never change."""
    async with server.core.database.session() as session:
        return (
            len((await session.exec(select(Question))).all()),
            len((await session.exec(select(QuestionFollowUp))).all()),
            len((await session.exec(select(AnonVote))).all()),
            len((await session.exec(select(QuestionAnswer))).all()),
        )


async def test_a_question_waits_for_its_random_delay_before_it_is_posted(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    clock: FrozenClock,
) -> None:
    await prepare(http, server, signer, slack_api)
    sent = SentKeys(server.core.outbox)
    receipt = await slash(
        http, server, signer, slack_api, "ask Can AI write my performance review?", user_id="U1"
    )
    assert "within 2 minutes" in text_of(receipt) and "hides when you asked" in text_of(receipt)
    async with server.core.database.session() as session:
        row = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == "qa:q:1"))
        ).one()
        question = (await session.exec(select(Question))).one()
    assert NOW <= row.next_attempt_at <= NOW + timedelta(seconds=120)
    assert row.next_attempt_at == question.visible_at == row.created_at  # the ask time is not kept
    assert await server.core.outbox.sent_ref("qa:q:1") is None and questions_posts(slack_api) == []
    pending = await press(
        http, server, signer, slack_api, "ask.show", buttons(receipt)["ask.show"], user_id="U1"
    )
    assert "not posted yet" in text_of(pending)
    clock.advance(timedelta(seconds=121))
    await server.core.outbox.enqueue([])
    await sent.wait("qa:q:")
    assert len(questions_posts(slack_api)) == 1


async def test_too_long_or_empty_questions_are_refused_and_nothing_is_stored(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
) -> None:
    await prepare(http, server, signer, slack_api)
    answer = await slash(http, server, signer, slack_api, "ask " + "why " * 600, user_id="U1")
    assert "longer than 2,000 characters" in text_of(answer)
    # Empty can only come from the form (a bare `ask` opens it): spaces are refused.
    body = view_submission_body("ask.new", {"question": {"question": plain_text_value("   ")}}, user_id="U1")
    async with http.post(
        f"{base_url(server)}/slack/events", data=body, headers=signer.headers_for(body)
    ) as r:
        assert r.status == 200
    await dm_saying(slack_api, "U1", "Your question is empty")
    assert await stored(server) == (0, 0, 0, 0)


async def test_the_daily_limit_stops_the_next_question_and_lifts_the_next_day(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    clock: FrozenClock,
) -> None:
    await prepare(http, server, signer, slack_api)
    for number in (1, 2):
        answer = await slash(http, server, signer, slack_api, f"ask Question number {number}?", user_id="U1")
        assert f"*Q-{number}*" in text_of(answer)
    refused = await slash(http, server, signer, slack_api, "ask One more?", user_id="U1")
    assert "2 anonymous questions today" in text_of(refused)
    assert (await stored(server))[0] == 2
    other = await slash(http, server, signer, slack_api, "ask Someone else's question?", user_id="UADMIN")
    assert "*Q-3*" in text_of(other)  # the limit is per person
    clock.advance(timedelta(days=1))
    tomorrow = await slash(http, server, signer, slack_api, "ask A new day?", user_id="U1")
    assert "*Q-4*" in text_of(tomorrow)


async def test_unknown_receipts_missing_questions_and_non_champions_get_clear_answers(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    clock: FrozenClock,
) -> None:
    await prepare(http, server, signer, slack_api)
    sent = SentKeys(server.core.outbox)
    await slash(http, server, signer, slack_api, "ask Is there an AI policy?", user_id="U1")
    clock.advance(timedelta(seconds=121))
    await server.core.outbox.enqueue([])
    await sent.wait("qa:q:")
    before = await stored(server)

    forged = await press(http, server, signer, slack_api, "ask.show", "not-a-real-token", user_id="U1")
    assert "no longer valid" in text_of(forged)
    missing = await press(http, server, signer, slack_api, "qa.vote", "999", user_id="U1")
    assert "does not exist" in text_of(missing)
    garbage = await press(http, server, signer, slack_api, "qa.vote", "1; DROP TABLE question", user_id="U1")
    assert "does not exist" in text_of(garbage)
    employee = await press(http, server, signer, slack_api, "qa.answer", "1", user_id="U1")
    assert "Only AI champions" in text_of(employee)
    accept = await press(http, server, signer, slack_api, "qa.accept", "1", user_id="U2")
    assert "ikke noget svar at godkende" in text_of(accept)  # Bo reads Danish

    # A follow-up form submitted with a token that is not (or no longer) a receipt's.
    body = view_submission_body(
        "ask.followup",
        {"followup": {"followup": plain_text_value("More!")}},
        user_id="U1",
        private_metadata="x" * 32,
    )
    async with http.post(
        f"{base_url(server)}/slack/events", data=body, headers=signer.headers_for(body)
    ) as r:
        assert r.status == 200
    await dm_saying(slack_api, "U1", "no longer valid")
    # A champion's answer form submitted empty.
    body = view_submission_body(
        "qa.answer", {"answer": {"answer": plain_text_value("   ")}}, user_id="U2", private_metadata="1"
    )
    async with http.post(
        f"{base_url(server)}/slack/events", data=body, headers=signer.headers_for(body)
    ) as r:
        assert r.status == 200
    await dm_saying(slack_api, "U2", "nothing was posted", "intet blev sendt")
    assert await stored(server) == before
