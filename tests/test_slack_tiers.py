"""Slack Web API tiers: lookups are spaced to each method's published per-minute limit."""

from __future__ import annotations

from handlers.slack.tiers import PER_MINUTE, TieredWebClient, bucket_for


def calls_in_first_minute(client: TieredWebClient, method: str) -> int:
    now, calls = 0.0, 0
    while now < 60.0:
        wait = client.wait_for(method, now)
        if wait == 0:
            calls += 1
        else:
            now += wait
    return calls


def test_users_info_keeps_to_tier_4_and_conversations_open_to_tier_3() -> None:
    client = TieredWebClient(token="xoxb-test")
    users_info = calls_in_first_minute(client, "users.info")
    opens = calls_in_first_minute(client, "conversations.open")
    # a quarter-minute burst, then the steady rate: never more than the tier allows plus that burst
    assert PER_MINUTE[4] <= users_info <= PER_MINUTE[4] + PER_MINUTE[4] // 4 + 1
    assert PER_MINUTE[3] <= opens <= PER_MINUTE[3] + PER_MINUTE[3] // 4 + 1


def test_methods_without_a_tier_are_never_held_back() -> None:
    client = TieredWebClient(token="xoxb-test")
    assert bucket_for("chat.postMessage") is None  # the outbox limiter owns it
    assert all(client.wait_for("chat.postMessage", 0.0) == 0 for _ in range(1000))


def test_unknown_files_methods_fall_back_to_tier_2() -> None:
    bucket = bucket_for("files.someNewMethod")
    assert bucket is not None and bucket.rate == PER_MINUTE[2] / 60
