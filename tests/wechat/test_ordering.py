"""Over WeChat with the outbox sender: a whole order with its approval (Official Account and
WeCom), and the 48-hour window closing and reopening."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.bootstrap import App
from domain.clock import FixedClock
from domain.enums import Role
from domain.invitations import create_invitation, format_code
from domain.models import ChatIdentity, Order, OutboxMessage
from domain.outbox import Notice, enqueue
from scheduler.pacing import VirtualTimer
from scheduler.sender import OutboxSender
from tests.fakes.wechat_server import FakeWeChat
from tests.wechat.people import WECOM_TOKEN, WeChatPerson, numbered_option

PO = re.compile(r"PO-\d{8}-\d{4}")


async def deliver_notices(app: App) -> None:
    """What the outbox sender does in production, paced on a virtual clock."""
    assert app.wechat is not None
    messengers = {messenger.platform: messenger for messenger in app.wechat.messengers()}
    sender = OutboxSender(app.db, messengers, app.clock, timer=VirtualTimer())
    await sender.deliver_all()


async def invitation_for(app: App, user_code: str, distributor_code: str) -> str:
    async with app.db.transaction() as session:
        invitation = await create_invitation(
            session,
            app.clock,
            Role.TIER1_STAFF,
            distributor_code=distributor_code,
            user_code=user_code,
        )
    return format_code(invitation.code)


@pytest.mark.parametrize("route", ["/wechat/mp", "/wechat/work"])
async def test_subscribe_join_order_and_approval(
    route: str,
    client: TestClient[Any, Any],
    clock: FixedClock,
    wechat_app: App,
    fake_wechat: FakeWeChat,
) -> None:
    token = WECOM_TOKEN if route == "/wechat/work" else "spamtest"
    orderer = WeChatPerson(client, clock, "o-zhou-xiaohong", route=route, token=token)
    approver = WeChatPerson(client, clock, "o-chen-jianguo", route=route, token=token)

    # The newcomer joins 佛山顺达贸易 (tier 2 under 华南商贸) and browses to an order.
    assert "邀请码" in await orderer.event("subscribe")
    assert "怎么称呼您" in await orderer.say("NEWP-ART2")
    menu = await orderer.say("周小红")
    assert "佛山顺达贸易" in menu
    categories = await orderer.say("订货")
    products = await orderer.say(numbered_option(categories, "饮用水"))
    asked = await orderer.say(numbered_option(products, "矿泉水 550ml×24"))
    assert "起订量 5" in asked
    cart = await orderer.say("10箱")
    assert "矿泉水 550ml×24 (A100) × 10 箱" in cart
    # WeChat retries the confirmation (our answer got lost twice): one order all the same.
    confirmation = orderer.signed(orderer.text_xml("确认下单"))
    answers = [await orderer.post(*confirmation) for _ in range(3)]
    assert [answer.status for answer in answers] == [200, 200, 200]
    assert [answer.body for answer in answers[1:]] == ["success", "success"]
    placed = answers[0].text
    number = PO.search(placed)
    assert number, placed
    assert "华南商贸有限公司" in placed

    # 陈建国 of 华南商贸 binds his WeChat with the code his channel manager made for him.
    code = await invitation_for(wechat_app, "T101", "D1001")
    await approver.event("subscribe")
    assert "陈建国" in await approver.say(code)

    await deliver_notices(wechat_app)
    [request] = [text for text in fake_wechat.texts_to(approver.user) if number.group() in text]
    assert "等待您审批" in request
    # On the Official Account the options come as a msgmenu: a tap sends the label back.
    # WeCom shows numbered lines: he types the number.
    tapped = "批准" if route == "/wechat/mp" else numbered_option(request, "批准")
    approved = await approver.say(tapped)

    assert "已批准" in approved

    await deliver_notices(wechat_app)
    told = [text for text in fake_wechat.texts_to(orderer.user) if number.group() in text]
    assert any("已批准" in text for text in told), told
    async with wechat_app.db.transaction() as session:
        orders = list(await session.scalars(select(Order)))
    assert [order.status for order in orders] == ["approved"]


async def test_out_of_the_window_then_writing_again_makes_the_person_reachable(
    newcomer: WeChatPerson, wechat_app: App, fake_wechat: FakeWeChat, clock: FixedClock
) -> None:
    await newcomer.event("subscribe")
    await newcomer.say("NEWP-ART2")
    await newcomer.say("周小红")
    async with wechat_app.db.transaction() as session:
        identity = await session.scalar(
            select(ChatIdentity).where(ChatIdentity.external_id == newcomer.user)
        )
        assert identity is not None
        user_id = identity.user_id
    clock.advance(timedelta(hours=49))  # silent for two days; no template configured

    async def notify(key: str) -> OutboxMessage:
        async with wechat_app.db.transaction() as session:
            await enqueue(session, Notice(user_id, key, "reminder", "本周销量请上报"), clock.now())
        await deliver_notices(wechat_app)
        async with wechat_app.db.transaction() as session:
            row = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
            assert row is not None
            return row

    missed = await notify("reminder:1")
    assert missed.status == "dead"
    assert fake_wechat.sent == []
    async with wechat_app.db.transaction() as session:
        identity = await session.scalar(
            select(ChatIdentity).where(ChatIdentity.external_id == newcomer.user)
        )
        assert identity is not None
        assert identity.unreachable_since is not None

    await newcomer.say("/menu")  # writing reopens the window
    delivered = await notify("reminder:2")
    assert delivered.status == "sent"
    assert fake_wechat.texts_to(newcomer.user) == ["本周销量请上报"]
