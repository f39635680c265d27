"""The whole order wizard for many distributors: orders/second and p99 latency per step.

Each simulated tier-2 distributor (its own staff member on the console) walks the wizard:
"订货" → category → product → quantity → "继续添加" → category → product → quantity →
"确认下单" (nine messages, confirm included). Distributors run 5 at a time (--concurrency). Prints
orders/second and p50/p99 per step on a fresh SQLite file, and on PostgreSQL when
`--database URL` or PARTNERBOT_TEST_DATABASE_URL is given. Target: p99 below 50 ms per step.

    .venv/bin/python benchmarks/order_wizard.py [-n 1000] [--concurrency 20] [--database URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from benchmarks.engine_throughput import on_each_database, prepare
from bot.bootstrap import App
from domain.enums import Platform, Role
from domain.models import ChatIdentity, Distributor, Order, User
from handlers.types import Incoming, Reply

STEPS = ("订货", "1", "1", "10", "继续添加", "2", "1", "6", "确认下单")


async def add_distributors(app: App, count: int) -> list[str]:
    """`count` tier-2 distributors under D1001, each with one staff member on the console."""
    now = app.clock.now()
    refs = []
    async with app.db.transaction() as session:
        parent = await session.scalar(select(Distributor).where(Distributor.code == "D1001"))
        assert parent is not None
        for n in range(count):
            distributor = Distributor(
                code=f"B{n:05d}",
                name=f"压测商行{n}",
                tier=2,
                parent_id=parent.id,
                province="广东",
                city="广州",
                grade="C",
                status="active",
                joined_on=date(2024, 1, 1),
            )
            session.add(distributor)
            await session.flush()
            user = User(
                code=f"BU{n:05d}",
                name=f"店员{n}",
                role=Role.DISTRIBUTOR_STAFF.value,
                distributor_id=distributor.id,
                locale="zh_CN",
                timezone="Asia/Shanghai",
                active=True,
                created_at=now,
            )
            session.add(user)
            await session.flush()
            session.add(
                ChatIdentity(
                    platform=Platform.CONSOLE.value,
                    external_id=user.code,
                    chat_ref=user.code,
                    user_id=user.id,
                    display_name=user.name,
                    bound_at=now,
                )
            )
            refs.append(user.code)
    return refs


async def walk(app: App, ref: str, timings: list[list[float]]) -> None:
    for step, line in enumerate(STEPS):
        begun = time.perf_counter()
        replies: list[Reply] = await app.engine.handle(
            Incoming(Platform.CONSOLE, ref, ref, text=line)
        )
        timings[step].append(time.perf_counter() - begun)
        if not replies:
            raise SystemExit(f"{ref}: no answer to {line!r}")
    if "PO-" not in replies[0].text:
        raise SystemExit(f"{ref}: the wizard did not end in an order: {replies[0].text!r}")


async def run(url: str, count: int, concurrency: int) -> None:
    app = await prepare(url)
    refs = await add_distributors(app, count)
    timings: list[list[float]] = [[] for _ in STEPS]
    started = time.perf_counter()
    for first in range(0, len(refs), concurrency):
        await asyncio.gather(
            *(walk(app, ref, timings) for ref in refs[first : first + concurrency])
        )
    elapsed = time.perf_counter() - started
    async with app.db.transaction() as session:
        orders = await session.scalar(select(func.count()).select_from(Order))
    await app.aclose()
    assert orders == count, f"{orders} orders for {count} distributors"
    backend = make_url(url).get_backend_name()
    print(
        f"{backend}: {count} orders ({count * len(STEPS)} messages) in {elapsed:.1f}s: "
        f"{count / elapsed:,.1f} orders/s, {count * len(STEPS) / elapsed:,.0f} messages/s"
    )
    worst = 0.0
    for step, line in enumerate(STEPS):
        values = sorted(timings[step])
        p50 = statistics.median(values) * 1000
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))] * 1000
        worst = max(worst, p99)
        print(f"  step {step + 1} {line:6}  p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")
    verdict = "meets" if worst < 50 else "MISSES"
    print(
        f"  worst p99 {worst:.1f} ms: {verdict} the 50 ms target "
        f"({concurrency} distributors at a time)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--distributors", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=5)
    parser.add_argument("--database", help="a PostgreSQL URL to benchmark as well")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    on_each_database(
        lambda url: run(url, args.distributors, args.concurrency), args.database, args.sqlite_only
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
