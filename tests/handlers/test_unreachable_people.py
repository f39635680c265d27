"""Managers see who our messages no longer reach, and can follow up another way."""

from __future__ import annotations

from sqlalchemy import update

from bot.bootstrap import App
from bot.console import ConsoleChat
from domain.models import ChatIdentity


async def test_manager_sees_who_blocked_the_assistant(chat: ConsoleChat, demo_app: App) -> None:
    await chat.switch("manager")
    assert "没有人屏蔽" in await chat.say("/unreachable")
    async with demo_app.db.transaction() as session:
        await session.execute(
            update(ChatIdentity)
            .where(ChatIdentity.external_id == "S201")
            .values(unreachable_since=demo_app.clock.now())
        )
    listing = await chat.say("/unreachable")
    assert "张伟" in listing
    assert "深圳鹏程商行" in listing
    await chat.switch("distributor")
    assert "没有使用此功能的权限" in await chat.say("/unreachable")  # not for distributors
