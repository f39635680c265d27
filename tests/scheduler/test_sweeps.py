"""The sweep mechanism: APScheduler jobs with coalescing, and each missed sweep run once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import FixedClock
from domain.db import Database
from scheduler.sender import OutboxSender
from scheduler.service import SchedulerService
from scheduler.sweeps import SchedulerSettings, Sweep, SweepContext
from scheduler.texts import Catalog

SHANGHAI = ZoneInfo("Asia/Shanghai")


class EchoCatalog:
    def gettext(self, locale: str, message: str, /, **params: object) -> str:
        return message.format(**params) if params else message


class Counting:
    """A sweep that counts its runs."""

    def __init__(self) -> None:
        self.runs: list[datetime] = []

    async def __call__(self, session: AsyncSession, ctx: SweepContext, now: datetime) -> int:
        self.runs.append(now)
        return 0


def service(db: Database, clock: FixedClock, *sweeps: Sweep) -> SchedulerService:
    catalog: Catalog = EchoCatalog()
    return SchedulerService(
        db, clock, catalog, SchedulerSettings(), OutboxSender(db, {}, clock), sweeps
    )


async def test_each_missed_sweep_runs_once_after_downtime(db: Database) -> None:
    clock = FixedClock(datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI))
    often, daily = Counting(), Counting()
    scheduler = service(
        db,
        clock,
        Sweep("often", often, every=timedelta(minutes=15)),
        Sweep("daily", daily, daily_at=time(9, 0)),
    )
    assert await scheduler.catch_up() == ["often", "daily"]  # never run: both are owed
    assert await scheduler.catch_up() == []
    clock.advance(timedelta(minutes=10))
    assert await scheduler.catch_up() == []
    clock.advance(timedelta(days=3))  # three days down: many runs missed, each runs once
    assert await scheduler.catch_up() == ["often", "daily"]
    assert len(often.runs) == 2
    assert len(daily.runs) == 2
    clock.set(datetime(2026, 12, 7, 8, 59, tzinfo=SHANGHAI))
    assert await scheduler.catch_up() == ["often"]  # today's nine o'clock has not come
    clock.set(datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI))
    assert await scheduler.catch_up() == ["daily"]


async def test_jobs_coalesce_in_the_configured_timezone(db: Database) -> None:
    clock = FixedClock(datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI))
    scheduler = service(db, clock, Sweep("daily", Counting(), daily_at=time(9, 0)))
    apscheduler = scheduler.build_scheduler()
    apscheduler.start(paused=True)
    try:
        [job] = apscheduler.get_jobs()
        assert job.coalesce is True
        assert job.misfire_grace_time == 600
        assert job.max_instances == 1
        assert isinstance(job.trigger, CronTrigger)
        assert str(job.trigger.timezone) == "Asia/Shanghai"
        assert job.next_run_time.astimezone(SHANGHAI).time() == time(9, 0)
    finally:
        apscheduler.shutdown(wait=False)
        await asyncio.sleep(0)


def test_a_sweep_needs_exactly_one_schedule() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Sweep("nothing", Counting())
    with pytest.raises(ValueError, match="exactly one"):
        Sweep("both", Counting(), every=timedelta(minutes=1), daily_at=time(9))


def test_missed_since_for_a_daily_sweep() -> None:
    sweep = Sweep("daily", Counting(), daily_at=time(9, 0))
    last = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # 09:00 Shanghai
    assert not sweep.missed_since(last, last + timedelta(hours=23), "Asia/Shanghai")
    assert sweep.missed_since(last, last + timedelta(hours=24), "Asia/Shanghai")
