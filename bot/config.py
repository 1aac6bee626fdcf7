"""Typed configuration read once from the environment; nothing else reads os.environ."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain import Platform

CommaList = Annotated[list[str], NoDecode]


@dataclass(frozen=True)
class AdminRef:
    platform: Platform
    user_id: str


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """Every variable champbot reads; the README's configuration table mirrors this class."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", populate_by_name=True)

    database_url: str = Field("sqlite:///champbot.db", validation_alias=_env("CHAMPBOT_DATABASE_URL"))
    host: str = Field("127.0.0.1", validation_alias=_env("CHAMPBOT_HOST"))
    port: int = Field(3978, ge=0, le=65535, validation_alias=_env("PORT"))

    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(None, validation_alias=_env("SLACK_SIGNING_SECRET"))
    slack_app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=_env("SLACK_API_URL"))

    microsoft_app_id: str = Field("", validation_alias=_env("MicrosoftAppId"))
    microsoft_app_password: SecretStr = Field(SecretStr(""), validation_alias=_env("MicrosoftAppPassword"))
    microsoft_app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = Field(
        "MultiTenant", validation_alias=_env("MicrosoftAppType")
    )
    microsoft_app_tenant_id: str = Field("", validation_alias=_env("MicrosoftAppTenantId"))
    teams_tenants: CommaList = Field(default_factory=list, validation_alias=_env("CHAMPBOT_TEAMS_TENANTS"))

    admins: CommaList = Field(default_factory=list, validation_alias=_env("CHAMPBOT_ADMINS"))
    locale: Literal["en", "da"] = Field("en", validation_alias=_env("CHAMPBOT_LOCALE"))
    timezone: str = Field("Europe/Copenhagen", validation_alias=_env("CHAMPBOT_TIMEZONE"))
    content_dir: Path | None = Field(None, validation_alias=_env("CHAMPBOT_CONTENT_DIR"))
    holiday_country: str = Field("DK", validation_alias=_env("CHAMPBOT_HOLIDAY_COUNTRY"))

    log_format: Literal["text", "json"] = Field("text", validation_alias=_env("CHAMPBOT_LOG_FORMAT"))
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias=_env("CHAMPBOT_LOG_LEVEL")
    )
    slack_rate: float = Field(20.0, gt=0, le=1000, validation_alias=_env("CHAMPBOT_SLACK_RATE"))
    teams_rate: float = Field(50.0, gt=0, le=1000, validation_alias=_env("CHAMPBOT_TEAMS_RATE"))
    outbox_concurrency: int = Field(16, ge=1, le=256, validation_alias=_env("CHAMPBOT_OUTBOX_CONCURRENCY"))
    work_concurrency: int = Field(4, ge=1, le=256, validation_alias=_env("CHAMPBOT_WORK_CONCURRENCY"))
    outbox_max_attempts: int = Field(8, ge=1, le=100, validation_alias=_env("CHAMPBOT_OUTBOX_MAX_ATTEMPTS"))
    outbox_lease_seconds: float = Field(
        300.0, ge=1, le=3600, validation_alias=_env("CHAMPBOT_OUTBOX_LEASE_SECONDS")
    )
    leader_retry_seconds: float = Field(
        15.0, gt=0, le=60, validation_alias=_env("CHAMPBOT_LEADER_RETRY_SECONDS")
    )
    qa_response_hours: float = Field(
        48.0, gt=0, le=24 * 60, validation_alias=_env("CHAMPBOT_QA_RESPONSE_HOURS")
    )
    qa_max_delay: float = Field(120.0, ge=0, le=3600, validation_alias=_env("CHAMPBOT_QA_MAX_DELAY"))
    qa_daily_limit: int = Field(5, ge=1, le=1000, validation_alias=_env("CHAMPBOT_QA_DAILY_LIMIT"))
    # An OpenAI-compatible chat-completions endpoint for AI-drafted answers; all three or none.
    llm_base_url: str = Field("", validation_alias=_env("CHAMPBOT_LLM_BASE_URL"))
    llm_api_key: SecretStr = Field(SecretStr(""), validation_alias=_env("CHAMPBOT_LLM_API_KEY"))
    llm_model: str = Field("", validation_alias=_env("CHAMPBOT_LLM_MODEL"))
    llm_timeout: float = Field(10.0, gt=0, le=300, validation_alias=_env("CHAMPBOT_LLM_TIMEOUT"))

    @field_validator("teams_tenants", "admins", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("admins")
    @classmethod
    def _check_admins(cls, value: list[str]) -> list[str]:
        for entry in value:
            platform, sep, user_id = entry.partition(":")
            if not sep or not user_id or platform not in {p.value for p in Platform}:
                raise ValueError(f"{entry!r} is not platform:user_id (platform is slack, teams or console)")
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Copenhagen") from None
        return value

    @field_validator("holiday_country")
    @classmethod
    def _check_holiday_country(cls, value: str) -> str:
        code = value.strip().upper()
        if code not in holidays.list_supported_countries():
            raise ValueError(f"{value!r} is not a country code the holidays package knows, such as DK or SE")
        return code

    @field_validator("content_dir")
    @classmethod
    def _check_content_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{str(value)!r} is not a folder")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "sqlite+", "postgresql:", "postgresql+", "postgres:")):
            raise ValueError("use sqlite:///FILE or postgresql+psycopg://USER@HOST/DB")
        return value

    @model_validator(mode="after")
    def _check_combinations(self) -> Settings:
        if self.slack_bot_token and not self.slack_app_token and not self.slack_signing_secret:
            raise ValueError(
                "SLACK_SIGNING_SECRET is required when SLACK_BOT_TOKEN is set without SLACK_APP_TOKEN"
            )
        if self.slack_app_token and not self.slack_bot_token:
            raise ValueError("SLACK_BOT_TOKEN is required when SLACK_APP_TOKEN is set")
        if (
            self.microsoft_app_type == "SingleTenant"
            and self.microsoft_app_id
            and not self.microsoft_app_tenant_id
        ):
            raise ValueError("MicrosoftAppTenantId is required when MicrosoftAppType is SingleTenant")
        return self

    @property
    def admin_refs(self) -> list[AdminRef]:
        return [AdminRef(Platform(entry.partition(":")[0]), entry.partition(":")[2]) for entry in self.admins]

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


_ALIASES = {
    name: (field.validation_alias.choices[0] if isinstance(field.validation_alias, AliasChoices) else name)
    for name, field in Settings.model_fields.items()
}


class ConfigError(Exception):
    """A configuration problem, worded for the person starting the bot."""


def load_settings(**overrides: object) -> Settings:
    """Read the environment (and explicit overrides); raise ConfigError with one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        loc = error["loc"]
        field = str(loc[0]) if loc else ""
        variable = _ALIASES.get(field, field)
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{variable}: {message}" if variable else message)
    return "invalid configuration: " + "; ".join(problems)
