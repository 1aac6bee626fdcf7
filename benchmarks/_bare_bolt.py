"""The baseline for ack latency and memory: a bare slack-bolt AsyncApp that only acknowledges.

Same signing secret, same Web API client set-up (token, SLACK_API_URL), the same aiohttp
converters and the same event loop (bot/eventloop.py) as champbot's /slack/events, but no
database, no core and no work after the ack. Started by the benchmarks as
`python -m benchmarks._bare_bolt`; it logs one JSON line with its port and loop on stderr.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.eventloop import loop_name, server_loop_factory


def build() -> web.Application:
    client = AsyncWebClient(
        token=os.environ["SLACK_BOT_TOKEN"],
        base_url=os.environ.get("SLACK_API_URL", "https://slack.com/api/"),
    )
    app = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])

    @app.command("/champ")
    async def command(ack: AsyncAck) -> None:
        await ack()

    @app.event("message")
    async def message(ack: AsyncAck) -> None:
        await ack()

    @app.action(re.compile(".*"))
    async def button(ack: AsyncAck) -> None:
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", events)
    return web_app


async def main() -> None:
    runner = web.AppRunner(build(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(os.environ.get("PORT", "0"))).start()
    port = runner.addresses[0][1]
    ready = {"level": "INFO", "message": "bare bolt listening", "port": port}
    ready["event_loop"] = loop_name(asyncio.get_running_loop())
    print(json.dumps(ready), file=sys.stderr)
    sys.stderr.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=server_loop_factory()) as runner:
        runner.run(main())
