"""A distributor cannot see or act on another's order, however the button payload is forged;
a cart whose prices changed is shown again before it can be confirmed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from bot.bootstrap import App
from domain.enums import Platform
from domain.models import ConversationState, Order, OrderEvent, PriceListItem, Product
from handlers.types import Incoming, Reply


def _says(ref: str, text: str = "", payload: str | None = None) -> Incoming:
    return Incoming(Platform.CONSOLE, ref, ref, text=text, payload=payload)


def _payload(replies: list[Reply], label: str) -> str:
    for reply in replies:
        for choice in reply.choices:
            if choice.label == label:
                return choice.payload
    raise AssertionError(f"no {label!r} in {replies}")


async def _place_order(app: App) -> int:
    replies = await app.engine.handle(_says("S201", "A100 10"))
    await app.engine.handle(_says("S201", payload=_payload(replies, "确认下单")))
    async with app.db.transaction() as session:
        order_id = await session.scalar(select(Order.id))
    assert order_id is not None
    return order_id


async def _stamp_of(app: App, ref: str) -> str:
    """The person's own current stamp, as a forger replaying their own menu would have it."""
    await app.engine.handle(_says(ref, "/menu"))
    async with app.db.transaction() as session:
        conversation = await session.scalar(
            select(ConversationState).where(ConversationState.user_ref == ref)
        )
        assert conversation is not None
        return f"{conversation.secret}:{conversation.version}"


async def _history(app: App) -> list[tuple[str, str]]:
    async with app.db.transaction() as session:
        rows = await session.execute(
            select(Order.status, OrderEvent.status).join(
                OrderEvent, OrderEvent.order_id == Order.id
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


@pytest.mark.parametrize("action", ["view", "approve", "reject", "cancel", "ship", "receive"])
@pytest.mark.parametrize("forger", ["S206", "T102", "S204"])
async def test_forged_order_buttons_from_another_distributor_do_nothing(
    demo_app: App, action: str, forger: str
) -> None:
    order_id = await _place_order(demo_app)
    before = await _history(demo_app)
    stamp = await _stamp_of(demo_app, forger)
    for payload in (f"n:orders.{action}:{order_id}", f"{stamp}:orders.{action}:{order_id}"):
        replies = await demo_app.engine.handle(_says(forger, payload=payload))
        text = "\n".join(reply.text for reply in replies)
        assert "PO-" not in text or "不存在" in text or "无权" in text, text
        assert "矿泉水" not in text
    assert await _history(demo_app) == before


async def test_a_price_change_shows_the_cart_again_before_confirming(demo_app: App) -> None:
    replies = await demo_app.engine.handle(_says("S201", "A100 10"))
    confirm = _payload(replies, "确认下单")
    async with demo_app.db.transaction() as session:
        product_id = await session.scalar(select(Product.id).where(Product.sku == "A100"))
        await session.execute(
            update(PriceListItem)
            .where(PriceListItem.product_id == product_id)
            .values(price=Decimal("31.80"))
        )
    again = await demo_app.engine.handle(_says("S201", payload=confirm))
    assert "价格或商品有变化" in again[0].text
    assert "¥31.80" in again[0].text
    async with demo_app.db.transaction() as session:
        assert await session.scalar(select(Order.id)) is None
    placed = await demo_app.engine.handle(_says("S201", payload=_payload(again, "确认下单")))
    assert "¥318.00" in placed[0].text
