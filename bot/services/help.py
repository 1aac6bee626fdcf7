"""help and whoami: what a person may do here, and who the bot thinks they are."""

from __future__ import annotations

from bot.commands import CommandTable
from bot.context import CommandContext
from bot.domain import Role
from bot.messages import Message, Note, Reply, Section
from bot.text import Markup, Text, UserText


class HelpService:
    def __init__(self, commands: CommandTable) -> None:
        self._commands = commands

    def overview(self, ctx: CommandContext) -> Message:
        """The commands the speaker may use, grouped by the role that unlocks them."""
        blocks: list[Section | Note] = [Section(ctx.t("help.intro"))]
        visible = self._commands.visible_to(ctx.identity.role)
        for role in Role:
            specs = [spec for spec in visible if spec.help_role is role]
            if not specs:
                continue
            lines = [
                ctx.t(
                    "help.line",
                    usage=Markup(f"`{ctx.prefix}{ctx.s(spec.usage)}`"),
                    summary=ctx.t(spec.summary),
                )
                for spec in specs
            ]
            heading = ctx.t(f"help.heading.{role.value}")
            blocks.append(Section(Text.join([heading, *lines])))
        blocks.append(Note(ctx.t("help.footer", role=ctx.t(f"role.{ctx.identity.role.value}"))))
        return Message(tuple(blocks))

    async def help(self, ctx: CommandContext) -> Reply:
        return Reply(self.overview(ctx))

    async def whoami(self, ctx: CommandContext) -> Reply:
        identity = ctx.identity
        roles = sorted(identity.roles | {Role.EMPLOYEE}, key=lambda role: role.rank, reverse=True)
        role_names = Text.join([ctx.t(f"role.{role.value}") for role in roles], ", ")
        fields = (
            (
                ctx.s("whoami.field.person"),
                Text.of(UserText(identity.actor.display_name or identity.user_id)),
            ),
            (ctx.s("whoami.field.id"), Text.of(Markup(f"`{identity.platform.value}:{identity.user_id}`"))),
            (ctx.s("whoami.field.roles"), role_names),
            (ctx.s("whoami.field.language"), ctx.t(f"language.{identity.locale}")),
            (
                ctx.s("whoami.field.timezone"),
                ctx.t(f"whoami.timezone.{identity.timezone_source}", timezone=Markup(identity.timezone)),
            ),
        )
        blocks: list[Section | Note] = [Section(ctx.t("whoami.title"), fields=fields)]
        if identity.bootstrap_admin:
            blocks.append(Note(ctx.t("whoami.bootstrap_admin")))
        return Reply(Message(tuple(blocks)))
