"""The aiohttp web app: /slack/events, /api/messages and /healthz, each a thin view onto an edge."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.metrics import Metrics

log = logging.getLogger(__name__)

View = Callable[[web.Request], Awaitable[web.StreamResponse]]
HealthCheck = Callable[[], Awaitable[dict[str, object]]]
Refresh = Callable[[], Awaitable[None]]

# An edge names the outcome of a request it answered 200 without acting on it ("unhandled").
OUTCOME = web.ResponseKey("outcome", str)
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


def measured(platform: str, view: View, metrics: Metrics) -> View:
    """Counts each inbound request by outcome and times how long until it was answered (the ack).
    An edge may name the outcome of a request it answered 200 without acting on it
    (`response[OUTCOME] = "unhandled"`), so that it is never counted as ok."""

    async def timed(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        named: str | None = None
        try:
            response = await view(request)
            status = response.status
            named = response.get(OUTCOME)
            return response
        except web.HTTPException as error:
            status = error.status
            raise
        finally:
            outcome = named or ("ok" if status < 400 else "rejected" if status < 500 else "error")
            metrics.inbound.labels(platform, outcome).inc()
            metrics.ack_seconds.labels(platform).observe(time.perf_counter() - started)

    return timed


def build_web_app(
    *, health: HealthCheck, slack: View | None, teams: View, metrics: Metrics, refresh_metrics: Refresh
) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)

    async def metrics_view(_request: web.Request) -> web.Response:
        await refresh_metrics()
        return web.Response(
            body=metrics.exposition(),
            content_type="text/plain",
            charset="utf-8",
            headers={"X-Content-Type-Options": "nosniff"},
        )

    async def healthz(_request: web.Request) -> web.Response:
        status = await health()
        return web.json_response(status, status=200 if status.get("status") == "ok" else 503)

    async def slack_off(_request: web.Request) -> web.Response:
        return _problem(404, "Slack is not configured on this server (set SLACK_BOT_TOKEN)")

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_view)
    app.router.add_post("/slack/events", measured("slack", slack or slack_off, metrics))
    app.router.add_post("/api/messages", measured("teams", json_activity_guard(teams), metrics))
    return app
