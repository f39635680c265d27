"""Plan and enqueue one broadcast to 100,000 people: seconds and peak memory.

Seeds a network of `-n` distributor staff (half of them reading English, spread over provinces
and both tiers, each with a Telegram account), then times `send_broadcast`: the audience is
copied into broadcast_recipients and the outbox with INSERT … SELECT (two statements per
language), so Python holds no row of it. Peak memory is measured with tracemalloc around the
planning alone (Python allocations), and the process's peak RSS is printed too. Runs on a fresh
SQLite file, and on PostgreSQL when `--database URL` or PARTNERBOT_TEST_DATABASE_URL is given
(in a database of its own, dropped afterwards). Target: under 10 s, memory flat.

    .venv/bin/python -m benchmarks.broadcast_enqueue [-n 100000] [--database URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from benchmarks.engine_throughput import drop_postgres, fresh_postgres
from domain import migrate
from domain.broadcasts import (
    ALL_LOCALES,
    Draft,
    Segment,
    create_broadcast,
    send_broadcast,
    set_bodies,
)
from domain.db import Database
from domain.enums import Platform
from domain.models import ChatIdentity, Distributor, OutboxMessage, User

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
PROVINCES = ("广东", "浙江", "江苏", "四川", "广西")
BATCH = 5000


async def seed(db: Database, people: int) -> None:
    """One distributor per 10 people; inserted in batches (not timed)."""
    async with db.transaction() as session:
        await session.execute(
            insert(User),
            [
                {
                    "code": "M001",
                    "name": "李娜",
                    "role": "manager",
                    "locale": "zh_CN",
                    "timezone": "Asia/Shanghai",
                    "active": True,
                    "created_at": NOW,
                }
            ],
        )
        distributors = max(1, people // 10)
        for first in range(0, distributors, BATCH):
            await session.execute(
                insert(Distributor),
                [
                    {
                        "code": f"B{n:06d}",
                        "name": f"压测商行{n}",
                        "tier": 1 if n % 20 == 0 else 2,
                        "province": PROVINCES[n % len(PROVINCES)],
                        "city": "城市",
                        "grade": "ABCD"[n % 4],
                        "status": "active",
                        "joined_on": date(2022, 1, 1),
                    }
                    for n in range(first, min(first + BATCH, distributors))
                ],
            )
        ids = list(await session.scalars(select(Distributor.id).order_by(Distributor.id)))
        for first in range(0, people, BATCH):
            await session.execute(
                insert(User),
                [
                    {
                        "code": f"P{n:07d}",
                        "name": f"员工{n}",
                        "role": "distributor_staff",
                        "distributor_id": ids[n % len(ids)],
                        "locale": "en" if n % 2 else "zh_CN",
                        "timezone": "Asia/Shanghai",
                        "active": True,
                        "created_at": NOW,
                    }
                    for n in range(first, min(first + BATCH, people))
                ],
            )
        staff = select(User.id).where(User.code.like("P%")).order_by(User.id)
        user_ids = list(await session.scalars(staff))
        for first in range(0, len(user_ids), BATCH):
            await session.execute(
                insert(ChatIdentity),
                [
                    {
                        "platform": Platform.TELEGRAM.value,
                        "external_id": str(9_000_000 + user_id),
                        "chat_ref": str(9_000_000 + user_id),
                        "user_id": user_id,
                        "display_name": "",
                        "bound_at": NOW,
                    }
                    for user_id in user_ids[first : first + BATCH]
                ],
            )


async def run(url: str, people: int) -> None:
    db = Database(url)
    await migrate.upgrade(db)
    started = time.perf_counter()
    await seed(db, people)
    seeded = time.perf_counter() - started
    async with db.transaction() as session:
        manager = await session.scalar(select(User.id).where(User.code == "M001"))
        assert manager is not None
        broadcast = await create_broadcast(
            session,
            Draft(manager, {ALL_LOCALES: "新价格表"}, Segment()),
            "benchmark",
            NOW,
        )
        body = {"text": "新价格表", "choices": [["已阅", f"n:broadcasts.ack:{broadcast.id}"]]}
        english = {"text": "New price list", "choices": [["I have read this", "n:..."]]}
        await set_bodies(session, broadcast.id, {"zh_CN": body, "en": english}, {})
    tracemalloc.start()
    started = time.perf_counter()
    async with db.transaction() as session:
        planned = await send_broadcast(session, broadcast.id, NOW)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    async with db.transaction() as session:
        queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
    await db.dispose()
    assert planned.targeted == people, planned
    assert queued == people, queued
    backend = make_url(url).get_backend_name()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    verdict = "meets" if elapsed < 10 else "MISSES"
    print(
        f"{backend}: planned and queued a broadcast to {people:,} people in {elapsed:.2f}s "
        f"({verdict} the 10 s target); Python peak during planning {peak / 1024:,.0f} KiB; "
        f"process peak RSS {rss:,.0f} MiB (seeding took {seeded:.1f}s, not counted)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--people", type=int, default=100_000)
    parser.add_argument("--database", help="a PostgreSQL URL to benchmark as well")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.db"
        asyncio.run(run(f"sqlite+aiosqlite:///{path}", args.people))
    postgres = args.database or os.environ.get("PARTNERBOT_TEST_DATABASE_URL")
    if postgres and not args.sqlite_only:
        url, name = asyncio.run(fresh_postgres(postgres))
        try:
            asyncio.run(run(url, args.people))
        finally:
            asyncio.run(drop_postgres(postgres, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
