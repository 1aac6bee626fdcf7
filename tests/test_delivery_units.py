"""The delivery engine's pure parts: rate-limit arithmetic on a fake clock, and the message codec."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from bot.delivery import codec
from bot.delivery.limits import SLACK, TEAMS, Limiter, PlatformLimits, Window
from bot.delivery.worker import MAX_BACKOFF, backoff
from bot.messages import Actions, Button, Divider, Message, Note, Section
from bot.text import ChannelLink, Link, Markup, MentionUser, Text, UserText


def sends_within(limiter: Limiter, conversation: str, seconds: float, step: float = 0.001) -> list[float]:
    """Drive the limiter on a fake clock: send whenever allowed, return the send times."""
    sent, now = [], 0.0
    while now < seconds:
        wait = limiter.reserve(conversation, now)
        if wait == 0:
            sent.append(now)
        now += max(wait, step)
    return sent


def test_teams_per_conversation_windows_hold_for_every_sliding_interval() -> None:
    limiter = Limiter(
        PlatformLimits(rate_per_second=1000, burst=1000, per_conversation=TEAMS.per_conversation)
    )
    sent = sends_within(limiter, "a:1", 35.0)
    for window in TEAMS.per_conversation:
        for index, start in enumerate(sent):
            in_window = [t for t in sent[index:] if t < start + window.seconds]
            assert len(in_window) <= window.limit, (window, start)
    assert len([t for t in sent if t < 30]) == 60  # the 30-second window is the one that binds


def test_slack_allows_one_message_per_second_per_channel_but_many_channels_at_once() -> None:
    limiter = Limiter(SLACK)
    assert limiter.reserve("C1", 0.0) == 0.0
    assert 0.99 < limiter.reserve("C1", 0.0) <= 1.0
    assert all(limiter.reserve(f"D{i}", 0.0) == 0.0 for i in range(SLACK.burst - 1))


def test_the_app_wide_bucket_sustains_its_rate_after_the_burst() -> None:
    limiter = Limiter(PlatformLimits(rate_per_second=20, burst=20, per_conversation=(Window(1, 1.0),)))
    times, now, n = [], 0.0, 0
    while now < 10.0:
        wait = limiter.reserve(f"D{n}", now)
        if wait == 0:
            times.append(now)
            n += 1
        else:
            now += wait
    assert 20 + 20 * 10 - 2 <= len(times) <= 20 + 20 * 10 + 1


def test_retry_after_pauses_everything_exactly_that_long_and_slows_the_rate() -> None:
    limiter = Limiter(SLACK)
    limiter.rate_limited(retry_after=3.0, now=10.0)
    assert limiter.reserve("D1", 10.0) == 3.0
    assert limiter.reserve("D1", 12.999) > 0
    assert limiter.rate < SLACK.rate_per_second
    for _ in range(200):
        limiter.succeeded()
    assert limiter.rate == SLACK.rate_per_second  # earns its way back, never above the configured rate


def test_repeated_429s_never_cut_the_rate_below_its_floor() -> None:
    limiter = Limiter(SLACK)
    for second in range(50):
        limiter.rate_limited(1.0, float(second))
    assert limiter.rate == SLACK.rate_per_second * SLACK.min_rate_share


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    rng = random.Random(7)
    first, fifth = backoff(1, rng).total_seconds(), backoff(5, rng).total_seconds()
    assert 1 <= first <= 2 and 16 <= fifth <= 32
    assert backoff(40, rng) <= MAX_BACKOFF


texts = st.lists(
    st.one_of(
        st.builds(Markup, st.text()),
        st.builds(UserText, st.text()),
        st.builds(MentionUser, st.text(min_size=1), st.text()),
        st.builds(ChannelLink, st.text(min_size=1), st.text()),
        st.builds(Link, st.text(), st.text()),
    ),
    max_size=4,
).map(lambda spans: Text(tuple(spans)))
buttons = st.builds(
    Button, st.text(), st.text(), st.text(), st.sampled_from(["default", "primary", "danger"])
)
blocks = st.one_of(
    st.builds(Section, texts, st.lists(st.tuples(st.text(), texts), max_size=3).map(tuple)),
    st.builds(Actions, st.lists(buttons, max_size=3).map(tuple)),
    st.builds(Note, texts),
    st.just(Divider()),
)


@given(st.lists(blocks, max_size=5).map(lambda b: Message(tuple(b))))
def test_every_message_survives_the_outbox_unchanged(message: Message) -> None:
    assert codec.loads(codec.dumps(message)) == message
