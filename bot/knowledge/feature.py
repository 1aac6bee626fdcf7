"""The knowledge-base feature: `kb search | list | add | remove`, and the service the questions use."""

from __future__ import annotations

from bot.domain import Role
from bot.features import Command, Feature, FeatureDeps, Sub
from bot.services.knowledge import KnowledgeService


def feature(deps: FeatureDeps) -> Feature:
    knowledge = KnowledgeService(database=deps.database, clock=deps.clock)
    deps.shared.provide(knowledge)  # answered questions become entries; "Asked before:" searches it
    return Feature(
        name="knowledge",
        commands=(
            Command(
                "kb",
                subcommands={
                    "search": Sub(Role.EMPLOYEE, knowledge.search_command, "cmd.kb.search.usage"),
                    "list": Sub(Role.EMPLOYEE, knowledge.list_command, "cmd.kb.list.usage"),
                    "add": Sub(Role.CHAMPION, knowledge.add, "cmd.kb.add.usage"),
                    "remove": Sub(Role.ADMIN, knowledge.remove, "cmd.kb.remove.usage"),
                },
            ),
        ),
        catalog=("cmd.kb.", "kb."),
    )
