"""Who runs the scheduler and sender: with PostgreSQL, whoever holds one advisory lock.

The lock is taken with pg_try_advisory_lock on a connection of its own that stays open while we
lead; PostgreSQL releases it when that connection ends, so a process that dies hands over to a
standby within one poll. A heartbeat on the same connection notices a lost connection (and so a
lost lock) and stops leading. With SQLite a single process is assumed: there is no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.db import Database

log = logging.getLogger(__name__)

# "partnerb" as a 64-bit number: one lock for the whole deployment's scheduler and sender.
LOCK_KEY = int.from_bytes(b"partnerb", "big") & 0x7FFF_FFFF_FFFF_FFFF


class Leadership:
    def __init__(self, db: Database, *, poll: float = 5.0) -> None:
        self.db = db
        self.poll = poll
        self.lost = asyncio.Event()
        self._conn: AsyncConnection | None = None
        self._heartbeat: asyncio.Task[None] | None = None

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Wait until we lead (True) or `stop` is set (False)."""
        self.lost.clear()
        if self.db.is_sqlite:
            return not stop.is_set()
        announced = False
        while not stop.is_set():
            if await self._try():
                log.info("took the scheduler lock; running scheduler and sender")
                self._heartbeat = asyncio.create_task(self._beat())
                return True
            if not announced:
                log.info("another process runs the scheduler; standing by")
                announced = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.poll)
        return False

    async def _try(self) -> bool:
        conn: AsyncConnection | None = None
        try:
            conn = await self.db.engine.connect()
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = bool(
                await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})
            )
        except Exception:
            log.exception("could not ask for the scheduler lock")
            got = False
        if got:
            self._conn = conn
        elif conn is not None:
            await conn.close()
        return got

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.poll)
            try:
                assert self._conn is not None
                await self._conn.scalar(text("SELECT 1"))
            except Exception:
                log.exception("lost the scheduler lock's connection; stepping down")
                self.lost.set()
                return

    async def release(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None
