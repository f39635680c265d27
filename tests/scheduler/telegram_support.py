"""The real Telegram messenger pointed at the fake Bot API, at a pace `SPEEDUP` times Telegram's.

Telegram allows 30 messages a second per bot and one a second per chat. Tests run the same
shape four times faster (30 per 0.25 s, one per 0.25 s per chat): 120 a second keeps a
2,000-message delivery under 20 seconds while the pacing is still real, and leaves the fake's
jitter tolerance (its default, scaled: 12.5 ms) above what a busy two-core machine adds.
"""

from __future__ import annotations

from bot.bootstrap import App
from bot.telegram.adapter import TelegramAdapter, TelegramConfig
from bot.telegram.limiter import Limits
from bot.telegram.messenger import TelegramMessenger
from domain.enums import Platform
from scheduler.pacing import TELEGRAM_LIMITS, PlatformLimits
from scheduler.sender import SenderConfig
from tests.fakes.telegram_server import TOKEN, FakeBotApi

SPEEDUP = 4.0
PACE: PlatformLimits = TELEGRAM_LIMITS.scaled(SPEEDUP)
# The fake forgives this much jitter between our clock and its own at a window's edge.
TOLERANCE = 0.05 / SPEEDUP


def fake_bot_api() -> FakeBotApi:
    return FakeBotApi(
        limits=True,
        per_chat=1,
        per_chat_period=1.0 / SPEEDUP,
        overall=30,
        overall_period=1.0 / SPEEDUP,
        tolerance=TOLERANCE,
    )


def telegram_messenger(app: App, api_root: str) -> TelegramMessenger:
    config = TelegramConfig(
        token=TOKEN,
        api_url=api_root,
        limits=Limits(
            per_chat=1,
            per_chat_period=1.0 / SPEEDUP,
            overall=30,
            overall_period=1.0 / SPEEDUP,
        ),
    )
    return TelegramMessenger(TelegramAdapter(app, config))


def fast_sender_config(**overrides: object) -> SenderConfig:
    return SenderConfig(limits={Platform.TELEGRAM: PACE}, **overrides)  # type: ignore[arg-type]
