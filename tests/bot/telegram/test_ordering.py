"""A full order over Telegram: a tier-2 orders by tapping, its tier-1 approves from the notice."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.bootstrap import App
from bot.telegram.messenger import TelegramMessenger
from domain.enums import Platform
from domain.models import Order
from scheduler.pacing import TELEGRAM_LIMITS
from scheduler.sender import OutboxSender, SenderConfig
from tests.bot.telegram.conftest import NEWCOMER, TIER1, Bot, Person, invitation_for

PO = re.compile(r"PO-20261203-\d{4}")


async def test_full_order_with_tier1_approval(telegram: Bot, demo_app: App) -> None:
    sender = OutboxSender(
        demo_app.db,
        {Platform.TELEGRAM: TelegramMessenger(telegram.adapter)},
        demo_app.clock,
        SenderConfig(limits={Platform.TELEGRAM: TELEGRAM_LIMITS.scaled(100)}),
    )
    xiaohong = Person(telegram, NEWCOMER)  # joins 佛山顺达贸易 (D2002), under 华南商贸 (D1001)
    await xiaohong.say("/start")
    assert "佛山顺达贸易" in await xiaohong.say("NEWP-ART2")
    jianguo = Person(telegram, TIER1)  # 陈建国, tier-1 staff of 华南商贸, joins by invitation
    await jianguo.say("/start")
    assert "华南商贸有限公司" in await jianguo.say(await invitation_for(demo_app, "T101"))

    await xiaohong.press("订货")  # on the main menu she got when she joined
    assert any("饮用水" in button.label for button in xiaohong.last().flat_buttons)
    await xiaohong.press("饮用水")
    asked = await xiaohong.press("矿泉水 550ml×24")
    assert "起订量 5" in asked
    cart = await xiaohong.say("10箱")
    assert "矿泉水 550ml×24 (A100) × 10 箱" in cart
    placed = await xiaohong.press("确认下单")
    number = PO.search(placed)
    assert number, placed

    await sender.deliver_all()  # the approval request goes out through the outbox
    notice = jianguo.last()
    assert number.group() in notice.text
    assert "等待您审批" in notice.text
    assert "已批准" in await jianguo.press("批准")

    await sender.deliver_all()  # and the news goes back to the orderer
    assert f"订单 {number.group()}（佛山顺达贸易）现在已批准" in xiaohong.last().text
    async with demo_app.db.transaction() as session:
        statuses = list(await session.scalars(select(Order.status)))
    assert statuses == ["approved"]
    assert telegram.api.rejected(429) == []
    assert len(telegram.api.calls_of("answerCallbackQuery")) == 5  # every tap answered
