"""Transcripts of ordering: browse, quick text, approval, rejection, cancellation, repeat."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App
from bot.console import ConsoleChat
from domain.models import Distributor, Order, OrderEvent, OrderLine, OutboxMessage
from domain.pricing import price_for

PO = re.compile(r"PO-20261203-\d{4}")


async def _orders(app: App) -> list[Order]:
    async with app.db.transaction() as session:
        return list(await session.scalars(select(Order).order_by(Order.id)))


async def test_tier2_orders_by_browsing_and_its_tier1_approves_in_chinese(
    chat: ConsoleChat, demo_app: App
) -> None:
    await chat.switch("distributor")  # 张伟 of 深圳鹏程商行 (D2001), under 华南商贸 (D1001)
    assert "饮用水" in await chat.say("订货")
    products = await chat.say("1")
    assert "矿泉水 550ml×24" in products
    asked = await chat.say("1")
    assert "起订量 5" in asked
    cart = await chat.say("10箱")
    assert "矿泉水 550ml×24 (A100) × 10 箱" in cart
    placed = await chat.say("确认下单")
    number = PO.search(placed)
    assert number, placed
    assert "华南商贸有限公司" in placed

    approver = await chat.switch("tier1")  # 陈建国 of 华南商贸
    assert number.group() in approver
    assert "等待您审批" in approver
    assert "已批准" in await chat.say("1")  # [1] 批准, from the notice

    back = await chat.switch("distributor")
    assert f"订单 {number.group()}（深圳鹏程商行）现在已批准" in back
    orders = await _orders(demo_app)
    assert [order.status for order in orders] == ["approved"]


async def test_quick_text_order_in_english_with_a_distributor_price(
    chat: ConsoleChat, demo_app: App
) -> None:
    await chat.switch("S204")  # Lucy Zhou of 宁波海曙批发部 (D2004), English
    cart = await chat.say("A100 20箱, B200 5")
    assert "Here is your order" in cart
    assert "Mineral water 550ml×24 (A100) × 20 cases" in cart
    assert "Green tea 500ml×15 (B200) × 5 cases" in cart
    placed = await chat.say("Confirm order")
    assert PO.search(placed)
    order = (await _orders(demo_app))[0]
    async with demo_app.db.transaction() as session:
        water = await session.scalar(
            select(OrderLine).where(OrderLine.order_id == order.id, OrderLine.sku == "A100")
        )
        assert water is not None
        # D2004 (tier 2, grade A) has its own price on A100; D2001 (same tier) pays the list.
        d2001 = await session.scalar(select(Distributor.id).where(Distributor.code == "D2001"))
        assert d2001 is not None
        list_price = await price_for(session, d2001, water.product_id, date(2026, 12, 3))
    assert list_price is not None
    assert water.unit_price < list_price


async def test_rejection_with_a_reason_reaches_the_orderer(chat: ConsoleChat) -> None:
    await chat.switch("distributor")
    await chat.say("A101 10")
    number = PO.search(await chat.say("确认下单"))
    assert number
    await chat.switch("tier1")
    asks = await chat.say("2")  # [2] 拒绝
    assert "为什么拒绝" in asks
    done = await chat.say("本月额度已满")
    assert "已拒绝" in done
    back = await chat.switch("distributor")
    assert "本月额度已满" in back
    assert "已拒绝" in back


async def test_orderer_cancels_while_pending_and_the_approver_is_told(
    chat: ConsoleChat, demo_app: App
) -> None:
    await chat.switch("distributor")
    await chat.say("A101 10")
    await chat.say("确认下单")
    listing = await chat.say("我的订单")
    assert "等待审批" in listing
    detail = await chat.say("1")
    assert "取消此订单" in detail
    assert "已取消" in await chat.say("取消此订单")
    told = await chat.switch("tier1")
    assert "已取消" in told
    # The approval notice is gone from the menu's point of view: approving now is refused.
    assert "已取消" in await chat.say("1")
    assert [order.status for order in await _orders(demo_app)] == ["cancelled"]


async def test_repeat_my_last_order(chat: ConsoleChat, demo_app: App) -> None:
    await chat.switch("distributor")
    await chat.say("A100 10, C300 20")
    await chat.say("确认下单")
    again = await chat.say("再来一单")
    assert "上次订单" in again
    assert "A100" in again
    assert "C300" in again
    await chat.say("确认下单")
    orders = await _orders(demo_app)
    assert len(orders) == 2
    assert orders[0].total == orders[1].total


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0", "必须大于零"),
        ("-5", "不能为负数"),
        ("abc", "没看懂"),
        ("9999999", "超过"),
        ("2", "最少订 5 箱"),
        ("二十", "矿泉水 550ml×24 (A100) × 20 箱"),
        ("２０", "矿泉水 550ml×24 (A100) × 20 箱"),
    ],
)
async def test_quantities_are_read_forgivingly_and_refused_clearly(
    chat: ConsoleChat, demo_app: App, typed: str, expected: str
) -> None:
    await chat.switch("distributor")
    await chat.say("订货")
    await chat.say("1")
    await chat.say("1")
    assert expected in await chat.say(typed)
    assert await _orders(demo_app) == []


async def test_bad_quick_orders_change_nothing(chat: ConsoleChat, demo_app: App) -> None:
    await chat.switch("distributor")
    answer = await chat.say("A100 2, Z999 5, C300 25")
    assert "最少订 5 箱" in answer
    assert "Z999" in answer
    assert "整数倍" in answer
    assert "没有添加任何商品" in answer
    async with demo_app.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert await session.scalar(select(func.count()).select_from(OrderEvent)) == 0


async def test_a_reason_that_reads_like_a_menu_label_is_taken_as_the_reason(
    chat: ConsoleChat,
) -> None:
    await chat.switch("distributor")
    await chat.say("A101 10")
    await chat.say("确认下单")
    await chat.switch("tier1")
    await chat.say("2")  # [2] 拒绝
    done = await chat.say("订货")  # also the label of a main-menu entry
    assert "已拒绝" in done
    back = await chat.switch("distributor")
    assert "拒绝原因：订货" in back
