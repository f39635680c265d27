"""On PostgreSQL: two scheduler processes at once queue each reminder once; one leads at a time
and a standby takes over when the leader dies."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import App
from domain.catalog import product_by_sku
from domain.clock import FixedClock
from domain.enums import Platform
from domain.network import person_for_identity
from domain.ordering import PricedLine, place_order
from tests.scheduler.support import outbox_rows

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
EVE = datetime(2027, 2, 5, 10, 0, tzinfo=SHANGHAI)  # Spring Festival Eve, 10:00


async def place(app: App, clock: FixedClock, at: datetime, key: str) -> int:
    clock.set(at)
    async with app.db.transaction() as session:
        person = await person_for_identity(session, Platform.CONSOLE, "S201")
        product = await product_by_sku(session, "A100")
        assert person is not None
        assert product is not None
        placement = await place_order(
            session,
            clock,
            person,
            [PricedLine(product, 10, Decimal("38.50"))],
            confirm_key=key,
            timezone="Asia/Shanghai",
        )
    return placement.order.id


async def spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.scheduler.scheduler_process",
        *args,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )


async def test_two_schedulers_at_once_queue_each_reminder_once(
    demo_app: App, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("two scheduler processes are a PostgreSQL deployment; SQLite runs one")
    clock = demo_app.clock
    assert isinstance(clock, FixedClock)
    await place(demo_app, clock, EVE - timedelta(hours=25), "one-day")  # reminder due
    await place(demo_app, clock, EVE - timedelta(hours=49), "two-days")  # and escalation
    before = {row.dedupe_key for row in await outbox_rows(demo_app.db)}

    processes = [await spawn("sweeps", database_url, EVE.isoformat()) for _ in range(2)]
    for process in processes:  # both are waiting on stdin: go
        assert process.stdin is not None
        process.stdin.write(b"go\n")
        await process.stdin.drain()
    outputs = [await asyncio.wait_for(p.communicate(), timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0]
    queued = [int(out.decode().strip()) for out, _ in outputs]

    new = [row for row in await outbox_rows(demo_app.db) if row.dedupe_key not in before]
    kinds = sorted(row.kind for row in new)
    assert kinds == [
        "digest.orders",
        *["greeting"] * 5,
        "order.approval-escalation",
        "order.approval-reminder",
        "order.approval-reminder",
    ]
    assert sum(queued) == len(new)  # and no process believed it queued one the other did


async def test_a_standby_takes_over_when_the_leader_dies(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the advisory lock is PostgreSQL's")
    leader = await spawn("lead", database_url)
    standby: asyncio.subprocess.Process | None = None
    try:
        assert leader.stdout is not None
        line = await asyncio.wait_for(leader.stdout.readline(), timeout=60)
        assert line.strip() == b"LEADING"
        standby = await spawn("lead", database_url)
        assert standby.stdout is not None
        with pytest.raises(TimeoutError):  # the lock is held: it stands by
            await asyncio.wait_for(standby.stdout.readline(), timeout=5)
        os.kill(leader.pid, signal.SIGKILL)
        await leader.wait()
        line = await asyncio.wait_for(standby.stdout.readline(), timeout=30)
        assert line.strip() == b"LEADING"
    finally:
        for process in (leader, standby):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()
