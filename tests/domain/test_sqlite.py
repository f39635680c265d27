"""SQLite on the event loop's thread: another writer is waited for without holding the loop."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from domain import sqlite
from domain.db import Database
from domain.models import Distributor


@pytest.fixture
async def sqlite_db(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Database]:
    path = tmp_path / "partnerbot.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    yield db
    await db.dispose()


def other_process_writing(db: Database) -> sqlite3.Connection:
    """A second connection (as an import in another process would) holding the write lock."""
    other = sqlite3.connect(db.url.database or "", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute(
        "INSERT INTO distributors (code, name, tier, province, city, grade, status, joined_on)"
        " VALUES ('D-OTHER', 'Other', 1, 'Zhejiang', 'Hangzhou', 'A', 'active', '2026-01-01')"
    )
    return other


async def test_a_transaction_waits_for_another_writer_while_the_loop_runs_on(
    sqlite_db: Database,
) -> None:
    other = other_process_writing(sqlite_db)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    async def read_codes() -> list[str]:
        async with sqlite_db.transaction() as session:
            return list((await session.scalars(select(Distributor.code))).all())

    beat = asyncio.create_task(ticker())
    waiting = asyncio.create_task(read_codes())
    await asyncio.sleep(0.3)
    assert not waiting.done()
    assert ticks >= 20, "the event loop was held while waiting for the lock"
    other.execute("COMMIT")
    other.close()
    assert await asyncio.wait_for(waiting, 5) == ["D-OTHER"]
    beat.cancel()


async def test_a_writer_that_never_finishes_makes_the_transaction_give_up(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite, "WRITE_LOCK_PATIENCE", 0.2)
    other = other_process_writing(sqlite_db)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            async with sqlite_db.transaction() as session:
                await session.scalars(select(Distributor.code))
    finally:
        other.execute("ROLLBACK")
        other.close()
    async with sqlite_db.transaction() as session:  # the pool's connection is still usable
        assert list((await session.scalars(select(Distributor.code))).all()) == []
