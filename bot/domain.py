"""Domain vocabulary shared by every service and edge: platforms, roles, people, places."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Platform(StrEnum):
    SLACK = "slack"
    TEAMS = "teams"
    CONSOLE = "console"


class Role(StrEnum):
    """Roles in rising order of trust; an admin may do what a champion may."""

    EMPLOYEE = "employee"
    CHAMPION = "champion"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]


# Looked up, not searched: help and every permission check compare ranks many times per request.
_RANK = {role: position for position, role in enumerate(Role)}


class ChannelPurpose(StrEnum):
    QUESTIONS = "questions"
    CHAMPIONS = "champions"
    LEADERSHIP = "leadership"
    SHOWTELL = "showtell"


@dataclass(frozen=True)
class Actor:
    """The person behind an inbound event, as the edge saw them."""

    platform: Platform
    user_id: str
    display_name: str = ""
    locale: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class Conversation:
    """Where an event happened: a channel, a group or a direct chat with the bot."""

    platform: Platform
    conversation_id: str
    is_direct: bool = False
    name: str = ""
    thread_id: str | None = None
