"""grant and revoke: admins give and take the champion and admin roles in chat."""

from __future__ import annotations

import logging

from bot.context import CommandContext
from bot.delivery.outbox import OutboxService, Outgoing
from bot.domain import Role
from bot.errors import InputError
from bot.i18n import command_word
from bot.messages import Message, Reply
from bot.parsing import UserArg, Word
from bot.services.people import PeopleService
from bot.text import Markup, MentionUser, Text

log = logging.getLogger(__name__)

_GRANTABLE = {Role.CHAMPION, Role.ADMIN}


class RolesService:
    def __init__(self, *, people: PeopleService, outbox: OutboxService) -> None:
        self._people = people
        self._outbox = outbox

    async def grant(self, ctx: CommandContext) -> Reply:
        role, targets = self._parse(ctx, "cmd.grant.usage")
        lines = []
        for target in targets:
            who = MentionUser(target.user_id, target.name)
            added = await self._people.grant(
                platform=ctx.identity.platform,
                user_id=target.user_id,
                role=role,
                granted_by=ctx.identity.user_id,
            )
            role_name = ctx.t(f"role.{role.value}")
            lines.append(ctx.t("grant.done" if added else "grant.already", person=who, role=role_name))
            if added:
                await self._tell(ctx, target, role)
        log.info("roles granted", extra={"role": role.value, "count": len(targets)})
        return Reply(Message.of(Text.join(lines)))

    async def revoke(self, ctx: CommandContext) -> Reply:
        role, targets = self._parse(ctx, "cmd.revoke.usage")
        lines = []
        platform = ctx.identity.platform
        for target in targets:
            who = MentionUser(target.user_id, target.name)
            role_name = ctx.t(f"role.{role.value}")
            if role is Role.ADMIN and target.user_id == ctx.identity.user_id:
                lines.append(ctx.t("revoke.not_yourself"))
                continue
            removed = await self._people.revoke(platform=platform, user_id=target.user_id, role=role)
            if role is Role.ADMIN and self._people.is_bootstrap_admin(platform, target.user_id):
                lines.append(ctx.t("revoke.bootstrap", person=who))
            else:
                lines.append(ctx.t("revoke.done" if removed else "revoke.absent", person=who, role=role_name))
        return Reply(Message.of(Text.join(lines)))

    def _parse(self, ctx: CommandContext, usage: str) -> tuple[Role, list[UserArg]]:
        args = ctx.command.args
        if len(args) < 2 or not isinstance(args[0], Word):
            raise InputError(usage)
        word = command_word(args[0].text, Role.CHAMPION.value, Role.ADMIN.value)
        role = Role(word) if word else None
        targets = [arg for arg in args[1:] if isinstance(arg, UserArg)]
        if role not in _GRANTABLE or len(targets) != len(args) - 1:
            raise InputError(usage)
        assert role is not None
        return role, targets

    async def _tell(self, ctx: CommandContext, target: UserArg, role: Role) -> None:
        """Let the new champion or admin know, in their own language, through the outbox: it is not
        a reply to the admin, so it is retried if the platform is busy and never undoes the grant."""
        platform = ctx.identity.platform
        locale = await self._people.locale_of(platform, target.user_id)
        granted_by = MentionUser(ctx.identity.user_id, ctx.identity.actor.display_name)
        text = ctx.catalog.text(
            locale, f"grant.notice.{role.value}", by=granted_by, prefix=Markup(ctx.prefix)
        )
        granted_at = await self._people.granted_at(platform=platform, user_id=target.user_id, role=role)
        key = f"grant:{platform.value}:{target.user_id}:{role.value}:{granted_at:%Y%m%dT%H%M%S.%f}"
        await self._outbox.enqueue([Outgoing(key, platform, "dm", target.user_id, Message.of(text))])
