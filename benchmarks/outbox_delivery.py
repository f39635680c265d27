"""How fast a greeting for 100,000 partners is queued, and how close the sender keeps to the cap.

1. Seeds N distributor staff with Telegram accounts and runs the greeting sweep on Spring
   Festival Eve 2027: prints the time to queue N greetings (target: under 10 s).
2. Delivers them with a zero-latency fake platform on a virtual clock (time passes only when the
   pacer waits; one send at a time, so the simulation is exact): prints the simulated delivery
   rate against Telegram's 30/s cap (target: at least 95%) and the real rate at which the
   sender gets through rows, database included (it must stay far above the cap).

    .venv/bin/python benchmarks/outbox_delivery.py [-n 100000] [--deliver 20000] [--database URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from domain import migrate
from domain.clock import FixedClock
from domain.db import Database
from domain.delivery import (
    Delivery,
    DeliveryOutcome,
    OutgoingMessage,
    Recipient,
)
from domain.enums import Platform
from domain.models import ChatIdentity, Distributor, OutboxMessage, User
from handlers.i18n import Translator
from scheduler.greetings import greeting_sweep
from scheduler.pacing import TELEGRAM_LIMITS, PlatformLimits, VirtualTimer
from scheduler.sender import OutboxSender, SenderConfig
from scheduler.sweeps import SchedulerSettings, Sweep, SweepContext, run_sweep

SHANGHAI = ZoneInfo("Asia/Shanghai")
EVE = date(2027, 2, 5)
PER_DISTRIBUTOR = 20


class CountingPlatform:
    platform = Platform.TELEGRAM

    def __init__(self) -> None:
        self.delivered = 0

    async def send(self, recipient: Recipient, message: OutgoingMessage) -> Delivery:
        self.delivered += 1
        return Delivery(DeliveryOutcome.DELIVERED)


async def seed(db: Database, people: int) -> None:
    now = datetime(2026, 12, 1, tzinfo=SHANGHAI)
    distributors = (people + PER_DISTRIBUTOR - 1) // PER_DISTRIBUTOR
    async with db.transaction() as session:
        await session.execute(
            insert(Distributor),
            [
                {
                    "code": f"B{n:06d}",
                    "name": f"分销商{n}",
                    "tier": 2,
                    "province": "广东",
                    "city": "深圳",
                    "grade": "B",
                    "status": "active",
                    "joined_on": date(2020, 1 + n % 12, 1 + n % 28),
                }
                for n in range(distributors)
            ],
        )
        ids = {
            code: id_
            for code, id_ in await session.execute(select(Distributor.code, Distributor.id))
        }
        await session.execute(
            insert(User),
            [
                {
                    "code": f"P{n:07d}",
                    "name": f"伙伴{n}",
                    "role": "distributor_staff",
                    "distributor_id": ids[f"B{n // PER_DISTRIBUTOR:06d}"],
                    "locale": "en" if n % 5 == 0 else "zh_CN",
                    "timezone": "Asia/Shanghai",
                    "active": True,
                    "created_at": now,
                }
                for n in range(people)
            ],
        )
        users = {code: id_ for code, id_ in await session.execute(select(User.code, User.id))}
        await session.execute(
            insert(ChatIdentity),
            [
                {
                    "platform": Platform.TELEGRAM.value,
                    "external_id": str(10_000_000 + n),
                    "chat_ref": str(10_000_000 + n),
                    "user_id": users[f"P{n:07d}"],
                    "display_name": "",
                    "bound_at": now,
                }
                for n in range(people)
            ],
        )


async def main(people: int, deliver: int, database: str | None) -> None:
    folder = tempfile.TemporaryDirectory()
    url = database or f"sqlite+aiosqlite:///{Path(folder.name) / 'bench.db'}"
    db = Database(url)
    await migrate.upgrade(db)
    async with db.transaction() as session:
        if await session.scalar(select(func.count()).select_from(User)):
            sys.exit("the benchmark needs an empty database")
    print(f"database: {db.url.get_backend_name()}; seeding {people:,} partners ...")
    await seed(db, people)

    clock = FixedClock(datetime.combine(EVE, datetime.min.time(), SHANGHAI) + timedelta(hours=9))
    context = SweepContext(db, clock, Translator.load("zh_CN"), SchedulerSettings())
    sweep = Sweep("greetings", greeting_sweep, every=timedelta(minutes=15))
    started = time.perf_counter()
    queued = await run_sweep(context, sweep)
    took = time.perf_counter() - started
    print(f"enqueue: {queued:,} greetings in {took:.2f} s ({queued / took:,.0f}/s; target < 10 s)")
    started = time.perf_counter()
    again = await run_sweep(context, sweep)
    print(f"the same sweep again: {again} new in {time.perf_counter() - started:.2f} s")

    limits: PlatformLimits = TELEGRAM_LIMITS
    serial = PlatformLimits(
        max_per_window=limits.max_per_window,
        window=limits.window,
        chat_interval=limits.chat_interval,
        margin=limits.margin,
        concurrency=1,
    )
    timer = VirtualTimer()
    platform = CountingPlatform()
    sender = OutboxSender(
        db,
        {Platform.TELEGRAM: platform},
        clock,
        SenderConfig(limits={Platform.TELEGRAM: serial}),
        timer=timer,
    )
    started = time.perf_counter()
    while platform.delivered < deliver:
        report = await sender.deliver_due()
        if not report.progressed:
            break
    wall = time.perf_counter() - started
    rate = platform.delivered / timer.monotonic() if timer.monotonic() else float("inf")
    print(
        f"simulated delivery: {platform.delivered:,} in {timer.monotonic():,.1f} virtual s = "
        f"{rate:.2f}/s against a cap of {limits.cap:.0f}/s ({rate / limits.cap:.1%}; "
        "target >= 95%)"
    )
    print(f"sender throughput, database included: {platform.delivered / wall:,.0f} rows/s (real)")
    async with db.transaction() as session:
        sent = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent")
        )
    print(f"recorded as sent: {sent:,}")
    await db.dispose()
    folder.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--people", type=int, default=100_000)
    parser.add_argument("--deliver", type=int, default=20_000, help="how many to deliver")
    parser.add_argument("--database", help="an empty database (default: a temporary SQLite)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.people, arguments.deliver, arguments.database))
