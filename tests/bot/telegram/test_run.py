"""`partnerbot run` with PARTNERBOT_TELEGRAM_TOKEN: polls beside /healthz, stops cleanly."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import unused_port

from bot.bootstrap import App, bootstrap
from bot.cli import main
from bot.config import Settings
from bot.http import serve
from bot.telegram.adapter import TelegramAdapter
from tests.bot.telegram.conftest import STRANGER, config_for
from tests.fakes.telegram_server import TOKEN, FakeBotApi


async def test_run_serves_http_and_polls_until_stopped(demo_app: App, api: FakeBotApi) -> None:
    port = unused_port()
    demo_app.settings = demo_app.settings.model_copy(update={"http_port": port})
    demo_app.telegram = TelegramAdapter(demo_app, config_for(api))
    stop = asyncio.Event()
    server = asyncio.create_task(serve(demo_app, stop))
    await api.wait_until(lambda: bool(api.calls_of("getUpdates")))
    update = api.text_update(STRANGER, "/help")
    await api.push(update)
    await api.wait_confirmed(update["update_id"])
    async with ClientSession() as client, client.get(f"http://127.0.0.1:{port}/healthz") as got:
        assert got.status == 200
    stop.set()
    await server
    assert "invitation code" in api.last_message(STRANGER.id).text
    assert api.calls_of("deleteWebhook")  # polling clears a webhook left behind


async def test_settings_choose_polling_or_webhook(database_url: str) -> None:
    built: list[App] = []

    def app_with(**values: object) -> App:
        settings = Settings(database_url=database_url, _env_file=None, **values)  # type: ignore[call-arg, arg-type]
        built.append(bootstrap(settings))
        return built[-1]

    assert app_with().telegram is None
    polling = app_with(telegram_token=TOKEN).telegram
    assert polling is not None
    assert not polling.webhook_mode
    assert polling.routes() == []
    webhook = app_with(
        telegram_token=TOKEN,
        telegram_webhook_url="https://bot.example.com/telegram/webhook",
        telegram_api_url="http://127.0.0.1:8081",
    ).telegram
    assert webhook is not None
    assert webhook.webhook_mode
    assert webhook.bot.base_url == f"http://127.0.0.1:8081/bot{TOKEN}"
    assert [route.path for route in webhook.routes()] == ["/telegram/webhook"]  # type: ignore[attr-defined]
    for app in built:
        await app.aclose()


def test_a_malformed_token_is_a_clear_configuration_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("PARTNERBOT_TELEGRAM_TOKEN", "not-a-token")
    assert main(["run"]) == 2
    error = capsys.readouterr().err
    assert "PARTNERBOT_TELEGRAM_TOKEN" in error
    assert "not-a-token" not in error
