"""Logging setup: readable lines by default, one JSON object per line with CHAMPBOT_LOG_FORMAT=json.

Written by hand (about twenty lines) rather than adding python-json-logger: we only need the
record's fields plus the `extra=` keys, and it keeps the dependency list to what the design names.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in record.__dict__.items() if key not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {key: value for key, value in record.__dict__.items() if key not in _STANDARD}
        return line + "".join(f" {key}={value}" for key, value in extras.items())


def configure(log_format: str, level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiohttp.access", "apscheduler.executors.default", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # These log SQL with its parameters or HTTP requests with their URLs and bodies below WARNING
    # (sqlalchemy.engine echoes every statement at INFO): a question's text and its asker's id on
    # neighbouring lines would tie them together, so they stay at WARNING, whatever the level.
    for payloads in PAYLOAD_LOGGERS:
        logging.getLogger(payloads).setLevel(max(logging.WARNING, root.level))


PAYLOAD_LOGGERS = ("aiosqlite", "sqlalchemy.engine", "httpx", "httpcore", "msrest", "urllib3", "psycopg")
