"""SQLite connections that run on the event loop's own thread.

aiosqlite gives every connection a worker thread and hands each call over to it and back. On
the small, indexed statements a conversation makes, that hand-over costs far more than the
statement: measured here, a transaction of one look-up took 2.6 ms through the thread and 0.5 ms
without it, and SQLite itself needs about 12 microseconds. So the SQLite engine keeps aiosqlite's
interface (SQLAlchemy's `sqlite+aiosqlite` dialect drives it) but runs each call at once.

What that gives up, and how it is won back:
- A statement holds the event loop while it runs. Ours are look-ups by key and short writes;
  bulk work (imports, broadcasts, sweeps) commits in batches, so the loop gets turns between.
- Waiting for another process's write lock must not hold the loop: connections get no busy
  timeout, and `take_write_lock` retries `BEGIN IMMEDIATE` with asyncio sleeps instead.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Generator
from typing import Any

import aiosqlite
from sqlalchemy.util import await_only

# How long a transaction waits for another process (an import, a second service) to finish
# writing before it gives up; the same as SQLite's usual busy timeout for this project.
WRITE_LOCK_PATIENCE = 30.0
_FIRST_RETRY = 0.002
_LONGEST_RETRY = 0.1


class _RunAtOnce:
    """Stands in for aiosqlite's queue to its worker thread: runs each call when it is queued.

    SQLAlchemy's adapter queues its isolation-level change on that queue directly."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # handed to whoever awaits the future, as aiosqlite does
            if future is not None and not future.done():
                future.set_exception(exc)
        else:
            if future is not None and not future.done():
                future.set_result(result)


class LoopConnection(aiosqlite.Connection):
    """An aiosqlite connection without the worker thread: every call runs when awaited."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunAtOnce()  # type: ignore[assignment]

    @property
    def sqlite(self) -> sqlite3.Connection:
        return self._conn

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _connect(self) -> LoopConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Generator[Any, None, LoopConnection]:
        return self._connect().__await__()

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


def connector(args: list[Any], kwargs: dict[str, Any]) -> Callable[[], sqlite3.Connection]:
    """Opens the database as the dialect would, in autocommit mode (SQLAlchemy emits BEGIN),
    without a busy timeout (see `take_write_lock`)."""

    def connect() -> sqlite3.Connection:
        options: dict[str, Any] = {**kwargs, "timeout": 0, "isolation_level": None}
        connection: sqlite3.Connection = sqlite3.connect(*args, **options)
        return connection

    return connect


def _locked(exc: sqlite3.OperationalError) -> bool:
    primary = exc.sqlite_errorcode & 0xFF  # SQLITE_BUSY_RECOVERY and friends count too
    return primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def take_write_lock(connection: sqlite3.Connection) -> None:
    """`BEGIN IMMEDIATE`, waiting on the event loop (not in SQLite) while another process writes.

    Runs inside SQLAlchemy's greenlet (its "begin" event), so it can await a sleep."""
    deadline = time.monotonic() + WRITE_LOCK_PATIENCE
    delay = _FIRST_RETRY
    while True:
        try:
            connection.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if not _locked(exc) or time.monotonic() + delay > deadline:
                raise
        await_only(asyncio.sleep(delay))
        delay = min(delay * 2, _LONGEST_RETRY)
