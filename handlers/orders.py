"""Orders after they are placed: history, detail, approval by the tier-1 parent, status notices."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum

from domain.enums import Role
from domain.money import format_money
from domain.ordering import (
    Contact,
    OrderStatus,
    OrderView,
    Transition,
    approvers_for,
    can_see_order,
    is_approver,
    may_move,
    move_order,
    order_view,
    orders_visible_to,
)
from domain.outbox import NOTICE_PREFIX, Notice, enqueue
from handlers.context import Context, whole_number
from handlers.formatting import local_time
from handlers.i18n import N_, Translate
from handlers.router import Router
from handlers.types import Choice
from handlers.units import unit_name

ORDERERS = (Role.DISTRIBUTOR_STAFF, Role.TIER1_STAFF)
APPROVERS = (Role.TIER1_STAFF, Role.MANAGER, Role.ADMIN)
READERS = (Role.DISTRIBUTOR_STAFF, Role.TIER1_STAFF, Role.FIELD_REP, Role.MANAGER, Role.ADMIN)
PAGE = 8
MAX_REASON = 200

STATUS_NAMES = {
    OrderStatus.PENDING: N_("waiting for approval"),
    OrderStatus.APPROVED: N_("approved"),
    OrderStatus.REJECTED: N_("rejected"),
    OrderStatus.SHIPPED: N_("shipped"),
    OrderStatus.RECEIVED: N_("received"),
    OrderStatus.CANCELLED: N_("cancelled"),
}


class OrdersState(StrEnum):
    REJECT_REASON = "orders.reject_reason"


router = Router("orders", OrdersState)
router.menu_entry(N_("My orders"), "list", roles=ORDERERS, order=200)
router.menu_entry(N_("Orders"), "list", roles=(Role.FIELD_REP, Role.MANAGER, Role.ADMIN), order=200)


def status_name(t: Translate, status: OrderStatus) -> str:
    return t(STATUS_NAMES[status])


# -- reading ---------------------------------------------------------------------------------


@router.command("orders", N_("your orders and their status"), roles=READERS)
async def orders_command(ctx: Context) -> None:
    await show_list(ctx)


@router.button("list", roles=READERS)
async def show_list(ctx: Context) -> None:
    person = ctx.person
    assert person is not None
    t = ctx.t
    page = _int(ctx.button.arg) if ctx.button else 0
    page = page or 0
    found = await orders_visible_to(ctx.session, person, offset=page * PAGE, limit=PAGE)
    if found.total == 0:
        ctx.reply(t("There are no orders yet."), [_back(ctx)])
        return
    pages = -(-found.total // PAGE)
    page = min(page, pages - 1)
    choices = [
        ctx.choice(_summary(ctx, order), router.action("view"), order.id) for order in found.orders
    ]
    if page > 0:
        choices.append(ctx.choice(t("« Previous"), router.action("list"), page - 1))
    if page < pages - 1:
        choices.append(ctx.choice(t("Next »"), router.action("list"), page + 1))
    title = t("Orders ({count}), newest first:", count=found.total)
    if pages > 1:
        title += "\n" + t("Page {page} of {pages}", page=page + 1, pages=pages)
    ctx.reply(title, [*choices, _back(ctx)])


def _summary(ctx: Context, order: OrderView) -> str:
    t = ctx.t
    own = (
        ctx.person is not None
        and ctx.person.distributor is not None
        and (ctx.person.distributor.id == order.distributor_id)
    )
    who = "" if own else f"{order.distributor_name} · "
    return f"{order.number} · {who}{status_name(t, order.status)} · {format_money(order.total)}"


@router.button("view", roles=READERS, notice=True)
async def show_order(ctx: Context) -> None:
    person = ctx.person
    assert person is not None
    assert ctx.button is not None
    order = await _visible_order(ctx, ctx.button.arg)
    if order is None:
        return
    choices = [
        ctx.choice(ctx.t(label), router.action(action), order.id)
        for target, label, action in _ACTIONS
        if may_move(person, order, target)
    ]
    ctx.reply(
        order_text(ctx.t, ctx.locale, order, ctx.settings.timezone),
        [*choices, ctx.choice(ctx.t("All orders"), router.action("list")), _back(ctx)],
    )


_ACTIONS = (
    (OrderStatus.APPROVED, N_("Approve"), "approve"),
    (OrderStatus.REJECTED, N_("Reject"), "reject"),
    (OrderStatus.SHIPPED, N_("Mark as shipped"), "ship"),
    (OrderStatus.RECEIVED, N_("Confirm received"), "receive"),
    (OrderStatus.CANCELLED, N_("Cancel this order"), "cancel"),
)


def line_text(
    t: Translate,
    bullet: str,
    name: str,
    sku: str,
    quantity: int,
    unit: str,
    price: Decimal,
    total: Decimal,
) -> str:
    return t(
        "{bullet} {name} ({sku}) × {quantity} {unit} @ {price} = {total}",
        bullet=bullet,
        name=name,
        sku=sku,
        quantity=quantity,
        unit=unit_name(t, unit, quantity),
        price=format_money(price),
        total=format_money(total),
    )


def order_lines_text(t: Translate, locale: str, order: OrderView) -> list[str]:
    """Order lines with bullets, not numbers: on WeChat and the console, numbers are options."""
    return [
        line_text(
            t,
            "·",
            line.name(locale),
            line.sku,
            line.quantity,
            line.unit,
            line.unit_price,
            line.line_total,
        )
        for line in order.lines
    ]


def order_text(t: Translate, locale: str, order: OrderView, timezone: str) -> str:
    lines = [
        t("Order {number} — {status}", number=order.number, status=status_name(t, order.status)),
        t("Distributor: {name} ({code})", name=order.distributor_name, code=order.distributor_code),
        t(
            "Placed by {name} at {time}",
            name=order.placed_by.name,
            time=local_time(order.submitted_at, timezone),
        ),
        "",
        *order_lines_text(t, locale, order),
        t("Total: {total}", total=format_money(order.total)),
    ]
    if order.reject_reason:
        lines.append(t("Reason for rejection: {reason}", reason=order.reject_reason))
    lines += ["", t("History:")]
    for event in order.events:
        lines.append(
            t(
                "{time} {status} by {name}",
                time=local_time(event.at, timezone),
                status=status_name(t, event.status),
                name=event.actor_name or "—",
            )
        )
    return "\n".join(lines)


async def _visible_order(ctx: Context, arg: str) -> OrderView | None:
    person = ctx.person
    assert person is not None
    order_id = _int(arg)
    order = await order_view(ctx.session, order_id) if order_id is not None else None
    if order is None or not can_see_order(person, order):
        ctx.reply(ctx.t("That order does not exist or is not yours to see."), [_back(ctx)])
        return None
    return order


# -- acting --------------------------------------------------------------------------------------


@router.button("approve", roles=APPROVERS, notice=True)
async def approve(ctx: Context) -> None:
    await _move(ctx, OrderStatus.APPROVED)


@router.button("ship", roles=APPROVERS, notice=True)
async def ship(ctx: Context) -> None:
    await _move(ctx, OrderStatus.SHIPPED)


@router.button("receive", roles=ORDERERS, notice=True)
async def receive(ctx: Context) -> None:
    await _move(ctx, OrderStatus.RECEIVED)


@router.button("cancel", roles=ORDERERS)
async def cancel(ctx: Context) -> None:
    await _move(ctx, OrderStatus.CANCELLED)


@router.button("reject", roles=APPROVERS, notice=True)
async def reject(ctx: Context) -> None:
    person = ctx.person
    assert person is not None
    assert ctx.button is not None
    order = await _visible_order(ctx, ctx.button.arg)
    if order is None:
        return
    if not may_move(person, order, OrderStatus.REJECTED):
        outcome = Transition.WRONG_STATUS if is_approver(person, order) else Transition.NOT_ALLOWED
        _refuse(ctx, order, outcome)
        return
    ctx.goto(OrdersState.REJECT_REASON, order_id=order.id)
    ctx.reply(
        ctx.t(
            "Why are you rejecting {number}? {distributor} will see your reason. "
            "(Send /cancel to keep the order.)",
            number=order.number,
            distributor=order.distributor_name,
        ),
        takes_numbers=False,
    )


@router.on_state(OrdersState.REJECT_REASON, roles=APPROVERS)
async def reject_reason(ctx: Context) -> None:
    reason = " ".join(ctx.text.split())
    if not reason or len(reason) > MAX_REASON:
        ctx.reply(
            ctx.t(
                "Please give the reason in a few words (at most {limit} characters).",
                limit=MAX_REASON,
            ),
            takes_numbers=False,
        )
        return
    order_id = int(ctx.data["order_id"])
    ctx.finish()
    await _move(ctx, OrderStatus.REJECTED, order_id=order_id, note=reason)


async def _move(
    ctx: Context, target: OrderStatus, *, order_id: int | None = None, note: str | None = None
) -> None:
    person = ctx.person
    assert person is not None
    if order_id is None:
        assert ctx.button is not None
        order_id = _int(ctx.button.arg)
    if order_id is None:
        ctx.reply(ctx.t("That order does not exist or is not yours to see."), [_back(ctx)])
        return
    result = await move_order(ctx.session, ctx.clock, person, order_id, target, note)
    t = ctx.t
    match result.outcome:
        case Transition.DONE:
            assert result.order is not None
            await notify_status_change(ctx, result.order, target)
            ctx.reply(
                t(
                    "{number} is now {status}.",
                    number=result.order.number,
                    status=status_name(t, target),
                ),
                [ctx.choice(t("View order"), router.action("view"), result.order.id), _back(ctx)],
            )
        case Transition.NOT_FOUND:
            ctx.reply(t("That order does not exist or is not yours to see."), [_back(ctx)])
        case Transition.NOT_ALLOWED | Transition.WRONG_STATUS | Transition.ALREADY_DECIDED:
            assert result.order is not None
            _refuse(ctx, result.order, result.outcome)


def _refuse(ctx: Context, order: OrderView, outcome: Transition) -> None:
    t = ctx.t
    if outcome is Transition.NOT_ALLOWED:
        text = t("Sorry, {number} is not yours to change.", number=order.number)
    elif order.decided_by_name and order.decided_at and order.status in _DECIDED:
        text = t(
            "{number} was already {status} by {name} at {time}.",
            number=order.number,
            status=status_name(t, order.status),
            name=order.decided_by_name,
            time=local_time(order.decided_at, ctx.settings.timezone),
        )
    else:
        text = t(
            "{number} is {status}; that cannot be done now.",
            number=order.number,
            status=status_name(t, order.status),
        )
    ctx.reply(text, [ctx.choice(t("View order"), router.action("view"), order.id), _back(ctx)])


_DECIDED = (OrderStatus.APPROVED, OrderStatus.REJECTED, OrderStatus.CANCELLED)


# -- notices (written to the outbox in the transaction of the change) --------------------------


async def notify_approvers(ctx: Context, order: OrderView) -> None:
    for approver in await approvers_for(ctx.session, order):
        t = ctx.translator.bind(approver.locale)
        text = "\n".join(
            [
                t(
                    "New order {number} from {distributor} ({code}), placed by {name}, waits for "
                    "your approval.",
                    number=order.number,
                    distributor=order.distributor_name,
                    code=order.distributor_code,
                    name=order.placed_by.name,
                ),
                *order_lines_text(t, approver.locale, order),
                t("Total: {total}", total=format_money(order.total)),
            ]
        )
        choices = [
            (t("Approve"), f"{NOTICE_PREFIX}{router.action('approve')}:{order.id}"),
            (t("Reject"), f"{NOTICE_PREFIX}{router.action('reject')}:{order.id}"),
            (t("View order"), f"{NOTICE_PREFIX}{router.action('view')}:{order.id}"),
        ]
        await _enqueue(
            ctx,
            approver,
            f"order:{order.id}:approval:{approver.user_id}",
            "order.approval",
            text,
            choices,
            urgent=True,
        )


async def notify_status_change(ctx: Context, order: OrderView, status: OrderStatus) -> None:
    """Tell the orderer of every change made by someone else; tell approvers of a cancellation
    or a receipt so they stop waiting."""
    person = ctx.person
    assert person is not None
    recipients: list[Contact] = []
    if status in (OrderStatus.CANCELLED, OrderStatus.RECEIVED):
        recipients = await approvers_for(ctx.session, order)
    else:
        recipients = [order.placed_by]
    for contact in recipients:
        if contact.user_id == person.user_id:
            continue
        t = ctx.translator.bind(contact.locale)
        text = t(
            "Order {number} ({distributor}) is now {status} — by {name}.",
            number=order.number,
            distributor=order.distributor_name,
            status=status_name(t, status),
            name=person.name,
        )
        if status is OrderStatus.REJECTED and order.reject_reason:
            text += "\n" + t("Reason for rejection: {reason}", reason=order.reject_reason)
        choices = [(t("View order"), f"{NOTICE_PREFIX}{router.action('view')}:{order.id}")]
        if status is OrderStatus.SHIPPED:
            choices.insert(
                0, (t("Confirm received"), f"{NOTICE_PREFIX}{router.action('receive')}:{order.id}")
            )
        await _enqueue(
            ctx,
            contact,
            f"order:{order.id}:{status.value}:{contact.user_id}",
            f"order.{status.value}",
            text,
            choices,
            urgent=False,
        )


async def _enqueue(
    ctx: Context,
    contact: Contact,
    key: str,
    kind: str,
    text: str,
    choices: Sequence[tuple[str, str]],
    *,
    urgent: bool,
) -> None:
    await enqueue(
        ctx.session,
        Notice(
            user_id=contact.user_id,
            dedupe_key=key,
            kind=kind,
            text=text,
            choices=tuple(choices),
            urgent=urgent,
        ),
        ctx.clock.now(),
    )


def _int(arg: str) -> int | None:
    return whole_number(arg)


def _back(ctx: Context) -> Choice:
    return ctx.choice(ctx.t("Back to menu"), "core.menu")
