"""The sweep mechanism: a named, periodic function that decides what is due and enqueues it.

A sweep is `async def x_sweep(session, ctx, now) -> int` (how many notices it queued). It must
be safe to run twice: every notice carries a dedupe key that names the thing and the moment
(`approval-reminder:{order}:{approver}`), so a second run, a run after a crash or a run by a
second process queues nothing new. To add one, write the function and list it in
`scheduler.registry.SWEEPS`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.db import Database, dialect_of
from domain.models import SweepRun
from scheduler.quiet import QuietHours
from scheduler.texts import Catalog

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SchedulerSettings:
    timezone: str = "Asia/Shanghai"  # the brand's: daily sweeps run on its clock
    default_locale: str = "zh_CN"
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    greeting_time: time = time(9, 0)  # local time of each recipient
    greet_qixi: bool = False
    digest_time: time = time(9, 0)  # the brand's timezone
    # APScheduler: a run that is late by more than this (a suspended laptop, a blocked loop) is
    # skipped, and the next one runs; coalescing folds a backlog into one run.
    misfire_grace: timedelta = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class SweepContext:
    db: Database
    clock: Clock
    catalog: Catalog
    settings: SchedulerSettings


SweepFunction = Callable[[AsyncSession, SweepContext, datetime], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Sweep:
    """`every` (an interval) or `daily_at` (a local time in the brand's timezone)."""

    name: str
    run: SweepFunction
    every: timedelta | None = None
    daily_at: time | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.daily_at is None):
            raise ValueError(f"sweep {self.name}: give exactly one of every= or daily_at=")

    def trigger(self, timezone: str) -> BaseTrigger:
        zone = ZoneInfo(timezone)
        if self.every is not None:
            return IntervalTrigger(seconds=self.every.total_seconds(), timezone=zone)
        assert self.daily_at is not None
        return CronTrigger(hour=self.daily_at.hour, minute=self.daily_at.minute, timezone=zone)

    def missed_since(self, last_run: datetime | None, now: datetime, timezone: str) -> bool:
        """Whether a scheduled run fell between `last_run` and `now` (so one is owed)."""
        if last_run is None:
            return True
        if self.every is not None:
            return now - last_run >= self.every
        trigger = self.trigger(timezone)
        after = last_run + timedelta(microseconds=1)
        upcoming = trigger.get_next_fire_time(None, after)
        return upcoming is not None and upcoming <= now


async def run_sweep(ctx: SweepContext, sweep: Sweep) -> int:
    """One run in one transaction, recorded so a restart knows whether a run was missed."""
    now = ctx.clock.now()
    async with ctx.db.transaction() as session:
        queued = await sweep.run(session, ctx, now)
        await _record_run(session, sweep.name, now, queued)
    if queued:
        log.info("sweep %s queued %d", sweep.name, queued)
    return queued


async def last_runs(db: Database) -> dict[str, datetime]:
    async with db.transaction() as session:
        rows = await session.execute(select(SweepRun.name, SweepRun.last_run_at))
        return {name: at for name, at in rows}


async def _record_run(session: AsyncSession, name: str, now: datetime, queued: int) -> None:
    insert = pg_insert if dialect_of(session) == "postgresql" else sqlite_insert
    statement = insert(SweepRun).values(name=name, last_run_at=now, last_enqueued=queued)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"last_run_at": now, "last_enqueued": queued},
        )
    )
