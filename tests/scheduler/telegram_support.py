"""The real Telegram messenger pointed at the fake Bot API, at a pace `SPEEDUP` times Telegram's.

Telegram allows 30 messages a second per bot and one a second per chat. Tests run the same
shape four times faster (30 per 0.25 s, one per 0.25 s per chat): 120 a second keeps a
2,000-message delivery under 20 seconds while the pacing is still real, and leaves the fake's
jitter tolerance (its default, scaled: 12.5 ms) above what a busy two-core machine adds.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from bot.bootstrap import App
from bot.telegram.adapter import TelegramAdapter, TelegramConfig
from bot.telegram.limiter import Limits
from bot.telegram.messenger import TelegramMessenger
from domain.enums import Platform
from scheduler.pacing import TELEGRAM_LIMITS, PlatformLimits
from scheduler.quiet import QuietHours
from scheduler.sender import SenderConfig
from tests.fakes.telegram_server import TOKEN, FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
SPEEDUP = 4.0
PACE: PlatformLimits = TELEGRAM_LIMITS.scaled(SPEEDUP)
# The fake forgives this much jitter between our clock and its own at a window's edge.
TOLERANCE = 0.05 / SPEEDUP


def fake_bot_api(speedup: float = SPEEDUP, tolerance: float = TOLERANCE) -> FakeBotApi:
    """The fake Bot API enforcing Telegram's limits, `speedup` times faster."""
    return FakeBotApi(
        limits=True,
        per_chat=1,
        per_chat_period=1.0 / speedup,
        overall=30,
        overall_period=1.0 / speedup,
        tolerance=tolerance,
    )


def telegram_messenger(app: App, api_root: str, speedup: float = SPEEDUP) -> TelegramMessenger:
    """Our messenger, its limiter scaled like the fake's."""
    config = TelegramConfig(
        token=TOKEN,
        api_url=api_root,
        limits=Limits(
            per_chat=1,
            per_chat_period=1.0 / speedup,
            overall=30,
            overall_period=1.0 / speedup,
        ),
    )
    return TelegramMessenger(TelegramAdapter(app, config))


def fast_sender_config(**overrides: object) -> SenderConfig:
    return SenderConfig(limits={Platform.TELEGRAM: PACE}, **overrides)  # type: ignore[arg-type]


def process_sender_config(speedup: float, batch_size: int | None = None) -> SenderConfig:
    """What a sender process runs with. The wall clock of a subprocess may be in anyone's
    night, and quiet hours are not what the crash tests are about: they are off."""
    sizes = {"batch_size": batch_size} if batch_size else {}
    return SenderConfig(
        limits={Platform.TELEGRAM: TELEGRAM_LIMITS.scaled(speedup)},
        quiet_hours=QuietHours.parse("off"),
        idle_poll=0.05,
        **sizes,  # type: ignore[arg-type]
    )


Start = Callable[[str, str], Awaitable[asyncio.subprocess.Process]]


@asynccontextmanager
async def sender_processes(
    speedup: float = SPEEDUP, batch_size: int | None = None
) -> AsyncIterator[Start]:
    """Starts real sender processes (tests/scheduler/sender_process.py) at this pace; any
    still running when the block ends is killed."""
    started: list[asyncio.subprocess.Process] = []

    async def start(database_url: str, api_root: str) -> asyncio.subprocess.Process:
        args = [database_url, api_root, str(speedup)]
        if batch_size:
            args.append(str(batch_size))
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.scheduler.sender_process",
            *args,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.returncode is None:
                process.kill()
                await process.wait()
