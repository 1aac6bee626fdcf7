"""Configuration: defaults, parsing, and one clear line naming the variable when something is wrong."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings
from bot.domain import Platform
from tests.cli import champbot


def test_defaults_need_nothing_set() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///champbot.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 3978)
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.locale == "en" and not settings.slack_enabled


def test_admins_are_parsed_per_platform_and_teams_ids_keep_their_colons(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHAMPBOT_ADMINS", "slack:U012AB3CD, teams:29:1a2b")
    refs = load_settings().admin_refs
    assert [(r.platform, r.user_id) for r in refs] == [
        (Platform.SLACK, "U012AB3CD"),
        (Platform.TEAMS, "29:1a2b"),
    ]


def test_teams_variables_use_botbuilders_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MicrosoftAppId", "app-id")
    monkeypatch.setenv("MicrosoftAppType", "SingleTenant")
    monkeypatch.setenv("MicrosoftAppTenantId", "tenant")
    monkeypatch.setenv("CHAMPBOT_TEAMS_TENANTS", "t1,t2")
    settings = load_settings()
    assert (settings.microsoft_app_id, settings.microsoft_app_type) == ("app-id", "SingleTenant")
    assert settings.teams_tenants == ["t1", "t2"]


@pytest.mark.parametrize(
    "variables, named",
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"CHAMPBOT_TIMEZONE": "Mars/Olympus"}, "CHAMPBOT_TIMEZONE"),
        ({"CHAMPBOT_LOCALE": "fr"}, "CHAMPBOT_LOCALE"),
        ({"CHAMPBOT_ADMINS": "U012AB3CD"}, "CHAMPBOT_ADMINS"),
        ({"CHAMPBOT_ADMINS": "discord:U1"}, "CHAMPBOT_ADMINS"),
        ({"CHAMPBOT_DATABASE_URL": "mysql://x"}, "CHAMPBOT_DATABASE_URL"),
        ({"CHAMPBOT_LOG_FORMAT": "xml"}, "CHAMPBOT_LOG_FORMAT"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"MicrosoftAppId": "x", "MicrosoftAppType": "SingleTenant"}, "MicrosoftAppTenantId"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], named: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert named in message and "\n" not in message


def test_the_command_line_reports_bad_configuration_without_a_traceback() -> None:
    result = champbot("db", "current", PORT="eighty")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("champbot: invalid configuration: PORT:")
