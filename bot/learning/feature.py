"""The learning feature: `learn …`, the lesson buttons and forms, and the lesson tick."""

from __future__ import annotations

from datetime import timedelta

from bot.domain import Role
from bot.features import Button, Command, Feature, FeatureDeps, Form, Sub, Tick
from bot.learning.content import load_curriculum, shipped_content_dir
from bot.learning.schedule import QuietRules
from bot.learning.service import LearningService


def feature(deps: FeatureDeps) -> Feature:
    settings = deps.settings
    learning = LearningService(
        database=deps.database,
        clock=deps.clock,
        catalog=deps.catalog,
        curriculum=load_curriculum(shipped_content_dir(), settings.content_dir),
        outbox=deps.outbox,
        people=deps.people,
        messengers=deps.messengers,
        rules=QuietRules.for_country(settings.holiday_country),
        default_timezone=settings.timezone,
        default_locale=settings.locale,
    )
    deps.shared.provide(learning)  # campaigns send lessons and tracks
    employee, admin = Role.EMPLOYEE, Role.ADMIN
    return Feature(
        name="learning",
        commands=(
            Command(
                "learn",
                subcommands={
                    "start": Sub(employee, learning.learn_start, "cmd.learn.start.usage"),
                    "next": Sub(employee, learning.learn_next, "cmd.learn.next.usage"),
                    "progress": Sub(employee, learning.learn_progress, "cmd.learn.progress.usage"),
                    "pause": Sub(employee, learning.learn_pause, "cmd.learn.pause.usage"),
                    "away": Sub(employee, learning.learn_away, "cmd.learn.away.usage"),
                    "stop": Sub(employee, learning.learn_stop, "cmd.learn.stop.usage"),
                    "report": Sub(admin, learning.learn_report, "cmd.learn.report.usage"),
                    "enrol": Sub(admin, learning.learn_enrol, "cmd.learn.enrol.usage"),
                },
            ),
        ),
        buttons=(Button("learn", employee, learning.button),),
        forms=(Form("learn", employee, learning.form),),
        ticks=(
            Tick(
                job_id="learning_tick",
                description="send the weekly lessons at each person's local time, reminders and follow-ups",
                run=learning.tick,
                cron={"minute": "*/5"},
                period_format="%Y-%m-%dT%H:%M",
                keep_runs=timedelta(days=2),
            ),
        ),
        catalog=("cmd.learn.", "learn."),
    )
