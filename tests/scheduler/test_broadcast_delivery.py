"""A broadcast to 10,000 people against the fake Telegram Bot API, delivered by real sender
processes: the first is SIGKILLed a third of the way through and the second finishes. Nobody
is lost; nobody gets it twice except the few sends in flight at the kill (sent, not yet
recorded: at most the sender's concurrency plus one flush); no 429; never above the (scaled)
platform cap. Pacing choices: tests/scheduler/broadcast_support.py.

One test covers both the exactly-once and the crash cases, because 10,000 real HTTP sends take
a minute or two on a busy two-core machine and the suite must stay short.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from bot.bootstrap import App
from domain.broadcasts import BroadcastStatus, broadcast_report
from domain.models import OutboxMessage
from domain.outbox import OutboxStatus
from tests.fakes.telegram_server import FakeBotApi
from tests.scheduler.broadcast_support import (
    NOW,
    PACE,
    TOLERANCE,
    broadcast_senders,
    broadcast_to_everyone,
    fake_bot_api,
    seed_network,
    sender_config,
)
from tests.scheduler.support import busiest_window

PEOPLE = 10_000


def assert_paced(api: FakeBotApi) -> None:
    assert [call for call in api.calls if call.status == 429] == []
    stamps = [call.at for call in api.sent()]
    busiest = busiest_window(stamps, PACE.window - TOLERANCE)
    assert busiest <= PACE.max_per_window
    span = max(stamps) - min(stamps)
    print(
        f"\n{len(stamps)} sends in {span:.1f}s ({len(stamps) / span:.0f}/s, cap "
        f"{PACE.cap:.0f}/s); busiest window {busiest} of {PACE.max_per_window}"
    )


async def test_a_broadcast_to_10000_survives_a_killed_sender_once_each_and_paced(
    app: App, database_url: str
) -> None:
    chats = await seed_network(app.db, PEOPLE)
    broadcast_id = await broadcast_to_everyone(app.db)
    async with fake_bot_api() as api, broadcast_senders() as start:
        first = await start(database_url, api.root_url)
        await api.wait_until(lambda: len(api.calls) >= PEOPLE // 3, 240)
        os.kill(first.pid, signal.SIGKILL)
        await first.wait()
        at_kill = len(api.sent())
        second = await start(database_url, api.root_url)
        assert await asyncio.wait_for(second.wait(), timeout=280) == 0
        received = Counter(call.chat_id for call in api.sent())
        twice = [chat for chat, count in received.items() if count > 1]
        print(f"\nkilled after {at_kill} sends; sent twice (in flight at the kill): {len(twice)}")
        assert set(received) == set(chats)  # nobody lost
        assert max(received.values()) <= 2
        assert len(twice) <= PACE.concurrency + sender_config().flush_size
        texts = {call.chat_id: call.params.get("text") for call in api.sent()}
        assert texts[chats[0]] == "新价格表"
        assert texts[chats[1]] == "New price list"
        assert_paced(api)
    async with app.db.transaction() as session:
        statuses = set(await session.scalars(select(OutboxMessage.status)))
        report = await broadcast_report(session, broadcast_id, NOW + timedelta(minutes=1))
    assert statuses == {OutboxStatus.SENT.value}
    assert report is not None
    assert report.total.targeted == report.total.delivered == PEOPLE
    assert report.broadcast.status is BroadcastStatus.SENT
