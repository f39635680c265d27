"""The composition root: the one place that builds the database, engine, translator and friends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.config import Settings
from bot.metrics import Metrics
from domain.clock import Clock, SystemClock
from domain.db import Database
from handlers import context, core, network, onboarding, profile
from handlers.engine import Engine
from handlers.i18n import Translator
from handlers.router import Router

# Fixed order; the first router to claim a command, button or text wins.
ROUTERS: Sequence[Router] = (core.router, onboarding.router, profile.router, network.router)


@dataclass
class App:
    settings: Settings
    db: Database
    clock: Clock
    translator: Translator
    metrics: Metrics
    engine: Engine

    async def aclose(self) -> None:
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
    return App(settings, db, clock, translator, metrics, engine)
