"""learn: the feature's front door, assembled from its parts, and the contract other features use."""

from __future__ import annotations

import logging

from bot.actions import ActionContext
from bot.context import CommandContext, UsageError
from bot.domain import Role
from bot.events import ButtonPress, FormSubmission
from bot.learning.enrolment import EnrolmentCommands
from bot.learning.inputs import InputProblem
from bot.learning.lessons import LessonActions
from bot.learning.nudges import Nudges
from bot.learning.progress import ProgressCommands
from bot.messages import Reply
from bot.text import Markup

log = logging.getLogger(__name__)


class LearningService(EnrolmentCommands, LessonActions, ProgressCommands, Nudges):
    """Weekly micro-lessons: commands, buttons and forms, and the tick, on one set of dependencies."""

    async def learn(self, ctx: CommandContext) -> Reply:
        words = ctx.command.words()
        sub = words[0].lower() if words else ""
        handlers = {
            "start": self._start,
            "stop": self._stop,
            "pause": self._pause,
            "away": self._away,
            "next": self._next,
            "progress": self._progress,
            "report": self._report,
            "enrol": self._enrol,
            "enroll": self._enrol,
        }
        handler = handlers.get(sub)
        if handler is None:
            raise UsageError("cmd.learn.usage")
        if sub in {"report", "enrol", "enroll"} and not ctx.identity.may(Role.ADMIN):
            return ctx.reply(ctx.t("refused", command=Markup(f"learn {sub}"), role=ctx.t("role.admin")))
        try:
            return await handler(ctx)
        except InputProblem as problem:
            raise UsageError(problem.key, **problem.params) from None

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
