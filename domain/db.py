"""Engine and transactions for SQLite (embedded, WAL) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from domain import sqlite

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


def dialect_of(session: AsyncSession) -> str:
    """ "sqlite" or "postgresql": for the few statements that differ (upserts, row locks)."""
    return session.get_bind().dialect.name


class UnsupportedDatabase(ValueError):
    pass


def normalise_database_url(raw: str) -> str:
    """Accept the common spellings (`sqlite:///`, `postgresql://`) and name the async driver."""
    try:
        url = make_url(raw)
    except Exception as exc:  # sqlalchemy raises ArgumentError and friends
        raise UnsupportedDatabase(f"not a database URL: {raw!r}") from exc
    backend = url.get_backend_name()
    if backend == "sqlite":
        url = url.set(drivername="sqlite+aiosqlite")
    elif backend in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+asyncpg")
    else:
        raise UnsupportedDatabase(f"unsupported database {backend!r}; use SQLite or PostgreSQL")
    return url.render_as_string(hide_password=False)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # WAL with foreign keys on; commits wait for the disk only at checkpoints.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Take the write lock up front: a deferred transaction that later writes can fail with
        # SQLITE_BUSY at once instead of waiting, which would surface as a lost message.
        sqlite.take_write_lock(connection.connection.driver_connection.sqlite)


class Database:
    """One engine and its sessions; created by bootstrap, disposed on shutdown."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url: URL = make_url(normalise_database_url(url))
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["async_creator"] = self._open_sqlite
            # Every checkout ends its own transaction (commit or rollback on close), so the
            # pool's extra ROLLBACK on return would be one more statement each time.
            kwargs["pool_reset_on_return"] = None
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._sqlite_writer = asyncio.Lock() if self.is_sqlite else None
        self._writer_connection: AsyncConnection | None = None

    async def _open_sqlite(self) -> sqlite.LoopConnection:
        args, kwargs = self.engine.sync_engine.dialect.create_connect_args(self.url)
        return await sqlite.LoopConnection(sqlite.connector(list(args), dict(kwargs)))

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits when the block ends normally, rolls back otherwise.

        SQLite has one writer at a time and every transaction here takes the write lock, so
        this process queues its own transactions on an asyncio lock: waiting there is instant
        when the writer finishes, while SQLite's busy handler would sleep and poll.
        """
        if self._sqlite_writer is None:
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._sqlite_writer:
            # Sessions take turns on one connection: no pool check-out and return each time.
            # Not `async with session`: that closes it in a shielded task, two more turns of
            # the event loop per transaction, to survive cancellation mid-close. Closing a
            # SQLite session here never waits (see domain/sqlite.py), so it cannot be cut short.
            if self._writer_connection is None:
                self._writer_connection = await self.engine.connect()
            session = AsyncSession(bind=self._writer_connection, expire_on_commit=False)
            try:
                async with session.begin():
                    yield session
            except BaseException:
                await session.close()
                await self._drop_writer_connection()  # whatever state it is in, a fresh one next
                raise
            await session.close()

    async def _drop_writer_connection(self) -> None:
        connection, self._writer_connection = self._writer_connection, None
        if connection is not None:
            await connection.close()

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self._drop_writer_connection()
        await self.engine.dispose()
