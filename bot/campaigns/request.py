"""`nudge schedule <audience> <when> <what>` as one pure parse: the words after `schedule` in,
a campaign request or a catalog-keyed error out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.campaigns.audience import Audience, parse_audience
from bot.campaigns.what import Content, parse_what
from bot.campaigns.when import When, parse_when
from bot.errors import InputError
from bot.parsing import tokenize


@dataclass(frozen=True)
class ScheduleRequest:
    audience: Audience
    when: When
    content: Content


def parse_schedule(text: str, *, now: datetime, tz: ZoneInfo) -> ScheduleRequest:
    """Parse the words after `nudge schedule`; raises InputError with the reason."""
    tokens = tokenize(text)
    audience, used = parse_audience(tokens)
    when, used_when = parse_when(tokens[used:], now=now, tz=tz)
    used += used_when
    if used >= len(tokens):
        raise InputError("nudge.error.empty_text")
    content = parse_what(text[tokens[used].start :])
    return ScheduleRequest(audience, when, content)
