"""The periodic sweeps the scheduler runs. Adding one: write the function, add one line here."""

from __future__ import annotations

from datetime import timedelta

from scheduler.broadcasts import broadcast_sweep
from scheduler.greetings import greeting_sweep
from scheduler.reminders import approval_reminder_sweep, manager_digest_sweep
from scheduler.sweeps import SchedulerSettings, Sweep


def sweeps(settings: SchedulerSettings) -> tuple[Sweep, ...]:
    return (
        Sweep("greetings", greeting_sweep, every=timedelta(minutes=15)),
        Sweep("approval_reminders", approval_reminder_sweep, every=timedelta(minutes=15)),
        Sweep("manager_digest", manager_digest_sweep, daily_at=settings.digest_time),
        Sweep("broadcasts", broadcast_sweep, every=timedelta(minutes=1)),
    )
