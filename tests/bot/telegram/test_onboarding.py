"""A newcomer joins over Telegram, polling and webhook alike, and finds their way around."""

from __future__ import annotations

from bot.bootstrap import App
from tests.bot.telegram.conftest import NEWCOMER, STRANGER, Bot, Person, identity


async def test_newcomer_joins_with_an_invitation_and_menus_edit_in_place(
    telegram: Bot, demo_app: App
) -> None:
    xiaohong = Person(telegram, NEWCOMER)
    assert "邀请码" in await xiaohong.say("/start")
    joined = await xiaohong.say("newp-art2")  # Telegram tells us her name: no need to ask
    assert "欢迎加入，小红" in joined
    assert "佛山顺达贸易" in joined
    menu = xiaohong.last()
    assert any("我的资料" in b.label for b in menu.flat_buttons)

    profile = await xiaohong.press("我的资料")
    assert "小红" in profile
    assert xiaohong.last().message_id == menu.message_id  # the menu became the profile
    assert xiaohong.last().edits == 1
    assert len(telegram.api.calls_of("answerCallbackQuery")) == 1

    await xiaohong.press("返回")
    assert xiaohong.last().message_id == menu.message_id
    assert telegram.api.calls_of("editMessageText")
    bound = await identity(demo_app, NEWCOMER)
    assert bound is not None
    assert bound.chat_ref == str(NEWCOMER.id)


async def test_a_start_link_with_the_code_joins_at_once(polling: Bot, demo_app: App) -> None:
    # https://t.me/<bot>?start=NEWPART2 arrives as "/start NEWPART2".
    eve = Person(polling, STRANGER)
    assert "joined 佛山顺达贸易" in await eve.say("/start NEWPART2")
    assert await identity(demo_app, STRANGER) is not None
