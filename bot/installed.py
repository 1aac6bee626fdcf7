"""The features this bot installs, in order: a feature that uses another's service comes after it."""

from __future__ import annotations

from bot.basics import feature as basics
from bot.campaigns import feature as campaigns
from bot.features import FeatureBuilder
from bot.knowledge import feature as knowledge
from bot.learning import feature as learning
from bot.questions import feature as questions

FEATURES: tuple[FeatureBuilder, ...] = (
    basics.feature,
    knowledge.feature,  # before questions: answered questions become entries
    learning.feature,  # before campaigns: campaigns send lessons
    questions.feature,
    campaigns.feature,
)
