"""CloudAdapter from our Settings; with no MicrosoftAppId it accepts local traffic as the Emulator needs."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import ClaimsIdentity, ConnectorFactory, JwtTokenValidation, UserTokenClient

from bot.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _BotFrameworkConfig:
    """The attribute names botbuilder's configuration classes look for."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


class _ReusedConnectors(ConnectorFactory):
    """Hands out one ConnectorClient per (service URL, audience) instead of a new one per turn."""

    def __init__(
        self, inner: ConnectorFactory, cache: dict[tuple[str, str, str | None], ConnectorClient], app_id: str
    ):
        self._inner = inner
        self._cache = cache
        self._app_id = app_id

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        key = (self._app_id, service_url, audience)
        client = self._cache.get(key)
        if client is None:
            client = self._cache[key] = await self._inner.create(service_url, audience)
        return client


class ReusingAuthentication(ConfigurationBotFrameworkAuthentication):
    """CloudAdapter asks for a fresh ConnectorClient and UserTokenClient on every turn and every
    proactive message; building one (msrest configuration, retry policy) cost more CPU than sending
    the message. Clients keep no per-turn state and refresh their own tokens, so they are built once
    per app, service URL and audience, as the older BotFrameworkAdapter cached them."""

    def __init__(self, configuration: Any) -> None:
        super().__init__(configuration)
        self._connectors: dict[tuple[str, str, str | None], ConnectorClient] = {}
        self._token_clients: dict[str, UserTokenClient] = {}

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        app_id = JwtTokenValidation.get_app_id_from_claims(claims_identity.claims) or ""
        return _ReusedConnectors(super().create_connector_factory(claims_identity), self._connectors, app_id)

    async def close(self) -> None:
        """Connector clients keep an HTTP session open; they close with the server."""
        clients, self._connectors = list(self._connectors.values()), {}
        for client in clients:
            await client.__aexit__(None, None, None)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        app_id = JwtTokenValidation.get_app_id_from_claims(claims_identity.claims) or ""
        client = self._token_clients.get(app_id)
        if client is None:
            client = self._token_clients[app_id] = await super().create_user_token_client(claims_identity)
        return client


async def close_adapter(adapter: CloudAdapter) -> None:
    authentication = adapter.bot_framework_authentication
    if isinstance(authentication, ReusingAuthentication):
        await authentication.close()


def build_adapter(settings: Settings) -> CloudAdapter:
    config = _BotFrameworkConfig(
        APP_ID=settings.microsoft_app_id,
        APP_PASSWORD=settings.microsoft_app_password.get_secret_value(),
        APP_TYPE=settings.microsoft_app_type,
        APP_TENANTID=settings.microsoft_app_tenant_id,
    )
    adapter = CloudAdapter(ReusingAuthentication(config))

    async def on_error(context: TurnContext, error: Exception) -> None:
        log.error("Teams turn failed", exc_info=error)

    adapter.on_turn_error = on_error
    return adapter
