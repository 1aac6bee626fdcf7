"""Running the installed `champbot` command as a person would, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("champbot")
ENV_PREFIXES = ("CHAMPBOT_", "SLACK_", "MICROSOFTAPP", "PORT")


def command() -> list[str]:
    return [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "bot.cli"]


def environment(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIXES)}
    env.update(variables)
    return env


def champbot(
    *args: str, stdin: str = "", cwd: Path | None = None, timeout: float = 60, **variables: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env=environment(**variables),
    )
