"""Deployment settings from PARTNERBOT_* environment variables (or a .env file)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError
from sqlalchemy.engine import make_url

from domain.db import UnsupportedDatabase, normalise_database_url
from domain.enums import SUPPORTED_LOCALES
from scheduler.quiet import BadQuietHours, QuietHours

PREFIX = "PARTNERBOT_"


class ConfigError(Exception):
    """A setting is malformed; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite+aiosqlite:///./partnerbot.db"
    timezone: str = "Asia/Shanghai"
    default_locale: str = "zh_CN"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=1, le=65535)

    telegram_token: SecretStr | None = None
    telegram_api_url: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None

    wechat_app_id: str | None = None
    wechat_app_secret: SecretStr | None = None
    wechat_token: SecretStr | None = None
    wechat_aes_key: SecretStr | None = None
    wechat_api_url: str = "https://api.weixin.qq.com"
    # notice kind -> "TEMPLATE_ID" or "TEMPLATE_ID:field", for notices outside the 48-hour window
    wechat_templates: dict[str, str] = Field(default_factory=dict)

    wecom_corp_id: str | None = None
    wecom_agent_id: str | None = None
    wecom_secret: SecretStr | None = None
    wecom_token: SecretStr | None = None
    wecom_aes_key: SecretStr | None = None
    wecom_api_url: str = "https://qyapi.weixin.qq.com"

    # scheduler and delivery (docs/scheduler.md)
    quiet_hours: str = "21:00-08:00"  # in each recipient's timezone; "off" for none
    greet_qixi: bool = False
    telegram_per_second: int = Field(default=30, ge=1, le=1000)
    wechat_mp_per_second: int = Field(default=20, ge=1, le=1000)
    wechat_mp_per_day: int | None = Field(default=None, ge=1)
    wecom_per_second: int = Field(default=20, ge=1, le=1000)
    wecom_per_day: int | None = Field(default=None, ge=1)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            return normalise_database_url(value)
        except UnsupportedDatabase as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        try:
            QuietHours.parse(value)
        except BadQuietHours as exc:
            raise ValueError(str(exc)) from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # "Asia" is a folder
            raise ValueError(
                f"unknown time zone {value!r} (use a name like Asia/Shanghai)"
            ) from exc
        return value

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("telegram_api_url", "telegram_webhook_url", "wechat_api_url", "wecom_api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


def load_settings(**overrides: object) -> Settings:
    """Read the environment; a malformed variable raises ConfigError naming it."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "?"
            shown = _printable_input(field, error.get("input"))
            problems.append(f"{PREFIX}{field.upper()}: {error['msg']} (got {shown})")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems)) from None
    except SettingsError as exc:
        # Structured variables (JSON, like WECHAT_TEMPLATES) fail before validation does.
        found = re.search(r'field "(\w+)"', str(exc))
        field = found.group(1).upper() if found else "?"
        raise ConfigError(
            f"invalid configuration:\n  {PREFIX}{field}: not valid JSON ({exc.__cause__ or exc})"
        ) from None


def _printable_input(field: str, value: object) -> str:
    """The offending value for the error message, without a database password in it."""
    if field == "database_url" and isinstance(value, str):
        try:
            return repr(make_url(value).render_as_string(hide_password=True))
        except Exception:  # not even URL-shaped: nothing to hide
            return repr(value)
    return repr(value)
