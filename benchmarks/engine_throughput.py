"""How many messages a second one process's conversation engine handles, and how fast each one.

Pushes N synthetic messages through `Engine.handle` one after another: bound demo people
navigating menus (commands, stamped buttons, typed numbers) and strangers trying wrong
invitation codes. Prints messages/second and p50/p99 latency. Runs on a fresh SQLite file,
and on PostgreSQL when `--database URL` or PARTNERBOT_TEST_DATABASE_URL is given.

Beside it, the floor in the same run: bare transactions through the same `Database` holding
the least a menu message needs (read the conversation by key, write it back), with no engine
around them, so the figures say how much is the engine's and how much the database layer's.

    .venv/bin/python benchmarks/engine_throughput.py [-n 5000] [--database URL] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.engine import make_url

from bot.bootstrap import App, bootstrap
from bot.config import Settings
from domain import migrate
from domain.db import Database
from domain.demo import PEOPLE, seed_demo_network
from domain.enums import Platform
from domain.models import ConversationState
from handlers.types import Incoming, Reply

STRANGERS = 500  # distinct chat accounts, so lockouts do not turn every try into a refusal


@dataclass
class Navigator:
    """One bound demo person wandering through the menus: /menu, then the buttons shown."""

    ref: str
    replies: list[Reply] = field(default_factory=list)
    step: int = 0

    def next_message(self) -> Incoming:
        self.step += 1
        choices = [c for r in self.replies for c in r.choices]
        if not choices or self.step % 6 == 0:
            return self._say("/menu")
        if self.step % 3 == 0:  # a typed number stands for the option (console)
            return self._say(str(1 + self.step % len(choices)))
        return Incoming(
            Platform.CONSOLE, self.ref, self.ref, payload=choices[self.step % len(choices)].payload
        )

    def _say(self, line: str) -> Incoming:
        return Incoming(Platform.CONSOLE, self.ref, self.ref, text=line)


def stranger_message(n: int) -> Incoming:
    ref = f"stranger-{n % STRANGERS}"
    return Incoming(Platform.TELEGRAM, ref, ref, text=f"ABCD-{n % 10000:04d}".replace("0", "2"))


def workload(navigators: list[Navigator]) -> Iterator[tuple[Navigator | None, Incoming]]:
    n = 0
    while True:
        n += 1
        if n % 4 == 0:
            yield None, stranger_message(n)
        else:
            navigator = navigators[n % len(navigators)]
            yield navigator, navigator.next_message()


async def prepare(url: str) -> App:
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    app = bootstrap(settings)
    await migrate.upgrade(app.db)
    async with app.db.transaction() as session:
        await seed_demo_network(session, app.clock, settings.timezone)
    return app


async def run(url: str, count: int, profile: bool) -> None:
    app = await prepare(url)
    navigators = [Navigator(code) for code, *_ in PEOPLE]
    messages = workload(navigators)
    for _ in range(200):  # warm up caches, pools and statement compilation
        navigator, incoming = next(messages)
        replies = await app.engine.handle(incoming)
        if navigator is not None:
            navigator.replies = replies
    latencies: list[float] = []
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    started = time.perf_counter()
    cpu_started = time.process_time()
    for _ in range(count):
        navigator, incoming = next(messages)
        begun = time.perf_counter()
        replies = await app.engine.handle(incoming)
        latencies.append(time.perf_counter() - begun)
        if not replies:
            raise SystemExit(f"no answer to {incoming!r}")
        if navigator is not None:
            navigator.replies = replies
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started  # this process's threads, not the database server
    if profiler:
        profiler.disable()
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    backend = make_url(url).get_backend_name()
    print(
        f"{backend:10} {count} messages in {elapsed:.2f}s: {count / elapsed:,.0f} messages/s, "
        f"p50 {p50:.2f} ms, p99 {p99:.2f} ms; "
        f"{count / cpu:,.0f} messages per CPU-second of this process"
    )
    floor = await transaction_floor(app, count)
    print(f"{'':10} floor: {floor:,.0f} bare transactions/s (one look-up and one write each)")
    await app.aclose()
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


async def transaction_floor(app: App, count: int) -> float:
    """Transactions/second of the least a menu message does: read a conversation, write it."""
    conversations = ConversationState.__table__
    read = select(conversations.c.version).where(conversations.c.user_ref == bindparam("ref"))
    write = (
        update(conversations)
        .where(conversations.c.user_ref == bindparam("ref"))
        .values(updated_at=bindparam("now"))
    )
    refs = [code for code, *_ in PEOPLE]
    started = time.perf_counter()
    for n in range(count):
        ref = refs[n % len(refs)]
        async with app.db.transaction() as session:
            await session.execute(read, {"ref": ref})
            await session.execute(write, {"ref": ref, "now": app.clock.now()})
    return count / (time.perf_counter() - started)


async def fresh_postgres(base_url: str) -> tuple[str, str]:
    """A database of the benchmark's own next to the given one, so no test data is touched."""
    base = make_url(base_url)
    name = f"partnerbot_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = Database(base.render_as_string(hide_password=False))
    async with admin.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False), name


async def drop_postgres(base_url: str, name: str) -> None:
    admin = Database(base_url)
    async with admin.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


def on_each_database(
    measure: Callable[[str], Awaitable[None]], postgres: str | None, sqlite_only: bool
) -> None:
    """Run `measure(url)` on a fresh SQLite file, then on a fresh PostgreSQL database when a
    URL is given (or PARTNERBOT_TEST_DATABASE_URL is set) and not `sqlite_only`."""
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(measure(f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"))
    postgres = postgres or os.environ.get("PARTNERBOT_TEST_DATABASE_URL")
    if postgres and not sqlite_only:
        url, name = asyncio.run(fresh_postgres(postgres))
        try:
            asyncio.run(measure(url))
        finally:
            asyncio.run(drop_postgres(postgres, name))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--messages", type=int, default=5000)
    parser.add_argument("--database", help="a PostgreSQL URL to benchmark as well")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the run")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    on_each_database(
        lambda url: run(url, args.messages, args.profile), args.database, args.sqlite_only
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
