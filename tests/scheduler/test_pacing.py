"""The pacer never lets a window hold more than the platform allows, overall or per chat."""

from __future__ import annotations

import itertools

import pytest

from scheduler.pacing import TELEGRAM_LIMITS, Pacer, PlatformLimits, VirtualTimer
from tests.scheduler.support import busiest_window


async def test_telegram_pace_overall_and_per_chat() -> None:
    timer = VirtualTimer()
    pacer = Pacer(TELEGRAM_LIMITS, timer)
    starts: dict[str, list[float]] = {}
    for n in range(600):
        chat = f"chat-{n % 40}"
        await pacer.acquire(chat)
        starts.setdefault(chat, []).append(timer.monotonic())
    everything = [at for chat_starts in starts.values() for at in chat_starts]
    assert busiest_window(everything, 1.0) <= 30
    for chat_starts in starts.values():
        assert all(b - a >= 1.0 for a, b in itertools.pairwise(chat_starts))
    rate = len(everything) / (max(everything) - min(everything))
    assert rate >= 0.95 * TELEGRAM_LIMITS.cap


async def test_retry_after_pauses_the_platform() -> None:
    timer = VirtualTimer()
    pacer = Pacer(TELEGRAM_LIMITS, timer)
    await pacer.acquire("a")
    pacer.pause(5)
    await pacer.acquire("b")
    assert timer.monotonic() >= 5


def test_limits_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="positive"):
        PlatformLimits(max_per_window=0)
    with pytest.raises(ValueError, match="negative"):
        PlatformLimits(chat_interval=-1)


def test_scaled_limits_keep_the_shape() -> None:
    fast = TELEGRAM_LIMITS.scaled(10)
    assert fast.max_per_window == 30
    assert fast.window == pytest.approx(0.1)
    assert fast.cap == pytest.approx(300)
