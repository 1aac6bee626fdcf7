"""Slack profiles (name, locale, time zone) via users.info, cached so a busy person costs one call an hour."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Profile:
    name: str
    locale: str | None
    timezone: str | None


class ProfileCache:
    def __init__(self, client: AsyncWebClient, ttl_seconds: float = 3600.0) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, Profile]] = {}

    async def get(self, user_id: str, fallback_name: str = "") -> Profile:
        cached = self._cache.get(user_id)
        if cached and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        try:
            response = await self._client.users_info(user=user_id, include_locale=True)
        except SlackApiError as error:
            log.warning("users.info failed: %s", error.response.get("error") if error.response else error)
            return Profile(fallback_name, None, None)
        user = response["user"]
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name") or profile.get("real_name") or user.get("real_name") or fallback_name
        )
        result = Profile(name=name, locale=user.get("locale"), timezone=user.get("tz"))
        self._cache[user_id] = (time.monotonic(), result)
        return result
