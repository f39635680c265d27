"""A real scheduler process for the PostgreSQL tests: `python -m tests.scheduler.scheduler_process`.

`sweeps DB ISO-TIME`: wait for a line on stdin (so two processes start together), run every
sweep five times at that instant, print how many notices it queued. `lead DB`: run the
scheduler service (lock, sweeps, sender) and print LEADING when it holds the lock.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from bot.bootstrap import bootstrap
from bot.config import Settings
from bot.scheduling import build_scheduler
from domain.clock import FixedClock
from scheduler.service import SchedulerService


async def sweeps(database_url: str, when: str) -> int:
    clock = FixedClock(datetime.fromisoformat(when))
    app = bootstrap(Settings(database_url=database_url, _env_file=None), clock=clock)  # type: ignore[call-arg]
    service = build_scheduler(app, messengers={})
    await asyncio.to_thread(sys.stdin.readline)
    queued = 0
    try:
        for _ in range(5):
            queued += sum((await service.run_all_sweeps()).values())
    finally:
        await app.aclose()
    print(queued, flush=True)
    return 0


class AnnouncedService(SchedulerService):
    async def _lead(self, stop: asyncio.Event) -> None:
        print("LEADING", flush=True)
        await super()._lead(stop)


async def lead(database_url: str) -> int:
    app = bootstrap(Settings(database_url=database_url, _env_file=None))  # type: ignore[call-arg]
    built = build_scheduler(app, messengers={})
    service = AnnouncedService(
        app.db,
        app.clock,
        app.translator,
        built.context.settings,
        built.sender,
        built.sweeps,
        lock_poll=0.2,
    )
    stop = asyncio.Event()
    try:
        await asyncio.wait_for(service.run(stop), timeout=120)
    except TimeoutError:
        pass
    finally:
        await app.aclose()
    return 0


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    sys.exit(asyncio.run(sweeps(*rest) if command == "sweeps" else lead(*rest)))
