"""Against the fake Telegram Bot API: paced without a single 429, and a SIGKILLed sender's work
finished by the next one with no more duplicates than sends that were in flight at the kill."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

from bot.bootstrap import App
from domain.enums import Platform
from domain.models import ChatIdentity, OutboxMessage, User
from domain.outbox import OutboxStatus
from scheduler.sender import OutboxSender
from tests.fakes.telegram_server import FakeBotApi
from tests.scheduler.support import busiest_window
from tests.scheduler.telegram_support import (
    PACE,
    TOLERANCE,
    fake_bot_api,
    fast_sender_config,
    sender_processes,
    telegram_messenger,
)

ROOT = Path(__file__).resolve().parents[2]
FIRST_CHAT = 700_000


async def seed(app: App, people: int, per_person: int) -> list[int]:
    """`people` Telegram users with `per_person` queued notices each; returns their chat ids."""
    now = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    chats = list(range(FIRST_CHAT, FIRST_CHAT + people))
    async with app.db.transaction() as session:
        await session.execute(
            insert(User),
            [
                {
                    "code": f"U{chat}",
                    "name": f"U{chat}",
                    "role": "distributor_staff",
                    "locale": "zh_CN",
                    "timezone": "Asia/Shanghai",
                    "active": True,
                    "created_at": now,
                }
                for chat in chats
            ],
        )
        ids = {code: id_ for code, id_ in await session.execute(select(User.code, User.id))}
        await session.execute(
            insert(ChatIdentity),
            [
                {
                    "platform": Platform.TELEGRAM.value,
                    "external_id": str(chat),
                    "chat_ref": str(chat),
                    "user_id": ids[f"U{chat}"],
                    "display_name": "",
                    "bound_at": now,
                }
                for chat in chats
            ],
        )
        await session.execute(
            insert(OutboxMessage),
            [
                {
                    "dedupe_key": f"test:{chat}:{n}",
                    "user_id": ids[f"U{chat}"],
                    "kind": "test",
                    "body": {"text": f"notice {n} for {chat}", "choices": []},
                    "urgent": False,
                    "status": OutboxStatus.QUEUED.value,
                    "attempts": 0,
                    "not_before": now,
                    "created_at": now,
                }
                for chat in chats
                for n in range(per_person)
            ],
        )
    return chats


def assert_paced(api: FakeBotApi) -> None:
    assert [call for call in api.calls if call.status == 429] == []
    sent = api.sent()
    # Counted the way the fake counts: a window is the period less its tolerance.
    assert busiest_window([call.at for call in sent], PACE.window - TOLERANCE) <= 30
    by_chat: dict[int | None, list[float]] = {}
    for call in sent:
        by_chat.setdefault(call.chat_id, []).append(call.at)
    for stamps in by_chat.values():
        assert busiest_window(stamps, PACE.chat_interval - TOLERANCE) <= 1


async def test_paced_delivery_sees_no_429(app: App) -> None:
    chats = await seed(app, people=60, per_person=5)
    async with fake_bot_api() as api:
        messenger = telegram_messenger(app, api.root_url)
        await messenger.adapter.bot.initialize()
        try:
            sender = OutboxSender(
                app.db, {Platform.TELEGRAM: messenger}, app.clock, fast_sender_config()
            )
            report = await sender.deliver_all()
        finally:
            await messenger.adapter.bot.shutdown()
        assert report.sent == 300
        assert_paced(api)
        assert Counter(call.chat_id for call in api.sent()) == dict.fromkeys(chats, 5)


async def test_a_killed_sender_is_finished_by_the_next_with_bounded_duplicates(
    app: App, database_url: str
) -> None:
    total = 2000
    chats = await seed(app, people=total, per_person=1)
    async with fake_bot_api() as api, sender_processes() as start:
        first = await start(database_url, api.root_url)
        await api.wait_until(lambda: len(api.sent()) >= 700, 120)
        os.kill(first.pid, signal.SIGKILL)
        await first.wait()
        received_at_kill = Counter(call.chat_id for call in api.sent())
        async with app.db.transaction() as session:
            recorded = {
                int(chat)
                for chat in await session.scalars(
                    select(ChatIdentity.chat_ref)
                    .join(OutboxMessage, OutboxMessage.user_id == ChatIdentity.user_id)
                    .where(OutboxMessage.status == OutboxStatus.SENT.value)
                )
            }
        # Sends the platform took that the killed sender had not yet recorded: in flight.
        in_flight = len(set(received_at_kill) - recorded)

        second = await start(database_url, api.root_url)
        assert await asyncio.wait_for(second.wait(), timeout=120) == 0
        received = Counter(call.chat_id for call in api.sent())
        duplicates = sum(received.values()) - total
        print(
            f"\nkilled after {sum(received_at_kill.values())} sends; {in_flight} in flight "
            f"(sent, not yet recorded); duplicates after the restart: {duplicates}"
        )
        assert set(received) == set(chats)  # everyone got the message
        assert duplicates <= in_flight
        config = fast_sender_config()
        assert in_flight <= PACE.concurrency + config.flush_size
        # Pacing is the other test's subject; here a 429 (a busy machine's jitter) is only
        # honoured, and reported.
        print(f"429 answers (honoured): {len([c for c in api.calls if c.status == 429])}")
    async with app.db.transaction() as session:
        statuses = set(await session.scalars(select(OutboxMessage.status)))
    assert statuses == {OutboxStatus.SENT.value}
