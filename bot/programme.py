"""Facts the programme features read from each other: the roster, the champions' work, the KPIs.

The monthly agenda needs new champions and terms ending (roster), stories and the Show & Tell
line-up (showcase) and the KPI snapshot (reports); the KPIs need pairing rounds, stories and hours
saved. The feature that owns a fact provides it with `deps.shared.provide(service, as_kind=...)`
under one of these protocols; a reader asks `deps.shared.find(...)` and, when it answers None (the
owning feature is not installed), says plainly that the source is empty instead of guessing.
Times are UTC-aware datetimes; a period is [start, end).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from bot.features import PersonKey


@dataclass(frozen=True)
class NewChampion:
    person: PersonKey
    name: str
    joined: date
    specialisation: str
    buddy_name: str | None  # None while no buddy could be found


@dataclass(frozen=True)
class TermEnding:
    person: PersonKey
    name: str
    ends: date


@dataclass(frozen=True)
class OverloadSignal:
    """A champion whose champion work took more than the agreed share without other work reduced."""

    person: PersonKey
    name: str
    month: str  # YYYY-MM
    share_band: str  # "0-5", "5-10", "10-20" or "20+" (percent of working time)


@dataclass(frozen=True)
class PairingTally:
    rounds: int
    pairs: int  # pairs and trios made
    met: int  # pairs and trios where anyone answered "we met"


class RosterFacts(Protocol):
    """Provided by the roster and buddies feature."""

    async def new_champions(self, start: datetime, end: datetime) -> list[NewChampion]: ...

    async def terms_ending(self, start: date, end: date) -> list[TermEnding]: ...

    async def overload_signals(self, start: datetime, end: datetime) -> list[OverloadSignal]: ...

    async def active_champions(self, at: datetime) -> int: ...

    async def pairing_tally(self, start: datetime, end: datetime) -> PairingTally: ...


@dataclass(frozen=True)
class SuccessStory:
    number: int
    author_name: str
    text: str
    benefited: str
    hours_saved_per_week: float | None
    quote: str
    posted: datetime


@dataclass(frozen=True)
class ShowTellSession:
    starts: datetime
    presenter_name: str | None  # None while the slot is free
    topic: str | None
    held: bool


class ShowcaseFacts(Protocol):
    """Provided by the Show & Tell, updates and stories feature."""

    async def stories(self, start: datetime, end: datetime) -> list[SuccessStory]: ...

    async def setbacks(self, start: datetime, end: datetime) -> list[str]: ...

    async def showtell_sessions(self, start: datetime, end: datetime) -> list[ShowTellSession]: ...

    async def hours_saved_per_week(self, at: datetime) -> float:
        """The latest figure each champion reported, summed over champions."""
        ...


@dataclass(frozen=True)
class KpiLine:
    key: str  # e.g. "adoption_rate"
    label: str  # in the reader's language
    value: str  # formatted, or "—" when hidden or unknown
    target: str
    status: str  # "on_track", "at_risk", "off_track" or "unknown"


class KpiFacts(Protocol):
    """Provided by the KPIs, surveys and reports feature."""

    async def snapshot(self, at: datetime, locale: str) -> list[KpiLine]: ...
