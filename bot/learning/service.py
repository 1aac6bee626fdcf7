"""The learning service: assembled from its parts; its commands are declared in `bot.learning.feature`."""

from __future__ import annotations

import logging

from bot.actions import ActionContext
from bot.events import ButtonPress, FormSubmission
from bot.learning.enrolment import EnrolmentCommands
from bot.learning.lessons import LessonActions
from bot.learning.nudges import Nudges
from bot.learning.progress import ProgressCommands
from bot.messages import Reply

log = logging.getLogger(__name__)


class LearningService(EnrolmentCommands, LessonActions, ProgressCommands, Nudges):
    """Weekly micro-lessons: commands, buttons and forms, and the tick, on one set of dependencies."""

    async def button(self, ctx: ActionContext, event: ButtonPress) -> Reply | None:
        action = event.action_id.split(".", 1)[1] if "." in event.action_id else ""
        handler = {
            "start": self._open,
            "done": self._done,
            "snooze": self._snooze,
            "easy": self._easy,
            "hard": self._hard,
            "answer": self._answer,
            "rate": self._rate,
            "comment": self._comment_form,
            "aiuse": self._ai_use,
            "followup": self._followup,
        }.get(action)
        if handler is None:
            return ctx.reply(ctx.t("button.expired"))
        return await handler(ctx, event)

    async def form(self, ctx: ActionContext, event: FormSubmission) -> Reply | None:
        if event.form_id == "learn.enrol":
            return await self.enrol_form(ctx, event)
        if event.form_id == "learn.comment":
            return await self._comment(ctx, event)
        return ctx.reply(ctx.t("button.expired"))
