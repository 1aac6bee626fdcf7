"""Who is speaking, with the roles, language and time zone the core should use for them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import Actor, Platform, Role


@dataclass(frozen=True)
class Identity:
    actor: Actor
    roles: frozenset[Role]
    bootstrap_admin: bool
    locale: str
    timezone: str
    timezone_source: str  # platform | stored | organisation

    @property
    def platform(self) -> Platform:
        return self.actor.platform

    @property
    def user_id(self) -> str:
        return self.actor.user_id

    @property
    def role(self) -> Role:
        """The highest role held; everyone is at least an employee."""
        return max(self.roles | {Role.EMPLOYEE}, key=lambda role: role.rank)

    def may(self, needed: Role) -> bool:
        return self.role.rank >= needed.rank
