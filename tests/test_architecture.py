"""The hexagon's import rules, checked by walking every import in the product code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SLACK = {"slack_bolt", "slack_sdk"}
TEAMS = {"botbuilder", "botframework"}
WEB = {"aiohttp"}


def imported_packages(path: Path) -> set[str]:
    """Top-level packages a module imports, wherever the import statement stands."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def offenders(folder: str, forbidden: set[str], allowed: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    found = []
    for path in modules(folder):
        relative = path.relative_to(ROOT).as_posix()
        if any(relative.startswith(prefix) for prefix in allowed):
            continue
        bad = imported_packages(path) & forbidden
        if bad:
            found.append(f"{relative} imports {sorted(bad)}")
    return found


def test_the_core_imports_no_platform_sdk_except_in_the_composition_root() -> None:
    assert offenders("bot", SLACK | TEAMS | WEB, allowed={"bot/app.py"}) == []


@pytest.mark.parametrize("folder", ["jobs", "storage"])
def test_jobs_and_storage_import_no_platform_sdk(folder: str) -> None:
    assert offenders(folder, SLACK | TEAMS | WEB) == []


def test_only_the_slack_edge_imports_the_slack_sdks() -> None:
    assert offenders("handlers", SLACK, allowed={"handlers/slack/"}) == []


def test_only_the_teams_edge_imports_botbuilder() -> None:
    assert offenders("handlers", TEAMS, allowed={"handlers/teams/"}) == []


def test_storage_never_imports_the_core_or_the_edges() -> None:
    assert offenders("storage", {"bot", "handlers", "jobs"}) == []


def test_the_core_never_imports_the_edges_except_in_the_composition_root() -> None:
    assert offenders("bot", {"handlers", "jobs"}, allowed={"bot/app.py", "bot/cli.py"}) == []


DATABASE = {"storage", "sqlalchemy", "sqlmodel", "alembic", "psycopg", "aiosqlite"}


def test_jobs_reach_the_database_only_through_the_core() -> None:
    """jobs → bot: a job calls the same services a command calls, never storage/ or SQL itself."""
    assert offenders("jobs", DATABASE | {"handlers"}) == []


def test_the_chat_edges_reach_only_the_core() -> None:
    """handlers → bot: an edge translates payloads; it never touches storage/, SQL or the jobs."""
    assert offenders("handlers", DATABASE | {"jobs"}) == []


def test_the_jobs_and_edges_rules_catch_a_stray_import(tmp_path: Path) -> None:
    module = tmp_path / "tick.py"
    module.write_text("async def run(core):\n    from storage.job_runs import claim_period\n")
    assert imported_packages(module) & DATABASE == {"storage"}


def test_the_rule_checker_itself_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "sneaky.py"
    module.write_text("def f():\n    from slack_sdk.web import WebClient\n    import botbuilder.core\n")
    assert imported_packages(module) == {"slack_sdk", "botbuilder"}


def test_every_module_says_what_lives_there() -> None:
    missing = [
        path.relative_to(ROOT).as_posix()
        for folder in ("bot", "handlers", "jobs", "storage")
        for path in modules(folder)
        if "migrations/versions" not in path.as_posix()
        and ast.get_docstring(ast.parse(path.read_text())) is None
    ]
    assert missing == []
