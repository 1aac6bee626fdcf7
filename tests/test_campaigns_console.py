"""Campaigns in the console: the person at the terminal is the whole audience, in English and Danish."""

from __future__ import annotations

from pathlib import Path

from tests.cli import champbot


def test_an_admin_in_the_console_sends_a_campaign_and_sees_it_arrive(tmp_path: Path) -> None:
    result = champbot(
        "console",
        "--user",
        "ana",
        "--admin",
        stdin="nudge schedule everyone now Hello from HR <!channel>\nnudge list\n",
        CHAMPBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'console.db'}",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Campaign #1 scheduled: now." in out
    assert "[DM to @ana] Campaign #1 “Hello from HR <!channel>”" in out  # the live progress message
    assert "[DM to @ana] Hello from HR <!channel>" in out  # the campaign itself
    assert "• #1" in out and "everyone · now" in out


def test_a_danish_admin_gets_danish_answers_and_reasons(tmp_path: Path) -> None:
    result = champbot(
        "console",
        "--user",
        "ana",
        "--admin",
        "--locale",
        "da",
        stdin="nudge schedule alle hver sommerdag 10:00 hej\nnudge schedule alle nu hej med jer\n",
        CHAMPBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'console.db'}",
    )
    assert result.returncode == 0, result.stderr
    assert "“sommerdag” er ikke en ugedag." in result.stdout
    assert "Kampagne #1 er planlagt: nu." in result.stdout
    assert "[DM to @ana] hej med jer" in result.stdout


def test_an_employee_in_the_console_may_not_send_campaigns(tmp_path: Path) -> None:
    result = champbot(
        "console",
        "--user",
        "bo",
        stdin="nudge schedule everyone now hi\n",
        CHAMPBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'console.db'}",
    )
    assert "needs the admin role" in result.stdout
    assert "[DM to @bo] hi" not in result.stdout
