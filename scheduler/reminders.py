"""Reminders about orders: an approval waiting 24 hours nudges its approver, at 48 hours the
brand's managers; and the managers' 09:00 digest of yesterday's orders by region.

Each is a sweep (see scheduler.sweeps): it looks at what is true now and queues what is due
under a key naming the order, the step and the recipient, so running it again adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import Distributor, Order, OrderEvent, OutboxMessage
from domain.ordering import Contact, OrderStatus, approvers_for, managers, order_view
from domain.outbox import NOTICE_PREFIX, Notice, OutboxStatus, enqueue
from scheduler.quiet import zone_or_utc
from scheduler.sweeps import SweepContext
from scheduler.texts import N_

BRAND_MANAGERS = N_("the brand's managers")
REMIND_APPROVER_AFTER = timedelta(hours=24)
ESCALATE_AFTER = timedelta(hours=48)
# The notice buttons handlers/orders.py answers ("n:orders.approve:{order id}").
ORDER_ACTIONS = "orders"


def _button(action: str, order_id: int) -> str:
    return f"{NOTICE_PREFIX}{ORDER_ACTIONS}.{action}:{order_id}"


@dataclass(frozen=True, slots=True)
class _Step:
    name: str  # in the dedupe key
    after: timedelta
    text: str


APPROVER_REMINDER = _Step(
    "approval-reminder",
    REMIND_APPROVER_AFTER,
    N_(
        "Reminder: order {number} from {distributor} ({code}) has waited {hours} hours for "
        "your approval."
    ),
)
ESCALATION = _Step(
    "approval-escalation",
    ESCALATE_AFTER,
    N_(
        "Order {number} from {distributor} ({code}) has waited {hours} hours for approval by "
        "{approver}. Please follow up."
    ),
)


async def approval_reminder_sweep(session: AsyncSession, ctx: SweepContext, now: datetime) -> int:
    """Pending orders past 24 hours remind their approvers; past 48 hours, the managers."""
    waiting = await session.execute(
        select(Order.id, Order.submitted_at)
        .where(
            Order.status == OrderStatus.PENDING.value,
            Order.submitted_at <= now - REMIND_APPROVER_AFTER,
        )
        .order_by(Order.id)
    )
    await _withdraw_decided(session)
    queued = 0
    for order_id, submitted_at in waiting.all():
        order = await order_view(session, order_id)
        if order is None:
            continue
        hours = int((now - submitted_at) / timedelta(hours=1))
        approvers = await approvers_for(session, order)
        steps: list[tuple[_Step, Sequence[Contact]]] = [(APPROVER_REMINDER, approvers)]
        if now - submitted_at >= ESCALATE_AFTER:
            steps.append((ESCALATION, await managers(session)))
        approver_name = await _approver_name(session, order.approver_distributor_id)
        for step, contacts in steps:
            for contact in contacts:
                t = partial(ctx.catalog.gettext, contact.locale)
                text = t(
                    step.text,
                    number=order.number,
                    distributor=order.distributor_name,
                    code=order.distributor_code,
                    hours=hours,
                    approver=approver_name or t(BRAND_MANAGERS),
                )
                choices: list[tuple[str, str]] = [(t("View order"), _button("view", order.id))]
                if step is APPROVER_REMINDER:
                    choices = [
                        (t("Approve"), _button("approve", order.id)),
                        (t("Reject"), _button("reject", order.id)),
                        *choices,
                    ]
                notice = Notice(
                    user_id=contact.user_id,
                    dedupe_key=f"order:{order.id}:{step.name}:{contact.user_id}",
                    kind=f"order.{step.name}",
                    text=text,
                    choices=tuple(choices),
                )
                queued += await enqueue(session, notice, now)
    return queued


async def _withdraw_decided(session: AsyncSession) -> int:
    """Reminders still waiting (held for the night, say) about orders decided since: expired."""
    rows = await session.execute(
        select(OutboxMessage.id, OutboxMessage.dedupe_key).where(
            OutboxMessage.kind.in_([f"order.{APPROVER_REMINDER.name}", f"order.{ESCALATION.name}"]),
            OutboxMessage.status.in_([OutboxStatus.QUEUED.value, OutboxStatus.FAILED.value]),
        )
    )
    by_order: dict[int, list[int]] = {}
    for row_id, key in rows:
        by_order.setdefault(int(key.split(":")[1]), []).append(row_id)
    if not by_order:
        return 0
    pending = set(
        await session.scalars(
            select(Order.id).where(
                Order.id.in_(by_order), Order.status == OrderStatus.PENDING.value
            )
        )
    )
    stale = [row for order, rows_ in by_order.items() if order not in pending for row in rows_]
    if stale:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(stale))
            .values(status=OutboxStatus.EXPIRED.value, last_error="the order was decided")
            .execution_options(synchronize_session=False)
        )
    return len(stale)


async def _approver_name(session: AsyncSession, distributor_id: int | None) -> str | None:
    """The tier-1 distributor that should have decided; None: the brand's managers."""
    if distributor_id is None:
        return None
    name: str | None = await session.scalar(
        select(Distributor.name).where(Distributor.id == distributor_id)
    )
    return name


# -- the managers' digest ----------------------------------------------------------------------


@dataclass(slots=True)
class RegionCounts:
    placed: int = 0
    approved: int = 0
    rejected: int = 0
    pending: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.placed or self.approved or self.rejected or self.pending)


async def orders_by_region(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[str, RegionCounts]:
    """Orders placed, approved and rejected in [start, end), and pending now, by province."""
    regions: dict[str, RegionCounts] = {}

    def region(name: str) -> RegionCounts:
        return regions.setdefault(name, RegionCounts())

    placed = await session.execute(
        select(Distributor.province, func.count())
        .join(Order, Order.distributor_id == Distributor.id)
        .where(Order.submitted_at >= start, Order.submitted_at < end)
        .group_by(Distributor.province)
    )
    for province, count in placed:
        region(province).placed = count
    decided = await session.execute(
        select(Distributor.province, OrderEvent.status, func.count(func.distinct(Order.id)))
        .join(Order, Order.distributor_id == Distributor.id)
        .join(OrderEvent, OrderEvent.order_id == Order.id)
        .where(
            OrderEvent.status.in_([OrderStatus.APPROVED.value, OrderStatus.REJECTED.value]),
            OrderEvent.at >= start,
            OrderEvent.at < end,
        )
        .group_by(Distributor.province, OrderEvent.status)
    )
    for province, status, count in decided:
        if status == OrderStatus.APPROVED.value:
            region(province).approved = count
        else:
            region(province).rejected = count
    pending = await session.execute(
        select(Distributor.province, func.count())
        .join(Order, Order.distributor_id == Distributor.id)
        .where(Order.status == OrderStatus.PENDING.value)
        .group_by(Distributor.province)
    )
    for province, count in pending:
        region(province).pending = count
    return dict(sorted(regions.items()))


DIGEST_TITLE = N_("Orders on {date}:")
DIGEST_LINE = N_("{region}: placed {placed} · approved {approved} · rejected {rejected}")
DIGEST_PENDING = N_("Waiting for approval now: {pending}")
DIGEST_PENDING_LINE = N_("{region}: {pending} waiting")


async def manager_digest_sweep(session: AsyncSession, ctx: SweepContext, now: datetime) -> int:
    """Yesterday's orders by region (brand timezone), once a day for each manager."""
    zone = zone_or_utc(ctx.settings.timezone)
    today = now.astimezone(zone).date()
    if now.astimezone(zone).time() < ctx.settings.digest_time:
        today -= timedelta(days=1)  # a catch-up run before nine reports the day before
    day = today - timedelta(days=1)
    start = datetime.combine(day, time(0), tzinfo=zone)
    counts = await orders_by_region(session, start, start + timedelta(days=1))
    if not any(region.anything for region in counts.values()):
        return 0
    queued = 0
    for manager in await managers(session):
        t = partial(ctx.catalog.gettext, manager.locale)
        lines = [t(DIGEST_TITLE, date=day.isoformat())]
        lines += [
            t(
                DIGEST_LINE,
                region=name,
                placed=c.placed,
                approved=c.approved,
                rejected=c.rejected,
            )
            for name, c in counts.items()
            if c.placed or c.approved or c.rejected
        ]
        pending = sum(c.pending for c in counts.values())
        lines.append(t(DIGEST_PENDING, pending=pending))
        lines += [
            t(DIGEST_PENDING_LINE, region=name, pending=c.pending)
            for name, c in counts.items()
            if c.pending
        ]
        notice = Notice(
            user_id=manager.user_id,
            dedupe_key=f"digest:orders:{day.isoformat()}:{manager.user_id}",
            kind="digest.orders",
            text="\n".join(lines),
        )
        queued += await enqueue(session, notice, now)
    return queued
