"""Shared fixtures: every database test runs on SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.bootstrap import App, bootstrap
from bot.config import Settings
from bot.console import ConsoleChat
from domain import migrate
from domain.clock import FixedClock
from domain.db import Database
from domain.demo import seed_demo_network
from domain.models import Base

PG_ENV = "PARTNERBOT_TEST_DATABASE_URL"
PG_URL = os.environ.get(PG_ENV)
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Thursday 3 December 2026, 10:00 in Shanghai: inside office hours.
START = datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI)


def pytest_report_header(config: pytest.Config) -> str:
    if PG_URL:
        return f"PostgreSQL variants: ON ({make_url(PG_URL).render_as_string()})"
    return f"PostgreSQL variants: SKIPPED — set {PG_ENV} to run them"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not PG_URL:
        terminalreporter.write_sep(
            "!", f"PostgreSQL variants were SKIPPED: {PG_ENV} is not set", yellow=True, bold=True
        )


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection to a non-loopback address fails the test."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(str(host)):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


# -- databases -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating every time is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def build() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await migrate.upgrade(db)
        await db.dispose()

    asyncio.run(build())
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test session's own, so parallel runs do not trample each other."""
    if not PG_URL:
        pytest.skip(f"PostgreSQL variant skipped: {PG_ENV} is not set")
    base = make_url(PG_URL)
    name = f"partnerbot_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"

    async def admin(sql: str) -> None:
        db = Database(base.render_as_string(hide_password=False))
        async with db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(sql))
        await db.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)

    async def build() -> None:
        db = Database(url)
        await migrate.upgrade(db)
        await db.dispose()

    asyncio.run(build())
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty database: a fresh SQLite file, or the emptied PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path / "partnerbot.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    asyncio.run(_truncate_all(url))
    return url


async def _truncate_all(url: str) -> None:
    db = Database(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    async with db.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await db.dispose()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


# -- the application ---------------------------------------------------------------------------


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
async def app(settings: Settings, clock: FixedClock) -> AsyncIterator[App]:
    application = bootstrap(settings, clock=clock)
    yield application
    await application.aclose()


@pytest.fixture
async def demo_app(app: App) -> App:
    """The application with the demo network seeded."""
    async with app.db.transaction() as session:
        await seed_demo_network(session, app.clock, app.settings.timezone)
    return app


@pytest.fixture
def chat(demo_app: App) -> ConsoleChat:
    """A terminal chat over the demo network, starting as the newcomer, in Chinese."""
    return ConsoleChat(demo_app.engine, demo_app.db, demo_app.translator, "zh_CN")
