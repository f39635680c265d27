"""The broadcast sweep and the sender together: a scheduled broadcast goes out once when due,
a cancelled running one stops (the sender skips what was withdrawn), and the sweep withdraws
again what a send in flight at the cancel put back for a retry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.bootstrap import App
from domain.broadcasts import (
    ALL_LOCALES,
    BroadcastStatus,
    Draft,
    Segment,
    broadcast_report,
    cancel_broadcast,
    create_broadcast,
    send_broadcast,
    set_bodies,
)
from domain.enums import Platform
from domain.models import OutboxMessage, User
from domain.outbox import OutboxStatus
from scheduler.broadcasts import broadcast_sweep
from scheduler.quiet import QuietHours
from scheduler.sender import OutboxSender, SenderConfig
from scheduler.sweeps import SchedulerSettings, SweepContext
from tests.scheduler.broadcast_support import seed_network
from tests.scheduler.support import RecordingMessenger


def sweep_context(app: App) -> SweepContext:
    return SweepContext(app.db, app.clock, app.translator, SchedulerSettings())


async def _broadcast(app: App, *, send_at_hours: int | None = None) -> int:
    now = app.clock.now()
    async with app.db.transaction() as session:
        author = await session.scalar(select(User.id).where(User.code == "M001"))
        assert author is not None
        broadcast = await create_broadcast(
            session,
            Draft(
                author,
                {ALL_LOCALES: "盘点通知"},
                Segment(),
                send_at=now + timedelta(hours=send_at_hours) if send_at_hours else None,
            ),
            f"sweep-test-{send_at_hours}",
            now,
        )
        body = {"text": "盘点通知", "choices": []}
        await set_bodies(session, broadcast.id, {ALL_LOCALES: body}, {ALL_LOCALES: body})
        return broadcast.id


def _sender(app: App, messenger: RecordingMessenger, batch: int) -> OutboxSender:
    config = SenderConfig(quiet_hours=QuietHours.parse("off"), batch_size=batch)
    return OutboxSender(app.db, {Platform.TELEGRAM: messenger}, app.clock, config, messenger.timer)


async def test_a_scheduled_broadcast_is_sent_once_when_due(app: App) -> None:
    await seed_network(app.db, 30)
    broadcast_id = await _broadcast(app, send_at_hours=2)
    context = sweep_context(app)
    async with app.db.transaction() as session:
        assert await broadcast_sweep(session, context, app.clock.now()) == 0
    app.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    async with app.db.transaction() as session:
        assert await broadcast_sweep(session, context, app.clock.now()) == 30
    async with app.db.transaction() as session:
        assert await broadcast_sweep(session, context, app.clock.now()) == 0
    messenger = RecordingMessenger()
    await _sender(app, messenger, 200).deliver_all()
    assert len(messenger.sent) == 30
    assert len({sent.recipient.chat_ref for sent in messenger.sent}) == 30
    async with app.db.transaction() as session:
        await broadcast_sweep(session, context, app.clock.now())
        report = await broadcast_report(session, broadcast_id, app.clock.now())
    assert report is not None
    assert report.broadcast.status is BroadcastStatus.SENT
    assert report.total.delivered == 30


async def test_cancelling_a_running_broadcast_stops_what_is_not_yet_sent(app: App) -> None:
    await seed_network(app.db, 30)
    broadcast_id = await _broadcast(app)
    async with app.db.transaction() as session:
        await send_broadcast(session, broadcast_id, app.clock.now())
    messenger = RecordingMessenger()
    sender = _sender(app, messenger, 10)
    await sender.deliver_due()  # ten go out
    async with app.db.transaction() as session:
        cancelled = await cancel_broadcast(session, broadcast_id, app.clock.now())
    assert cancelled.withdrawn == 20
    await sender.deliver_all()
    assert len(messenger.sent) == 10  # the sender skipped every withdrawn message

    # A send in flight at the cancel that failed is put back as "failed" by the sender;
    # the sweep withdraws it again before its retry.
    async with app.db.transaction() as session:
        withdrawn = await session.scalar(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.CANCELLED.value)
            .limit(1)
        )
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == withdrawn)
            .values(status=OutboxStatus.FAILED.value)
        )
        await broadcast_sweep(session, sweep_context(app), app.clock.now())
    await sender.deliver_all()
    assert len(messenger.sent) == 10
    async with app.db.transaction() as session:
        report = await broadcast_report(session, broadcast_id, app.clock.now())
        statuses = sorted(set(await session.scalars(select(OutboxMessage.status))))
    assert statuses == ["cancelled", "sent"]
    assert report is not None
    assert report.total.delivered == 10
    assert report.total.cancelled == 20
