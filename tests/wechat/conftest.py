"""Fixtures for the WeChat adapters: the fake WeChat API, a configured app, an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.bootstrap import App, bootstrap
from bot.config import Settings
from bot.http import make_web_app
from domain.clock import FixedClock
from domain.demo import seed_demo_network
from tests.fakes.wechat_server import MP_APP_ID, MP_SECRET, WECOM_CORP_ID, WECOM_SECRET, FakeWeChat
from tests.wechat.people import (
    MP_AES_KEY,
    MP_TOKEN,
    WECOM_AES_KEY,
    WECOM_AGENT_ID,
    WECOM_TOKEN,
    WeChatPerson,
)

AppFactory = Callable[..., Awaitable[App]]


@pytest.fixture
async def fake_wechat() -> AsyncIterator[FakeWeChat]:
    async with FakeWeChat() as server:
        yield server


def wechat_settings(database_url: str, api_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "wechat_app_id": MP_APP_ID,
        "wechat_app_secret": MP_SECRET,
        "wechat_token": MP_TOKEN,
        "wechat_aes_key": MP_AES_KEY,
        "wechat_api_url": api_url,
        "wecom_corp_id": WECOM_CORP_ID,
        "wecom_agent_id": str(WECOM_AGENT_ID),
        "wecom_secret": WECOM_SECRET,
        "wecom_token": WECOM_TOKEN,
        "wecom_aes_key": WECOM_AES_KEY,
        "wecom_api_url": api_url,
    }
    values.update(overrides)
    return Settings(**values, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
async def make_app(
    database_url: str, fake_wechat: FakeWeChat, clock: FixedClock
) -> AsyncIterator[AppFactory]:
    """Build (and later close) demo-seeded apps configured for both WeChat platforms."""
    made: list[App] = []

    async def build(**overrides: Any) -> App:
        app = bootstrap(
            wechat_settings(database_url, fake_wechat.base_url, **overrides), clock=clock
        )
        made.append(app)
        async with app.db.transaction() as session:
            await seed_demo_network(session, app.clock, app.settings.timezone)
        return app

    yield build
    for app in made:
        await app.aclose()


@pytest.fixture
async def wechat_app(make_app: AppFactory) -> App:
    return await make_app()


@pytest.fixture
async def client(wechat_app: App) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(make_web_app(wechat_app))) as test_client:
        yield test_client
        assert wechat_app.wechat is not None
        await wechat_app.wechat.drain()


@pytest.fixture
def newcomer(client: TestClient[Any, Any], clock: FixedClock) -> WeChatPerson:
    """Someone who found the Official Account and has an invitation code (demo: NEWP-ART2)."""
    return WeChatPerson(client, clock, "oyORnuP8q7ou2gfYjqLzSIWZf0rs")


@pytest.fixture
def member(client: TestClient[Any, Any], clock: FixedClock) -> WeChatPerson:
    """A WeCom member opening the brand's application."""
    return WeChatPerson(client, clock, "messense", route="/wechat/work", token=WECOM_TOKEN)
