"""Order reminders: 24 hours to the approver, 48 to the managers, and the 09:00 digest."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.bootstrap import App
from domain.catalog import product_by_sku
from domain.clock import FixedClock
from domain.enums import Platform
from domain.network import Person, person_for_identity
from domain.ordering import OrderStatus, PricedLine, move_order, place_order
from domain.outbox import OutboxStatus
from handlers.orders import router as orders_router
from scheduler.reminders import (
    ORDER_ACTIONS,
    approval_reminder_sweep,
    manager_digest_sweep,
)
from scheduler.sweeps import SchedulerSettings, Sweep, SweepContext, run_sweep
from tests.scheduler.support import outbox_rows

SHANGHAI = ZoneInfo("Asia/Shanghai")
REMINDERS = Sweep("approval_reminders", approval_reminder_sweep, every=timedelta(minutes=15))
DIGEST = Sweep("manager_digest", manager_digest_sweep, daily_at=time(9))


async def person(app: App, code: str) -> Person:
    async with app.db.transaction() as session:
        found = await person_for_identity(session, Platform.CONSOLE, code)
    assert found is not None
    return found


async def place(app: App, code: str, key: str) -> int:
    who = await person(app, code)
    async with app.db.transaction() as session:
        product = await product_by_sku(session, "A100")
        assert product is not None
        placement = await place_order(
            session,
            app.clock,
            who,
            [PricedLine(product, 10, Decimal("38.50"))],
            confirm_key=key,
            timezone="Asia/Shanghai",
        )
    return placement.order.id


def context(app: App) -> SweepContext:
    return SweepContext(app.db, app.clock, app.translator, SchedulerSettings())


async def keys(app: App) -> set[str]:
    return {row.dedupe_key for row in await outbox_rows(app.db)}


async def test_reminder_at_24_hours_and_escalation_at_48(demo_app: App) -> None:
    clock = demo_app.clock
    assert isinstance(clock, FixedClock)
    order_id = await place(demo_app, "S201", "cart-1")  # tier-2 of D1001: T101 approves
    before = await keys(demo_app)
    ids = {code: (await person(demo_app, code)).user_id for code in ("T101", "M001")}

    clock.advance(timedelta(hours=23, minutes=45))
    assert await run_sweep(context(demo_app), REMINDERS) == 0

    clock.advance(timedelta(minutes=15))  # 24 hours
    assert await run_sweep(context(demo_app), REMINDERS) == 1
    assert await run_sweep(context(demo_app), REMINDERS) == 0  # run twice: nothing new
    assert await keys(demo_app) - before == {f"order:{order_id}:approval-reminder:{ids['T101']}"}

    clock.advance(timedelta(hours=23, minutes=45))
    assert await run_sweep(context(demo_app), REMINDERS) == 0
    clock.advance(timedelta(minutes=15))  # 48 hours
    assert await run_sweep(context(demo_app), REMINDERS) == 1
    assert await run_sweep(context(demo_app), REMINDERS) == 0
    rows = {row.dedupe_key: row for row in await outbox_rows(demo_app.db)}
    escalation = rows[f"order:{order_id}:approval-escalation:{ids['M001']}"]
    assert "48" in escalation.body["text"]
    assert "华南商贸有限公司" in escalation.body["text"]  # who should have decided
    reminder = rows[f"order:{order_id}:approval-reminder:{ids['T101']}"]
    assert "24" in reminder.body["text"]
    assert [payload for _, payload in reminder.body["choices"]] == [
        f"n:{orders_router.action('approve')}:{order_id}",
        f"n:{orders_router.action('reject')}:{order_id}",
        f"n:{orders_router.action('view')}:{order_id}",
    ]
    assert orders_router.name == ORDER_ACTIONS


async def test_decided_orders_remind_no_one(demo_app: App) -> None:
    clock = demo_app.clock
    assert isinstance(clock, FixedClock)
    order_id = await place(demo_app, "S201", "cart-1")
    approver = await person(demo_app, "T101")
    async with demo_app.db.transaction() as session:
        await move_order(session, clock, approver, order_id, OrderStatus.APPROVED)
    clock.advance(timedelta(hours=49))
    assert await run_sweep(context(demo_app), REMINDERS) == 0


async def test_a_reminder_held_for_the_night_is_withdrawn_once_the_order_is_decided(
    demo_app: App,
) -> None:
    clock = demo_app.clock
    assert isinstance(clock, FixedClock)
    clock.set(datetime.combine(date(2026, 12, 3), time(22), tzinfo=SHANGHAI))
    order_id = await place(demo_app, "S201", "late")
    clock.advance(timedelta(hours=24))  # 22:00 next day: queued, held until 08:00
    assert await run_sweep(context(demo_app), REMINDERS) == 1
    approver = await person(demo_app, "T101")
    clock.advance(timedelta(hours=1))
    async with demo_app.db.transaction() as session:
        await move_order(session, clock, approver, order_id, OrderStatus.APPROVED)
    assert await run_sweep(context(demo_app), REMINDERS) == 0
    rows = {row.dedupe_key: row for row in await outbox_rows(demo_app.db)}
    reminder = rows[f"order:{order_id}:approval-reminder:{approver.user_id}"]
    assert reminder.status == OutboxStatus.EXPIRED
    assert reminder.last_error == "the order was decided"


async def test_the_digest_counts_yesterday_by_region_once(demo_app: App) -> None:
    clock = demo_app.clock
    assert isinstance(clock, FixedClock)
    day = date(2026, 12, 3)
    clock.set(datetime.combine(day, time(10), tzinfo=SHANGHAI))
    approved = await place(demo_app, "S201", "a")  # 广东
    await place(demo_app, "S204", "b")  # 浙江, stays pending
    rejected = await place(demo_app, "S206", "c")  # 四川, the brand approves
    tier1, manager = await person(demo_app, "T101"), await person(demo_app, "M001")
    async with demo_app.db.transaction() as session:
        await move_order(session, clock, tier1, approved, OrderStatus.APPROVED)
        await move_order(session, clock, manager, rejected, OrderStatus.REJECTED, "no")
    clock.set(datetime.combine(day + timedelta(days=1), time(9), tzinfo=SHANGHAI))
    assert await run_sweep(context(demo_app), DIGEST) == 1  # one manager in the demo
    assert await run_sweep(context(demo_app), DIGEST) == 0
    [digest] = [row for row in await outbox_rows(demo_app.db) if row.kind == "digest.orders"]
    text = digest.body["text"]
    assert "2026-12-03" in text
    lines = text.splitlines()
    assert any("广东" in line and "1" in line for line in lines)
    assert any(line.startswith("浙江") for line in lines)
    assert any(line.startswith("四川") for line in lines)
    assert digest.dedupe_key.startswith("digest:orders:2026-12-03:")
