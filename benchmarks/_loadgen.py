"""Open-loop load generator for signed Slack requests, run in its own process by ack_latency.py.

`python -m benchmarks._loadgen '<json spec>'` sends `rate` requests per second for `seconds`
to `url`, each on its own schedule (a slow answer never delays the next request), taking turns
over the request `kinds` (slash, im, button), and prints one JSON object: latencies (also by
kind), errors and how late the generator itself was (its lag).

Bodies are built and signed before the clock starts, so the generator's own CPU cost during
the run is one HTTP request per tick.

A request's latency runs from just before its bytes are handed to the kernel to the moment the
kernel received the last bytes of the answer (the socket's receive timestamp, SO_TIMESTAMPNS).
On two shared cores the generator's own process is often not running when an answer arrives,
and it then reads the answer late; a server whose work keeps the cores busy would be charged for
the generator's wait. The time at which the generator read each answer is reported as well
(`read_latencies_ms`). This needs a socket whose receive timestamps can be read, so the client
is a small HTTP/1.1 client over plain sockets (keep-alive, one request at a time per connection)
instead of aiohttp's, which does not expose them.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import sys
import time
import uuid
from typing import Any
from urllib.parse import SplitResult, urlsplit

from benchmarks._harness import percentile
from tests.fakes import block_actions_body, event_body, message_im_event, sign, slash_command_body

REQUEST_TIMEOUT = 10.0  # Slack gives up after 3 s; anything still open after 10 s counts as an error
SLACK_DEADLINE = 3.0
WARM_CONNECTIONS = 8  # opened before the clock starts, so early requests do not pay for connecting
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; the socket module does not name it
TIMESPEC = struct.Struct("qq")
ANCILLARY = socket.CMSG_SPACE(TIMESPEC.size)


def build_requests(spec: dict[str, Any], count: int, target: SplitResult) -> list[tuple[str, bytes]]:
    """Each request, with its kind, as the bytes of a whole HTTP/1.1 message to `target`, signed."""
    users = [f"UB{n:04d}" for n in range(int(spec["users"]))]
    kinds: list[str] = spec["kinds"]
    now = int(time.time())
    built = []
    for n in range(count):
        user = users[n % len(users)]
        kind = kinds[n % len(kinds)]
        if kind == "slash":
            body = slash_command_body(
                "help",
                response_url=f"{spec['response_url']}{n}",
                user_id=user,
                user_name=user.lower(),
                trigger_id=f"{n}.{now}.{uuid.uuid4().hex[:8]}",
            )
            content_type = "application/x-www-form-urlencoded"
        elif kind == "button":
            # "Show my question" on a receipt whose token is unknown: a database look-up, a reply.
            body = block_actions_body(
                "ask.show",
                uuid.uuid4().hex,
                response_url=f"{spec['response_url']}{n}",
                user_id=user,
                user_name=user.lower(),
                channel_id=f"D{user}",
            )
            content_type = "application/x-www-form-urlencoded"
        else:
            # A fresh event id each time: champbot answers a repeated id without doing any work.
            event = message_im_event("help", user=user, channel=f"D{user}")
            body = event_body(event, event_id=f"Ev{uuid.uuid4().hex[:16].upper()}", event_time=now)
            content_type = "application/json"
        payload = body.encode()
        headers = {
            "Host": target.netloc,
            "Content-Type": content_type,
            "Content-Length": str(len(payload)),
            **sign(body, secret=spec["secret"], timestamp=now),
        }
        head = f"POST {target.path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        built.append((kind, head.encode() + b"\r\n" + payload))
    return built


def complete_response(buffer: bytearray) -> tuple[int, bool, int] | None:
    """(status, keep-alive, length) once `buffer` holds a whole response, else None."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {
        name.strip().lower(): value.strip().lower()
        for name, _, value in (x.partition(":") for x in lines[1:])
    }
    if headers.get("transfer-encoding") == "chunked":
        last_chunk = buffer.find(b"\r\n0\r\n\r\n", end + 2)
        if last_chunk < 0:
            return None
        length = last_chunk + 7
    else:
        length = end + 4 + int(headers.get("content-length", "0"))
        if len(buffer) < length:
            return None
    return status, headers.get("connection") != "close", length


class Connection:
    """One keep-alive connection; each answer's last bytes carry the kernel's receive time."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
        self._loop = loop
        self.sock = sock
        self._buffer = bytearray()
        self._answer: asyncio.Future[tuple[int, bool, int | None]] | None = None
        loop.add_reader(sock.fileno(), self._readable)

    @classmethod
    async def open(cls, loop: asyncio.AbstractEventLoop, address: tuple[str, int]) -> Connection:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        try:
            await loop.sock_connect(sock, address)
        except BaseException:
            sock.close()
            raise
        return cls(loop, sock)

    @property
    def closed(self) -> bool:
        return self.sock.fileno() < 0

    async def exchange(self, request: bytes) -> tuple[int, bool, int, int | None]:
        """Send one request; (status, keep-alive, sent ns, kernel-received ns) of its answer. The
        last is None where the kernel gave no receive timestamp."""
        self._answer = self._loop.create_future()
        sent = time.time_ns()
        await self._loop.sock_sendall(self.sock, request)
        status, keep_alive, received = await self._answer
        return status, keep_alive, sent, received

    def _readable(self) -> None:
        try:
            data, ancillary, _, _ = self.sock.recvmsg(65536, ANCILLARY)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:
            self._fail(error)
            return
        if not data:
            self._fail(ConnectionResetError("the server closed the connection"))
            return
        received = None
        for level, kind, raw in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = TIMESPEC.unpack(raw[: TIMESPEC.size])
                received = seconds * 1_000_000_000 + nanoseconds
        self._buffer += data
        complete = complete_response(self._buffer)
        if complete is None:
            return
        status, keep_alive, length = complete
        del self._buffer[:length]
        if self._answer is not None and not self._answer.done():
            self._answer.set_result((status, keep_alive, received))

    def _fail(self, error: Exception) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(error)
        self.close()

    def close(self) -> None:
        if not self.closed:
            self._loop.remove_reader(self.sock.fileno())
            self.sock.close()


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    rate = float(spec["rate"])
    count = max(1, int(rate * float(spec["seconds"])))
    target = urlsplit(spec["url"])
    requests = build_requests(spec, count, target)
    address = (target.hostname or "127.0.0.1", target.port or 80)
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {kind: [] for kind in spec["kinds"]}
    read_latencies: list[float] = []
    lags: list[float] = []
    statuses: dict[str, int] = {}
    late = unstamped = 0
    last_done = 0.0
    idle = [await Connection.open(loop, address) for _ in range(WARM_CONNECTIONS)]
    opened = list(idle)

    async def one(kind: str, request: bytes, due: float) -> None:
        nonlocal late, unstamped, last_done
        lags.append(time.perf_counter() - due)
        connection = None
        try:
            while idle and idle[-1].closed:  # the server closed it while it was idle
                idle.pop()
            if idle:
                connection = idle.pop()
            else:
                connection = await Connection.open(loop, address)
                opened.append(connection)
            answer = await asyncio.wait_for(connection.exchange(request), REQUEST_TIMEOUT)
            code, keep_alive, sent, received = answer
            status = str(code)
        except (TimeoutError, OSError) as error:
            status, keep_alive = type(error).__name__, False
        read = time.time_ns()
        last_done = max(last_done, time.perf_counter())
        statuses[status] = statuses.get(status, 0) + 1
        if connection is not None:
            if keep_alive:
                idle.append(connection)
            else:
                connection.close()
        if status == "200":
            if received is None:
                unstamped += 1
                received = read
            latency = (received - sent) / 1e9
            latencies.append(latency)
            by_kind[kind].append(latency * 1000)
            read_latencies.append((read - sent) / 1e9)
            late += latency > SLACK_DEADLINE

    tasks = []
    cpu_start = time.process_time()
    start = time.perf_counter() + 0.05
    for n, (kind, request) in enumerate(requests):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(kind, request, due)))
    send_window = time.perf_counter() - start
    await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT + 5)
    gen_cpu = (time.process_time() - cpu_start) / max(time.perf_counter() - start, 1e-9)
    for connection in opened:
        connection.close()
    latencies.sort()
    read_latencies.sort()
    lags.sort()
    ok = len(latencies)
    elapsed = max(last_done - start, 1e-9)
    return {
        "sent": count,
        "ok": ok,
        "errors": count - ok,
        "statuses": statuses,
        "late_over_3s": late,
        "unstamped": unstamped,  # answers without a kernel timestamp, timed as read instead
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
        "latencies_by_kind_ms": {kind: [round(v, 4) for v in values] for kind, values in by_kind.items()},
        "read_latencies_ms": [round(latency * 1000, 4) for latency in read_latencies],
        "lags_ms": [round(lag * 1000, 4) for lag in lags],
    }


def main() -> None:
    spec = json.loads(sys.argv[1])
    print(json.dumps(asyncio.run(run(spec))))


if __name__ == "__main__":
    main()
