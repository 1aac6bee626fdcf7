"""The questions feature: `ask`, `qa …`, question hours, moderation, the loop back to askers, answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from bot.ai import draft_answer
from bot.context import CommandContext, sub_words
from bot.domain import Role
from bot.features import (
    Button,
    Command,
    CommandHandler,
    Feature,
    FeatureDeps,
    Form,
    Sub,
    ThreadReplies,
    Tick,
)
from bot.messages import Reply
from bot.ports import LLM
from bot.questions.anonymity import Anonymity, store_for
from bot.questions.answering import AnswerDesk, Drafter, Match
from bot.questions.board import QUESTION_KEY, QuestionBoard
from bot.questions.gate import QuestionGate
from bot.questions.loop import Loop
from bot.questions.moderation import Moderation
from bot.questions.service import QuestionService
from bot.questions.sessions import QuestionHours
from bot.services.knowledge import KnowledgeService

QaHandler = Callable[[CommandContext, list[str]], Awaitable[Reply]]


def drafter_for(llm: LLM) -> Drafter:
    """AI drafts grounded in the knowledge-base matches the question already found."""

    async def draft(question: str, matches: Sequence[Match], locale: str) -> str:
        return await draft_answer(llm, question=question, matches=matches, locale=locale)

    return draft


def with_words(handler: QaHandler) -> CommandHandler:
    """The `qa` subcommands take the words after the subcommand."""

    async def run(ctx: CommandContext) -> Reply:
        return await handler(ctx, sub_words(ctx))

    return run


def feature(deps: FeatureDeps) -> Feature:
    database, clock, settings, outbox, catalog = (
        deps.database,
        deps.clock,
        deps.settings,
        deps.outbox,
        deps.catalog,
    )
    board = QuestionBoard(
        database=database,
        clock=clock,
        messengers=deps.messengers,
        outbox=outbox,
        catalog=catalog,
        locale=settings.locale,
    )
    answers = AnswerDesk(
        database=database,
        clock=clock,
        messengers=deps.messengers,
        board=board,
        knowledge=deps.shared.get(KnowledgeService),
        drafter=drafter_for(deps.llm) if deps.llm is not None else None,
    )
    outbox.on_sent(QUESTION_KEY, answers.posted)
    anonymity = Anonymity(
        database=database, clock=clock, store=store_for(database), timezone=settings.timezone
    )
    hours = QuestionHours(
        database=database,
        clock=clock,
        outbox=outbox,
        catalog=catalog,
        timezone=settings.timezone,
        locale=settings.locale,
        response_time=timedelta(hours=settings.qa_response_hours),
    )
    moderation = Moderation(
        database=database,
        clock=clock,
        outbox=outbox,
        messengers=deps.messengers,
        board=board,
        hours=hours,
        catalog=catalog,
        locale=settings.locale,
        max_delay_seconds=settings.qa_max_delay,
        anonymity=anonymity,
    )
    hours.on_open(moderation.release_queued)
    loop = Loop(
        database=database, outbox=outbox, anonymity=anonymity, catalog=catalog, locale=settings.locale
    )
    moderation.after_publish(loop.suggest_same)
    questions = QuestionService(
        database=database,
        clock=clock,
        messengers=deps.messengers,
        board=board,
        answers=answers,
        anonymity=anonymity,
        max_delay_seconds=settings.qa_max_delay,
        daily_limit=settings.qa_daily_limit,
    )
    questions.gate = QuestionGate(
        database=database, board=board, hours=hours, moderation=moderation, loop=loop
    )
    for service in (questions, answers, hours, moderation, loop):
        deps.shared.provide(service)

    async def tick(now: datetime) -> str:
        return str(await hours.tick())

    employee, champion, admin = Role.EMPLOYEE, Role.CHAMPION, Role.ADMIN
    return Feature(
        name="questions",
        commands=(
            Command("ask", handler=questions.ask),
            Command(
                "qa",
                default="status",
                subcommands={
                    "status": Sub(employee, with_words(hours.show_status), "cmd.qa.status.usage"),
                    "open": Sub(champion, with_words(hours.open_now), "cmd.qa.open.usage"),
                    "close": Sub(champion, with_words(hours.close_now), "cmd.qa.close.usage"),
                    "schedule": Sub(champion, with_words(hours.schedule), "cmd.qa.schedule.usage"),
                    "unschedule": Sub(champion, with_words(hours.unschedule), "cmd.qa.unschedule.usage"),
                    "moderation": Sub(champion, with_words(hours.set_moderation), "cmd.qa.moderation.usage"),
                    "oncall": Sub(admin, with_words(hours.set_oncall), "cmd.qa.oncall.usage"),
                    "mode": Sub(admin, with_words(hours.set_mode), "cmd.qa.mode.usage"),
                },
            ),
        ),
        buttons=(
            Button("ask", employee, questions.ask_button),
            Button("qa.vote", employee, questions.vote),
            Button("qa", champion, answers.button, refusal="question.champions_only"),
            Button("qamod.report", employee, moderation.button),
            Button("qamod", champion, moderation.button, refusal="qamod.champions_only"),
            Button("qahours", employee, loop.helpful),
        ),
        forms=(
            Form("ask", employee, questions.ask_form),
            Form("qa", champion, answers.form, refusal="question.champions_only"),
            Form("qamod.report_form", employee, moderation.form),
            Form("qamod", champion, moderation.form, refusal="qamod.champions_only"),
        ),
        ticks=(
            Tick(
                job_id="qa_tick",
                description="open and close scheduled question hours, remind champions, escalate late ones",
                run=tick,
                cron={"minute": "*"},
                period_format="%Y-%m-%dT%H:%M",
                keep_runs=timedelta(days=2),
            ),
        ),
        catalog=("cmd.ask.", "cmd.qa.", "ask.", "question.", "draft.", "qahours.", "qamod.", "qaloop."),
        threads=ThreadReplies(owns=answers.is_question_thread, reply=answers.thread_reply, role=champion),
    )
