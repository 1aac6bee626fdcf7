"""setup: admins bind a channel to a purpose (questions, champions, leadership, Show & Tell)."""

from __future__ import annotations

import logging

from bot.clock import Clock
from bot.context import CommandContext
from bot.domain import ChannelPurpose
from bot.errors import InputError
from bot.i18n import command_word
from bot.messages import Message, Reply, Section
from bot.parsing import ChannelArg, Word
from bot.ports import DeliveryError, Messengers
from bot.text import ChannelLink, Text
from storage import channels
from storage.engine import Database

log = logging.getLogger(__name__)


class SetupService:
    def __init__(self, *, database: Database, clock: Clock, messengers: Messengers) -> None:
        self._db = database
        self._clock = clock
        self._messengers = messengers

    async def setup(self, ctx: CommandContext) -> Reply:
        args = ctx.command.args
        if not args:
            return await self._list(ctx)
        purpose = _purpose(args[0])
        if purpose is None or len(args) != 2:
            raise InputError("cmd.setup.usage")
        channel_id, channel_name = self._channel(ctx, args[1])
        conversation = ctx.origin.conversation
        platform = ctx.identity.platform
        async with self._db.session() as session:
            await channels.bind_channel(
                session,
                platform=platform,
                purpose=purpose,
                channel_id=channel_id,
                channel_name=channel_name,
                bound_by=ctx.identity.user_id,
                now=self._clock.now(),
            )
        log.info("channel bound", extra={"platform": platform.value, "purpose": purpose.value})
        link = ChannelLink(channel_id, channel_name)
        purpose_name = ctx.t(f"purpose.{purpose.value}")
        confirmation = ctx.t("setup.bound", channel=link, purpose=purpose_name)
        intro = Message.of(ctx.t(f"setup.intro.{purpose.value}"))
        thread = conversation.thread_id if channel_id == conversation.conversation_id else None
        try:
            await self._messengers.get(platform).post(channel_id, intro, thread_id=thread)
        except DeliveryError as error:
            log.info("setup intro not delivered: %s", error.reason)
            key = (
                "setup.not_in_channel"
                if error.reason in {"not_in_channel", "channel_not_found"}
                else "setup.intro_failed"
            )
            return Reply(Message.of(confirmation, ctx.t(key, channel=link)))
        return Reply(Message.of(confirmation))

    def _channel(self, ctx: CommandContext, arg: object) -> tuple[str, str]:
        conversation = ctx.origin.conversation
        if isinstance(arg, ChannelArg):
            return arg.channel_id, arg.name
        if isinstance(arg, Word) and command_word(arg.text, "here"):
            if conversation.is_direct:
                raise InputError("setup.here_in_direct")
            return conversation.conversation_id, conversation.name
        raise InputError("setup.channel_expected")

    async def _list(self, ctx: CommandContext) -> Reply:
        async with self._db.session() as session:
            bound = {b.purpose: b for b in await channels.bindings(session, platform=ctx.identity.platform)}
        lines = []
        for purpose in ChannelPurpose:
            binding = bound.get(purpose.value)
            name = ctx.t(f"purpose.{purpose.value}")
            if binding:
                lines.append(
                    ctx.t(
                        "setup.list.bound",
                        purpose=name,
                        channel=ChannelLink(binding.channel_id, binding.channel_name),
                    )
                )
            else:
                lines.append(ctx.t("setup.list.unbound", purpose=name))
        return Reply(
            Message(
                (Section(Text.join([ctx.t("setup.list.title"), *lines])), Section(ctx.t("cmd.setup.hint")))
            )
        )


def _purpose(arg: object) -> ChannelPurpose | None:
    if not isinstance(arg, Word):
        return None
    word = command_word(arg.text, *ChannelPurpose)
    return ChannelPurpose(word) if word else None
