"""The console edge as a person types it: `champbot console` in a subprocess, reading stdin."""

from __future__ import annotations

from tests.cli import champbot


def test_ana_the_admin_asks_for_help_in_english(database_url: str) -> None:
    result = champbot(
        "console", "--user", "ana", "--admin", stdin="help\n", CHAMPBOT_DATABASE_URL=database_url
    )
    assert result.returncode == 0, result.stderr
    assert "Here is what you can do with champbot:" in result.stdout
    assert "setup <questions|champions|leadership|showtell> <#channel|here>" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_ana_asks_for_help_in_danish(database_url: str) -> None:
    result = champbot(
        "console",
        "--user",
        "ana",
        "--admin",
        "--locale",
        "da",
        stdin="help\n",
        CHAMPBOT_DATABASE_URL=database_url,
    )
    assert result.returncode == 0, result.stderr
    assert "Det her kan du med champbot:" in result.stdout
    assert "For administratorer (HR)" in result.stdout


def test_an_admin_session_binds_a_channel_grants_a_champion_and_bo_sees_it(database_url: str) -> None:
    admin = champbot(
        "console",
        "--user",
        "ana",
        "--admin",
        stdin="setup questions #ai-questions\ngrant champion @bo\nsetup\n",
        CHAMPBOT_DATABASE_URL=database_url,
    )
    assert admin.returncode == 0, admin.stderr
    assert "[#ai-questions] 👋 This is now the channel for anonymous AI questions." in admin.stdout
    assert "Done: #ai-questions is now the channel for anonymous AI questions." in admin.stdout
    assert "[DM to @bo] 🎉 @ana made you an AI champion." in admin.stdout
    assert "anonymous AI questions: #ai-questions" in admin.stdout

    bo = champbot("console", "--user", "bo", stdin="whoami\n", CHAMPBOT_DATABASE_URL=database_url)
    assert "Roles: AI champion, employee" in bo.stdout


def test_an_employee_is_refused_admin_commands_and_told_which_role_is_needed(database_url: str) -> None:
    result = champbot(
        "console", "--user", "bo", stdin="grant admin @bo\nwhoami\n", CHAMPBOT_DATABASE_URL=database_url
    )
    assert "grant needs the admin role." in result.stdout
    assert "Roles: employee" in result.stdout


def test_unknown_words_and_blank_lines_get_friendly_answers(database_url: str) -> None:
    result = champbot(
        "console", "--user", "bo", stdin="\n   \nhlep\nxyzzy plugh\n", CHAMPBOT_DATABASE_URL=database_url
    )
    assert result.returncode == 0
    assert "Did you mean help?" in result.stdout
    assert "I don't know the command “xyzzy”." in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_the_console_ends_cleanly_on_exit(database_url: str) -> None:
    result = champbot("console", "--user", "bo", stdin="exit\nhelp\n", CHAMPBOT_DATABASE_URL=database_url)
    assert result.returncode == 0
    assert "Hi, I'm champbot." in result.stdout  # the greeting
    assert result.stdout.count("• help — show this list") == 1  # the greeting's list only; nothing after exit
