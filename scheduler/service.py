"""The scheduler process: lead (or stand by), run the sweeps on APScheduler, drain the outbox.

`partnerbot scheduler` runs only this; `partnerbot run` runs it beside the HTTP app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from domain.clock import Clock
from domain.db import Database
from scheduler.leader import Leadership
from scheduler.sender import OutboxSender
from scheduler.sweeps import SchedulerSettings, Sweep, SweepContext, last_runs, run_sweep
from scheduler.texts import Catalog

log = logging.getLogger(__name__)


class SchedulerService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        catalog: Catalog,
        settings: SchedulerSettings,
        sender: OutboxSender,
        sweeps: Sequence[Sweep],
        *,
        lock_poll: float = 5.0,
    ) -> None:
        self.context = SweepContext(db, clock, catalog, settings)
        self.sender = sender
        self.sweeps = tuple(sweeps)
        self.leadership = Leadership(db, poll=lock_poll)

    async def run(self, stop: asyncio.Event) -> None:
        """Lead whenever we can until `stop` is set; step down if the lock is lost."""
        while not stop.is_set():
            if not await self.leadership.acquire(stop):
                return
            try:
                await self._lead(stop)
            except Exception:  # the database went away, say: step down, try again shortly
                log.exception("the scheduler stopped; starting again shortly")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.leadership.poll)
            finally:
                await self.leadership.release()

    async def catch_up(self) -> list[str]:
        """Run once each sweep whose scheduled time passed while nobody ran it."""
        settings = self.context.settings
        now = self.context.clock.now()
        runs = await last_runs(self.context.db)
        owed = [
            sweep
            for sweep in self.sweeps
            if sweep.missed_since(runs.get(sweep.name), now, settings.timezone)
        ]
        for sweep in owed:
            await self._run_sweep(sweep)
        return [sweep.name for sweep in owed]

    async def run_all_sweeps(self) -> dict[str, int]:
        return {sweep.name: await run_sweep(self.context, sweep) for sweep in self.sweeps}

    def build_scheduler(self) -> AsyncIOScheduler:
        settings = self.context.settings
        scheduler = AsyncIOScheduler(
            timezone=ZoneInfo(settings.timezone),
            job_defaults={
                "coalesce": True,
                "misfire_grace_time": int(settings.misfire_grace.total_seconds()),
                "max_instances": 1,
            },
        )
        for sweep in self.sweeps:
            scheduler.add_job(
                self._run_sweep,
                sweep.trigger(settings.timezone),
                args=[sweep],
                id=sweep.name,
                name=sweep.name,
                replace_existing=True,
            )
        return scheduler

    async def _lead(self, stop: asyncio.Event) -> None:
        await self.catch_up()
        scheduler = self.build_scheduler()
        scheduler.start()
        sender_stop = asyncio.Event()
        sender = asyncio.create_task(self.sender.run(sender_stop))
        waits = [
            asyncio.create_task(stop.wait()),
            asyncio.create_task(self.leadership.lost.wait()),
        ]
        try:
            await asyncio.wait([*waits, sender], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
            sender_stop.set()
            scheduler.shutdown(wait=False)
            with contextlib.suppress(Exception):
                await sender

    async def _run_sweep(self, sweep: Sweep) -> None:
        try:
            await run_sweep(self.context, sweep)
        except Exception:
            log.exception("sweep %s failed; the next run tries again", sweep.name)
