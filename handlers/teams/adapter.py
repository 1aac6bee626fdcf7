"""CloudAdapter from our Settings; with no MicrosoftAppId it accepts local traffic as the Emulator needs."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from bot.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _BotFrameworkConfig:
    """The attribute names botbuilder's configuration classes look for."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


def build_adapter(settings: Settings) -> CloudAdapter:
    config = _BotFrameworkConfig(
        APP_ID=settings.microsoft_app_id,
        APP_PASSWORD=settings.microsoft_app_password.get_secret_value(),
        APP_TYPE=settings.microsoft_app_type,
        APP_TENANTID=settings.microsoft_app_tenant_id,
    )
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))

    async def on_error(context: TurnContext, error: Exception) -> None:
        log.error("Teams turn failed", exc_info=error)

    adapter.on_turn_error = on_error
    return adapter
