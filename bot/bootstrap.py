"""The composition root: the one place that builds the database, engine, translator and friends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.metrics import Metrics
from domain.clock import Clock, SystemClock
from domain.db import Database
from handlers import (
    broadcasts,
    context,
    core,
    network,
    onboarding,
    ordering,
    orders,
    profile,
    reachability,
)
from handlers.engine import Engine
from handlers.i18n import Translator
from handlers.router import Router

if TYPE_CHECKING:
    from bot.telegram.adapter import TelegramAdapter
    from bot.wechat.channels import WeChat

# Fixed order; the first router to claim a command, button or text wins.
ROUTERS: Sequence[Router] = (
    core.router,
    onboarding.router,
    ordering.router,
    orders.router,
    network.router,
    profile.router,
    reachability.router,
    broadcasts.router,
)


@dataclass
class App:
    settings: Settings
    db: Database
    clock: Clock
    translator: Translator
    metrics: Metrics
    engine: Engine
    wechat: WeChat | None = None  # Official Account and WeCom, when configured
    telegram: TelegramAdapter | None = None  # when PARTNERBOT_TELEGRAM_TOKEN is set

    async def aclose(self) -> None:
        if self.wechat is not None:
            await self.wechat.aclose()
        await self.db.dispose()


def bootstrap(settings: Settings, *, clock: Clock | None = None) -> App:
    clock = clock or SystemClock()
    db = Database(settings.database_url)
    translator = Translator.load(settings.default_locale)
    metrics = Metrics()
    engine = Engine(
        db,
        translator,
        ROUTERS,
        clock,
        context.Settings(default_locale=settings.default_locale, timezone=settings.timezone),
        observer=metrics,
    )
    app = App(settings, db, clock, translator, metrics, engine)
    wechat = (settings.wechat_app_id, settings.wechat_token, settings.wecom_corp_id)
    if any(wechat) or settings.wecom_token:
        from bot.wechat.channels import build_wechat

        app.wechat = build_wechat(settings, db, clock, engine)
    if settings.telegram_token is not None:
        from bot.telegram.adapter import telegram_from_settings

        app.telegram = telegram_from_settings(app)
    return app
