"""Transcripts: a newcomer joins with an invitation, in Chinese, then English."""

from __future__ import annotations

from datetime import timedelta

from bot.console import ConsoleChat
from domain.clock import FixedClock


async def test_tier2_staff_joins_in_chinese_switches_to_english_and_cancels(
    chat: ConsoleChat,
) -> None:
    await chat.switch("newcomer")
    assert "邀请码" in await chat.say("你好")
    assert "怎么称呼您" in await chat.say("newp-art2")
    joined = await chat.say("周小红")
    assert "周小红" in joined
    assert "佛山顺达贸易" in joined
    assert "欢迎加入" in joined
    menu = await chat.say("/menu")
    assert "我的资料" in menu
    assert "语言" in menu
    assert "我的网络" not in menu  # a tier-2 has no network of its own
    english = await chat.say("/lang en")
    assert "English" in english or "from now on" in english
    profile = await chat.say("/profile")
    assert "Role: distributor staff" in profile
    cancelled = await chat.say("/cancel")
    assert "nothing to cancel" in cancelled


async def test_wrong_codes_lock_for_fifteen_minutes(chat: ConsoleChat, clock: FixedClock) -> None:
    await chat.switch("newcomer")
    for left in (4, 3, 2, 1):
        assert f"{left}" in await chat.say("ABCD-EFGH")
    locked = await chat.say("ABCD-EFGH")
    assert "15" in locked
    # Even the right code is refused while locked.
    assert "15" in await chat.say("NEWP-ART2")
    clock.advance(timedelta(minutes=16))
    assert "怎么称呼您" in await chat.say("NEWP-ART2")


async def test_misses_older_than_the_lockout_do_not_count(
    chat: ConsoleChat, clock: FixedClock
) -> None:
    await chat.switch("newcomer")
    for left in (4, 3, 2):
        assert f"{left}" in await chat.say("ABCD-EFGH")
    clock.advance(timedelta(minutes=16))
    assert "4" in await chat.say("ABCD-EFGH")  # counting starts again
    assert "3" in await chat.say("ABCD-EFGH")
