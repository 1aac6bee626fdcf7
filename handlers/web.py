"""The aiohttp web app: /slack/events, /api/messages and /healthz, each a thin view onto an edge."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)

View = Callable[[web.Request], Awaitable[web.StreamResponse]]
HealthCheck = Callable[[], Awaitable[dict[str, str]]]

MAX_BODY = 1024 * 1024  # Slack and Teams payloads are far smaller; anything bigger is not theirs


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def json_activity_guard(view: View) -> View:
    """Bad Bot Framework input gets a 4xx here, before botbuilder could turn it into a 500."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        if "application/json" not in request.headers.get("Content-Type", ""):
            return _problem(415, "expected application/json")
        try:
            body = json.loads(await request.text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _problem(400, "body is not valid JSON")
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return _problem(400, "body is not a Bot Framework activity")
        return await view(request)

    return guarded


def build_web_app(*, health: HealthCheck, slack: View | None, teams: View) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)

    async def healthz(_request: web.Request) -> web.Response:
        status = await health()
        return web.json_response(status, status=200 if status.get("status") == "ok" else 503)

    async def slack_off(_request: web.Request) -> web.Response:
        return _problem(404, "Slack is not configured on this server (set SLACK_BOT_TOKEN)")

    app.router.add_get("/healthz", healthz)
    app.router.add_post("/slack/events", slack or slack_off)
    app.router.add_post("/api/messages", json_activity_guard(teams))
    return app
