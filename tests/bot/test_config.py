"""Configuration: sensible defaults with nothing set, and a malformed variable named plainly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import get_origin

import pytest
from sqlalchemy import create_engine, inspect

from bot.cli import main
from bot.config import PREFIX, ConfigError, Settings, load_settings

PARTNERBOT = str(Path(sys.executable).with_name("partnerbot"))


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No PARTNERBOT_* variable and no .env file: what a fresh machine sees."""
    for name in list(os.environ):
        if name.startswith(PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_work_with_nothing_set() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///./partnerbot.db"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.default_locale == "zh_CN"
    assert settings.http_host == "127.0.0.1"
    assert settings.http_port == 8080
    assert settings.telegram_token is None
    assert settings.wechat_app_id is None
    assert settings.wecom_corp_id is None


def test_a_dot_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PARTNERBOT_HTTP_PORT=9123\nPARTNERBOT_DEFAULT_LOCALE=en\n")
    settings = load_settings()
    assert (settings.http_port, settings.default_locale) == (9123, "en")


def test_common_database_url_spellings_get_the_async_driver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", "postgresql://bot@db.internal/partnerbot")
    assert load_settings().database_url == "postgresql+asyncpg://bot@db.internal/partnerbot"
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", "sqlite:////var/lib/partnerbot.db")
    assert load_settings().database_url == "sqlite+aiosqlite:////var/lib/partnerbot.db"


MALFORMED = [
    ("HTTP_PORT", "eighty"),
    ("HTTP_PORT", "0"),
    ("HTTP_PORT", "70000"),
    ("HTTP_PORT", "-1"),
    ("TIMEZONE", "Mars/Olympus_Mons"),
    ("TIMEZONE", "Asia"),
    ("TIMEZONE", "../../etc/passwd"),
    ("TIMEZONE", ""),
    ("DEFAULT_LOCALE", "fr"),
    ("DEFAULT_LOCALE", "zh-CN"),
    ("DATABASE_URL", "mysql://bot@127.0.0.1/partnerbot"),
    ("DATABASE_URL", "not a url"),
    ("DATABASE_URL", ""),
    ("TELEGRAM_API_URL", "api.telegram.org"),
    ("TELEGRAM_WEBHOOK_URL", "ftp://example.org/hook"),
    ("WECHAT_API_URL", "weixin"),
    ("WECOM_API_URL", "//qyapi.weixin.qq.com"),
]


@pytest.mark.parametrize(("name", "value"), MALFORMED)
def test_a_malformed_variable_is_named_in_the_error(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(PREFIX + name, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert PREFIX + name in str(raised.value)


@pytest.mark.parametrize(("name", "value"), MALFORMED)
def test_partnerbot_exits_2_naming_the_malformed_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, value: str
) -> None:
    monkeypatch.setenv(PREFIX + name, value)
    assert main(["db", "upgrade"]) == 2
    assert PREFIX + name in capsys.readouterr().err


def test_the_installed_command_exits_2_naming_the_variable(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(PREFIX)}
    environment["PARTNERBOT_HTTP_PORT"] = "eighty"
    finished = subprocess.run(
        [PARTNERBOT, "run"],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 2
    assert "PARTNERBOT_HTTP_PORT" in finished.stderr
    assert "Traceback" not in finished.stderr


STRUCTURED = [
    name.upper()
    for name, field in Settings.model_fields.items()
    if get_origin(field.annotation) in (dict, list) or field.annotation in (dict, list)
]


@pytest.mark.parametrize("name", STRUCTURED)
def test_a_structured_variable_that_is_not_json_is_named_in_the_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    monkeypatch.setenv(PREFIX + name, "{not json")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert PREFIX + name in str(raised.value)
    assert main(["db", "upgrade"]) == 2
    assert PREFIX + name in capsys.readouterr().err


def test_a_password_in_a_malformed_database_url_is_not_printed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", "mysql://bot:s3cret-pw@127.0.0.1/partnerbot")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert "PARTNERBOT_DATABASE_URL" in str(raised.value)
    assert "s3cret-pw" not in str(raised.value)


def test_db_upgrade_creates_the_schema_in_a_fresh_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "fresh" / "partnerbot.db"
    path.parent.mkdir()
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", f"sqlite:///{path}")
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out.strip()
    engine = create_engine(f"sqlite:///{path}")
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"users", "distributors", "conversation_states", "alembic_version"} <= tables
    assert main(["db", "upgrade"]) == 0  # a second run has nothing to do and says so
