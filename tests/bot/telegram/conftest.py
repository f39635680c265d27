"""A fake Bot API server, the adapter in polling or webhook mode, and people who chat with it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import unused_port
from sqlalchemy import select

from bot.bootstrap import App
from bot.http import make_web_app
from bot.telegram.adapter import TelegramAdapter, TelegramConfig
from bot.telegram.limiter import Limits
from domain.enums import Role
from domain.invitations import create_invitation, format_code
from domain.models import ChatIdentity
from tests.fakes.telegram_server import BotMessage, FakeBotApi, TelegramUser

# Tests that are not about pacing should not wait a second between two replies.
FAST = Limits(per_chat=1000, per_chat_period=1.0, overall=1000, overall_period=1.0)

NEWCOMER = TelegramUser(1001, "小红", language_code="zh-hans", username="xiaohong")
TIER1 = TelegramUser(2001, "建国", language_code="zh-hans")
STRANGER = TelegramUser(3001, "Eve", language_code="en")


@pytest.fixture(autouse=True)
def _timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    # The adapter opts into timedelta periods when it is built; tests that use PTB before
    # building one need the same, or PTB's deprecation warning becomes an error.
    monkeypatch.setenv("PTB_TIMEDELTA", os.environ.get("PTB_TIMEDELTA", "true"))


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


def config_for(api: FakeBotApi, **overrides: Any) -> TelegramConfig:
    values: dict[str, Any] = {
        "token": api.token,
        "api_url": api.root_url,
        "poll_timeout": 1,
        "retry_base": 0.01,
        "limits": FAST,
    }
    values.update(overrides)
    return TelegramConfig(**values)


@dataclass
class Bot:
    """The adapter running in one mode, and how a test delivers an update to it."""

    adapter: TelegramAdapter
    api: FakeBotApi
    mode: str

    async def deliver(self, update: dict[str, Any]) -> None:
        if self.mode == "webhook":
            status = await self.api.post_webhook(update)
            assert status == 200, status
        else:
            await self.api.push(update)
            await self.api.wait_confirmed(update["update_id"])


@pytest.fixture(params=["polling", "webhook"])
async def telegram(
    request: pytest.FixtureRequest, demo_app: App, api: FakeBotApi
) -> AsyncIterator[Bot]:
    """The bot over the demo network, polling or behind the webhook on the real aiohttp app."""
    async with running(demo_app, api, request.param) as bot:
        yield bot


@pytest.fixture
async def polling(demo_app: App, api: FakeBotApi) -> AsyncIterator[Bot]:
    async with running(demo_app, api, "polling") as bot:
        yield bot


@pytest.fixture
async def webhook(demo_app: App, api: FakeBotApi) -> AsyncIterator[Bot]:
    async with running(demo_app, api, "webhook") as bot:
        yield bot


class running:  # noqa: N801 - reads as "async with running(app, api, mode)"
    def __init__(self, app: App, api: FakeBotApi, mode: str, **overrides: Any) -> None:
        self.app, self.api, self.mode, self.overrides = app, api, mode, overrides
        self.runner: web.AppRunner | None = None

    async def __aenter__(self) -> Bot:
        if self.mode == "webhook":
            port = unused_port()
            config = config_for(
                self.api,
                webhook_url=f"http://127.0.0.1:{port}/telegram/webhook",
                **self.overrides,
            )
            adapter = TelegramAdapter(self.app, config)
            self.app.telegram = adapter
            self.runner = web.AppRunner(make_web_app(self.app))
            await self.runner.setup()  # starts the adapter: getMe, commands, setWebhook
            await web.TCPSite(self.runner, "127.0.0.1", port).start()
        else:
            adapter = TelegramAdapter(self.app, config_for(self.api, **self.overrides))
            await adapter.start()
        self.adapter = adapter
        return Bot(adapter, self.api, self.mode)

    async def __aexit__(self, *exc: object) -> None:
        if self.runner is not None:
            await self.runner.cleanup()  # stops the adapter through its lifespan
            self.app.telegram = None
        else:
            await self.adapter.stop()


class Person:
    """Someone on Telegram talking to the bot the way a person does: typing and tapping."""

    def __init__(self, bot: Bot, user: TelegramUser) -> None:
        self.bot = bot
        self.api = bot.api
        self.user = user

    @property
    def chat(self) -> list[BotMessage]:
        return self.api.chat(self.user.id)

    def last(self) -> BotMessage:
        return self.api.last_message(self.user.id)

    async def say(self, text: str) -> str:
        """Type a line; returns the text of everything the bot sent or edited in answer."""
        before = len(self.api.sent(self.user.id))
        await self.bot.deliver(self.api.text_update(self.user, text))
        return self._since(before)

    async def press(self, label_part: str) -> str:
        """Tap the button whose label contains `label_part` on the latest menu."""
        menu = next(m for m in reversed(self.chat) if m.flat_buttons)
        return await self.press_on(menu, label_part)

    async def press_on(self, menu: BotMessage, label_part: str) -> str:
        """Tap a button on a particular message, perhaps an old one."""
        button = menu.button(label_part)
        before = len(self.api.sent(self.user.id))
        await self.bot.deliver(self.api.callback_update(self.user, menu.message_id, button.data))
        return self._since(before)

    def _since(self, before: int) -> str:
        return "\n".join(
            str(call.params.get("text", "")) for call in self.api.sent(self.user.id)[before:]
        )


async def invitation_for(app: App, user_code: str) -> str:
    """A fresh code that binds an imported demo user (e.g. tier-1 staff T101) to a new chat."""
    async with app.db.transaction() as session:
        invitation = await create_invitation(
            session, app.clock, Role.TIER1_STAFF, user_code=user_code
        )
        return format_code(invitation.code)


async def identity(app: App, user: TelegramUser) -> ChatIdentity | None:
    async with app.db.transaction() as session:
        return await session.scalar(
            select(ChatIdentity).where(
                ChatIdentity.platform == "telegram", ChatIdentity.external_id == str(user.id)
            )
        )
