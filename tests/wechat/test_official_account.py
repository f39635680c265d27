"""The Official Account through its real route: subscribe, join, menus, language, retries."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.bootstrap import App
from domain.clock import FixedClock
from domain.enums import Platform
from domain.models import ChatContact, ChatIdentity, InboundReceipt
from tests.fakes.wechat_server import FakeWeChat
from tests.wechat.people import WeChatPerson, numbered_option


async def join(person: WeChatPerson, name: str = "周小红") -> str:
    assert "邀请码" in await person.event("subscribe")
    assert "怎么称呼您" in await person.say("newp-art2")
    return await person.say(name)


async def test_subscribe_starts_onboarding_and_the_menu_answers_numbers_and_labels(
    newcomer: WeChatPerson, fake_wechat: FakeWeChat
) -> None:
    joined = await join(newcomer)
    assert "欢迎加入" in joined
    assert "佛山顺达贸易" in joined
    profile = await newcomer.say(numbered_option(joined, "我的资料"))
    assert "周小红" in profile
    assert "角色" in profile
    assert "命令" in await newcomer.say("帮助") or "/help" in await newcomer.say("帮助")
    assert fake_wechat.sent == []  # every answer fitted in the passive reply


async def test_a_menu_click_stands_for_its_command(newcomer: WeChatPerson) -> None:
    await join(newcomer)
    assert "角色" in await newcomer.event("CLICK", "cmd:profile")
    assert await newcomer.event("CLICK", "not-a-command") == ""
    assert await newcomer.event("VIEW", "https://example.com") == ""


async def test_lang_switches_language_and_the_second_reply_goes_through_the_api(
    newcomer: WeChatPerson, fake_wechat: FakeWeChat, wechat_app: App
) -> None:
    first = await newcomer.say("/lang en")
    assert "English" in first
    assert wechat_app.wechat is not None
    await wechat_app.wechat.drain()
    sent = await fake_wechat.wait_for_sent(1)
    assert sent[0].body["touser"] == newcomer.user
    assert sent[0].body["msgtype"] == "msgmenu"  # the welcome offers a language: options
    assert "invitation code" in fake_wechat.texts_to(newcomer.user)[0]
    assert "name" in await newcomer.say("NEWP-ART2")


async def test_the_same_message_posted_three_times_has_one_effect(
    newcomer: WeChatPerson, wechat_app: App
) -> None:
    await newcomer.event("subscribe")
    request = newcomer.signed(newcomer.text_xml("NEWP-ART2"))
    answers = [await newcomer.post(*request) for _ in range(3)]
    assert [answer.status for answer in answers] == [200, 200, 200]
    assert "怎么称呼您" in answers[0].text
    assert [answer.body for answer in answers[1:]] == ["success", "success"]
    # And at the same time, as a second process would see it:
    again = newcomer.signed(newcomer.text_xml("周小红"))
    together = await asyncio.gather(*(newcomer.post(*again) for _ in range(3)))
    assert sorted(answer.body == "success" for answer in together) == [False, True, True]
    async with wechat_app.db.transaction() as session:
        identities = await session.scalar(
            select(func.count()).where(ChatIdentity.external_id == newcomer.user)
        )
        receipts = await session.scalar(
            select(func.count()).where(InboundReceipt.platform == Platform.WECHAT_MP.value)
        )
    assert identities == 1
    assert receipts == 3  # subscribe, the code, the name


async def test_unsubscribe_marks_the_identity_unreachable(
    newcomer: WeChatPerson, wechat_app: App
) -> None:
    await join(newcomer)
    assert await newcomer.event("unsubscribe") == ""
    async with wechat_app.db.transaction() as session:
        identity = await session.scalar(
            select(ChatIdentity).where(ChatIdentity.external_id == newcomer.user)
        )
        contact = await session.scalar(
            select(ChatContact).where(ChatContact.external_id == newcomer.user)
        )
    assert identity is not None
    assert identity.unreachable_since is not None
    assert contact is not None
    assert contact.unsubscribed_at is not None
    assert "欢迎回来" in await newcomer.event("subscribe") or "周小红" in await newcomer.say(
        "/profile"
    )


async def test_plaintext_mode_without_an_aes_key(
    make_app: Any, clock: Any, fake_wechat: FakeWeChat
) -> None:
    app = await make_app(wechat_aes_key=None)
    from aiohttp.test_utils import TestServer

    from bot.http import make_web_app

    async with TestClient(TestServer(make_web_app(app))) as client:
        person = WeChatPerson(client, clock, "o-plain-user", encrypted=False)
        assert "邀请码" in await person.event("subscribe")
        assert "怎么称呼您" in await person.say("NEWP-ART2")


async def test_following_through_an_invitation_qr_code_joins_at_once(
    newcomer: WeChatPerson,
) -> None:
    assert "怎么称呼您" in await newcomer.event("subscribe", "qrscene_NEWPART2")
    assert "欢迎加入" in await newcomer.say("周小红")


async def test_old_receipts_are_pruned_and_the_new_ones_kept(
    newcomer: WeChatPerson, wechat_app: App, clock: FixedClock
) -> None:
    await newcomer.event("subscribe")
    clock.advance(timedelta(days=3))
    await newcomer.say("/help")
    async with wechat_app.db.transaction() as session:
        keys = list(await session.scalars(select(InboundReceipt.key)))
    assert len(keys) == 1
    assert keys[0].startswith("m:")
