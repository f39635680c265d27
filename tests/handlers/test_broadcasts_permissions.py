"""A distributor or a rep cannot start, send, cancel or re-nudge a broadcast: not by the menu,
not by a command, not by a payload stamped with their own conversation's secret, not by a
notice payload; and a recipient's "I have read this" counts only for a recipient."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App
from domain.broadcasts import (
    ALL_LOCALES,
    Draft,
    Segment,
    broadcast_report,
    create_broadcast,
    send_broadcast,
    set_bodies,
)
from domain.models import Broadcast, OutboxMessage, User
from domain.outbox import NOTICE_PREFIX
from tests.handlers.engine_support import (
    EXPIRED_EN,
    NOT_AVAILABLE_EN,
    everyone_speaks_english,
    forge,
    pressed,
    said,
    snapshot,
    texts,
)

OUTSIDERS = ("S201", "T101", "R001")  # distributor staff, tier-1 staff, field rep
MANAGER_ACTIONS = (
    "new",
    "mode:all",
    "no_attachment",
    "segment:everyone",
    "toggle:t2",
    "review",
    "preview",
    "send",
    "ask_time",
    "discard",
    "list",
    "report:1",
    "pending:1",
    "nudge:1",
    "cancel:1",
)


async def _sent_broadcast(app: App, *, requires_ack: bool) -> int:
    async with app.db.transaction() as session:
        manager = await session.scalar(select(User.id).where(User.code == "M001"))
        assert manager is not None
        broadcast = await create_broadcast(
            session,
            Draft(
                manager,
                {ALL_LOCALES: "Price list for January"},
                Segment(codes=("D2004",)),
                requires_ack=requires_ack,
                send_at=None,
            ),
            "permissions-test",
            app.clock.now(),
        )
        body = {"text": "Price list", "choices": [["ok", f"{NOTICE_PREFIX}broadcasts.ack:1"]]}
        await set_bodies(session, broadcast.id, {ALL_LOCALES: body}, {ALL_LOCALES: body})
        await send_broadcast(session, broadcast.id, app.clock.now())
        return broadcast.id


async def test_outsiders_see_no_broadcasts_menu_and_cannot_command_one(demo_app: App) -> None:
    await everyone_speaks_english(demo_app)
    for ref in OUTSIDERS:
        menu = texts(await demo_app.engine.handle(said(ref, "/menu")))
        labels = [
            c.label for r in await demo_app.engine.handle(said(ref, "/menu")) for c in r.choices
        ]
        assert "Broadcasts" not in labels, menu
        assert "Announcements" in labels, menu
        for command in ("/broadcast", "/broadcasts"):
            assert NOT_AVAILABLE_EN in texts(await demo_app.engine.handle(said(ref, command)))
        typed = texts(await demo_app.engine.handle(said(ref, "Broadcasts")))
        assert "New broadcast" not in typed
        assert "Recent broadcasts" not in typed


@pytest.mark.parametrize("ref", OUTSIDERS)
async def test_forged_manager_payloads_change_nothing(demo_app: App, ref: str) -> None:
    await everyone_speaks_english(demo_app)
    broadcast_id = await _sent_broadcast(demo_app, requires_ack=True)
    await demo_app.engine.handle(said(ref, "/menu"))
    before = await snapshot(demo_app)
    for action in MANAGER_ACTIONS:
        stamped = await forge(demo_app, ref, f"broadcasts.{action}")
        answer = texts(await demo_app.engine.handle(pressed(ref, stamped)))
        assert NOT_AVAILABLE_EN in answer, (action, answer)
        notice = f"{NOTICE_PREFIX}broadcasts.{action}"
        answer = texts(await demo_app.engine.handle(pressed(ref, notice)))
        assert EXPIRED_EN in answer or NOT_AVAILABLE_EN in answer, (action, answer)
    after = await snapshot(demo_app)
    for table in ("broadcasts", "broadcast_recipients", "outbox"):
        assert after[table] == before[table], table
    async with demo_app.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 1
        report = await broadcast_report(session, broadcast_id, demo_app.clock.now())
    assert report is not None
    assert report.broadcast.nudges_sent == 0


async def test_only_recipients_can_acknowledge_or_read(demo_app: App) -> None:
    await everyone_speaks_english(demo_app)
    broadcast_id = await _sent_broadcast(demo_app, requires_ack=True)
    ack = f"{NOTICE_PREFIX}broadcasts.ack:{broadcast_id}"
    read = f"{NOTICE_PREFIX}broadcasts.read:{broadcast_id}"
    for ref in ("S201", "T101", "R001", "M001"):  # none of them is at D2004
        assert "not one sent to you" in texts(await demo_app.engine.handle(pressed(ref, ack)))
        assert "not one sent to you" in texts(await demo_app.engine.handle(pressed(ref, read)))
    for forged in ("ack:", "ack:abc", "ack:99999", "ack:²", "read:-1", "read:1e3"):
        answer = texts(
            await demo_app.engine.handle(pressed("S201", f"{NOTICE_PREFIX}broadcasts.{forged}"))
        )
        assert "not one sent to you" in answer, forged
    lucy = texts(await demo_app.engine.handle(pressed("S204", ack)))
    assert "noted that you have read it" in lucy
    async with demo_app.db.transaction() as session:
        report = await broadcast_report(session, broadcast_id, demo_app.clock.now())
    assert report is not None
    assert report.total.acknowledged == 1


async def test_a_manager_cannot_reach_another_managers_draft(demo_app: App) -> None:
    """Drafts are their author's: an admin pressing a stamped draft button in their own
    conversation finds no draft of theirs there, and a sent broadcast cannot be sent again."""
    await everyone_speaks_english(demo_app)
    broadcast_id = await _sent_broadcast(demo_app, requires_ack=False)
    demo_app.clock.advance(timedelta(minutes=1))
    await demo_app.engine.handle(said("M001", "/menu"))
    for action in ("send", "review", "preview", "toggle:t2"):
        stamped = await forge(demo_app, "M001", f"broadcasts.{action}")
        assert EXPIRED_EN in texts(await demo_app.engine.handle(pressed("M001", stamped)))
    async with demo_app.db.transaction() as session:
        rows = await session.scalar(select(func.count()).select_from(OutboxMessage))
    assert rows == 1  # Lucy's, once
    assert broadcast_id == 1
