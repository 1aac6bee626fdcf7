"""The event loop `champbot run` serves on: uvloop where it is installed, asyncio's own elsewhere.

Every acknowledgement and every piece of work after it passes through the loop's ready queue and
its socket calls. uvloop does that part in C and takes about 14 % less CPU per Slack event
here (benchmarks/ack_latency.py), which is CPU the next acknowledgement does not wait behind.
The console and the one-shot commands keep asyncio's loop: they wait on a person or finish at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


def server_loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    try:
        import uvloop
    except ImportError:  # not built for this platform (Windows): asyncio's loop serves as well
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """Which loop this is, "uvloop" or "asyncio", for the start-up line."""
    return type(loop).__module__.partition(".")[0]
