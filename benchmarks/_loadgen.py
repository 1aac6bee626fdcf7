"""Open-loop load generator for signed Slack requests, run in its own process by ack_latency.py.

`python -m benchmarks._loadgen '<json spec>'` sends `rate` requests per second for `seconds`
to `url`, each on its own schedule (a slow answer never delays the next request), and prints
one JSON object: latencies, errors and how late the generator itself was (its lag).

Bodies are built and signed before the clock starts, so the generator's own CPU cost during
the run is one HTTP request per tick.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from typing import Any

import aiohttp

from benchmarks._harness import percentile
from tests.fakes import event_body, message_im_event, sign, slash_command_body

REQUEST_TIMEOUT = 10.0  # Slack gives up after 3 s; anything still open after 10 s counts as an error
SLACK_DEADLINE = 3.0


def build_requests(spec: dict[str, Any], count: int) -> list[tuple[bytes, dict[str, str]]]:
    users = [f"UB{n:04d}" for n in range(int(spec["users"]))]
    now = int(time.time())
    built = []
    for n in range(count):
        user = users[n % len(users)]
        if spec["kind"] == "slash":
            body = slash_command_body(
                "help",
                response_url=f"{spec['response_url']}{n}",
                user_id=user,
                user_name=user.lower(),
                trigger_id=f"{n}.{now}.{uuid.uuid4().hex[:8]}",
            )
            content_type = "application/x-www-form-urlencoded"
        else:
            # A fresh event id each time: champbot answers a repeated id without doing any work.
            event = message_im_event("help", user=user, channel=f"D{user}")
            body = event_body(event, event_id=f"Ev{uuid.uuid4().hex[:16].upper()}", event_time=now)
            content_type = "application/json"
        headers = {"Content-Type": content_type, **sign(body, secret=spec["secret"], timestamp=now)}
        built.append((body.encode(), headers))
    return built


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    rate = float(spec["rate"])
    count = max(1, int(rate * float(spec["seconds"])))
    requests = build_requests(spec, count)
    latencies: list[float] = []
    lags: list[float] = []
    statuses: dict[str, int] = {}
    late = 0
    first_start = last_done = 0.0
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(body: bytes, headers: dict[str, str], due: float) -> None:
            nonlocal late, last_done
            started = time.perf_counter()
            lags.append(started - due)
            try:
                async with session.post(spec["url"], data=body, headers=headers) as response:
                    await response.read()
                    status = str(response.status)
            except (TimeoutError, aiohttp.ClientError) as error:
                status = type(error).__name__
            done = time.perf_counter()
            last_done = max(last_done, done)
            statuses[status] = statuses.get(status, 0) + 1
            if status == "200":
                latencies.append(done - started)
                late += (done - started) > SLACK_DEADLINE

        tasks = []
        cpu_start = time.process_time()
        start = time.perf_counter() + 0.05
        first_start = start
        for n, (body, headers) in enumerate(requests):
            due = start + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(body, headers, due)))
        send_window = time.perf_counter() - start
        await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT + 5)
        gen_cpu = (time.process_time() - cpu_start) / max(time.perf_counter() - start, 1e-9)
    latencies.sort()
    lags.sort()
    ok = len(latencies)
    elapsed = max(last_done - first_start, 1e-9)
    return {
        "sent": count,
        "ok": ok,
        "errors": count - ok,
        "statuses": statuses,
        "late_over_3s": late,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": (latencies[-1] if latencies else float("nan")) * 1000,
        "offered_rate": count / max(send_window, 1e-9),
        "achieved_rate": ok / elapsed,
        "lag_p99_ms": percentile(lags, 0.99) * 1000,
        "gen_cpu": gen_cpu,
        "lag_max_ms": (lags[-1] if lags else float("nan")) * 1000,
        "elapsed_s": elapsed,
        # The raw samples, so that several short runs of one server can be pooled (ack_latency.py).
        "latencies_ms": [round(latency * 1000, 4) for latency in latencies],
        "lags_ms": [round(lag * 1000, 4) for lag in lags],
    }


def main() -> None:
    spec = json.loads(sys.argv[1])
    print(json.dumps(asyncio.run(run(spec))))


if __name__ == "__main__":
    main()
