"""Messages of one conversation run one at a time, in order; different conversations overlap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from bot.bootstrap import ROUTERS, App
from domain.db import Database
from handlers.engine import Engine
from tests.handlers.engine_support import errors, payload_for, said

MESSAGES = 20


class CountingDatabase(Database):
    """The real database, counting how many messages have asked it for a transaction at once.

    A message counts from the moment it asks, so one waiting for SQLite's single writer counts
    too: what is measured is whether the engine itself lets messages overlap. Asking yields to
    the event loop once, as a network database would: SQLite's statements never wait (see
    domain/sqlite.py), so without it one message would run to its end before the next began.
    """

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.open = 0
        self.most_open = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        await asyncio.sleep(0)
        try:
            async with super().transaction() as session:
                yield session
        finally:
            self.open -= 1


async def counting_engine(app: App) -> tuple[Engine, CountingDatabase]:
    db = CountingDatabase(app.settings.database_url)
    engine = Engine(db, app.translator, ROUTERS, app.clock, app.engine.settings, app.metrics)
    return engine, db


def version_of(payload: str) -> int:
    return int(payload.split(":")[1])


async def test_messages_of_one_conversation_are_handled_one_at_a_time_in_order(
    demo_app: App,
) -> None:
    engine, db = await counting_engine(demo_app)
    try:
        # Each /start re-enters the onboarding state, so each answer carries the next version.
        answers = await asyncio.gather(
            *(
                engine.handle(said("stranger-busy", "/start", language_hint="en"))
                for _ in range(MESSAGES)
            )
        )
    finally:
        await db.dispose()
    versions = [version_of(payload_for(replies, "core.set_language")) for replies in answers]
    assert versions == list(range(1, MESSAGES + 1))
    assert db.most_open == 1
    assert errors(demo_app) == 0


async def test_messages_of_different_conversations_are_handled_concurrently(
    demo_app: App,
) -> None:
    engine, db = await counting_engine(demo_app)
    try:
        answers = await asyncio.gather(
            *(
                engine.handle(said(f"stranger-{n}", "/start", language_hint="en"))
                for n in range(MESSAGES)
            )
        )
    finally:
        await db.dispose()
    assert [version_of(payload_for(replies, "core.set_language")) for replies in answers] == [
        1
    ] * MESSAGES
    assert db.most_open > 1
    assert errors(demo_app) == 0


async def test_two_engines_on_one_database_keep_one_conversation_in_order(
    demo_app: App,
) -> None:
    """Two processes' engines (here: two engines, two pools) serialise on the database row."""
    first, first_db = await counting_engine(demo_app)
    second, second_db = await counting_engine(demo_app)
    try:
        answers = await asyncio.gather(
            *(
                (first if n % 2 else second).handle(
                    said("stranger-shared", "/start", language_hint="en")
                )
                for n in range(MESSAGES)
            )
        )
    finally:
        await first_db.dispose()
        await second_db.dispose()
    versions = sorted(version_of(payload_for(replies, "core.set_language")) for replies in answers)
    assert versions == list(range(1, MESSAGES + 1))  # no update lost, none applied twice
    assert errors(demo_app) == 0
