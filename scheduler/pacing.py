"""Pacing: never faster than a platform allows, overall and per chat, and a pause when told.

A pacer admits a send only when it keeps every window of `window` seconds at no more than
`max_per_window` sends and the same chat at least `chat_interval` apart. `margin` is added to
both, so that the few milliseconds between our clock and the platform's receipt never tip a
window over the limit. Sends are also spread evenly (one every (window + margin) /
max_per_window seconds) rather than let out in bursts: a burst reaches the platform smeared by
network and server jitter, and the smear of one burst can meet the next inside one window.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from domain.enums import Platform


@dataclass(frozen=True, slots=True)
class PlatformLimits:
    max_per_window: int = 30
    window: float = 1.0
    chat_interval: float = 1.0
    margin: float = 0.04
    concurrency: int = 16  # sends in flight at once (network latency hides behind these)
    per_day: int | None = None  # account quota per local day; None: unmetered

    def __post_init__(self) -> None:
        if self.max_per_window < 1 or self.window <= 0 or self.concurrency < 1:
            raise ValueError("limits need a positive rate, window and concurrency")
        if self.chat_interval < 0 or self.margin < 0:
            raise ValueError("intervals cannot be negative")
        if self.per_day is not None and self.per_day < 1:
            raise ValueError("a daily quota must be positive")

    @property
    def spacing(self) -> float:
        """The least time between two sends: the window's sends spread evenly over it."""
        return (self.window + self.margin) / self.max_per_window

    @property
    def cap(self) -> float:
        """The platform's own limit in messages per second (without our margin)."""
        return self.max_per_window / self.window

    def scaled(self, factor: float) -> PlatformLimits:
        """The same shape `factor` times faster: lets tests run a realistic pace quickly."""
        return PlatformLimits(
            max_per_window=self.max_per_window,
            window=self.window / factor,
            chat_interval=self.chat_interval / factor,
            margin=self.margin / factor,
            concurrency=self.concurrency,
            per_day=self.per_day,
        )


# Telegram: about 30 messages a second per bot, one a second per chat.
TELEGRAM_LIMITS = PlatformLimits(max_per_window=30, window=1.0, chat_interval=1.0)
# WeChat meters per account and per day rather than per second; these are conservative and
# configurable (PARTNERBOT_WECHAT_MP_PER_SECOND, PARTNERBOT_WECHAT_MP_PER_DAY, WECOM_*).
WECHAT_MP_LIMITS = PlatformLimits(max_per_window=20, window=1.0, chat_interval=1.0)
# WeCom drops an application's messages beyond 30 a minute to the same member.
WECOM_LIMITS = PlatformLimits(max_per_window=20, window=1.0, chat_interval=2.0)

DEFAULT_LIMITS: dict[Platform, PlatformLimits] = {
    Platform.TELEGRAM: TELEGRAM_LIMITS,
    Platform.WECHAT_MP: WECHAT_MP_LIMITS,
    Platform.WECOM: WECOM_LIMITS,
}


class Timer(Protocol):
    """Monotonic seconds and a way to wait; the benchmark and tests pass a virtual one."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class LoopTimer:
    def monotonic(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class VirtualTimer:
    """Time that passes only when someone sleeps: a simulation of pacing without the waiting.

    Exact for one sender working one send at a time (concurrency 1); with more, sleeps add up
    and the simulated rate is a lower bound.
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


class Pacer:
    """Admits the sends of one platform; every admitted send is recorded at its start."""

    def __init__(self, limits: PlatformLimits, timer: Timer) -> None:
        self.limits = limits
        self.timer = timer
        self._starts: deque[float] = deque(maxlen=limits.max_per_window)
        self._chat_last: dict[str, float] = {}
        self._paused_until = 0.0

    def earliest(self, chat: str) -> float:
        """The first moment a send to `chat` would be admitted."""
        limits = self.limits
        ready = self._paused_until
        if self._starts:
            ready = max(ready, self._starts[-1] + limits.spacing)
        if len(self._starts) == limits.max_per_window:
            ready = max(ready, self._starts[0] + limits.window + limits.margin)
        last = self._chat_last.get(chat)
        if last is not None:
            ready = max(ready, last + limits.chat_interval + limits.margin)
        return ready

    async def acquire(self, chat: str) -> None:
        """Wait until a send to `chat` keeps every limit, then count it as started."""
        while True:
            now = self.timer.monotonic()
            ready = self.earliest(chat)
            if ready <= now:
                self._starts.append(now)
                self._chat_last[chat] = now
                if len(self._chat_last) > 50_000:
                    self._forget_quiet_chats(now)
                return
            await self.timer.sleep(ready - now)

    def pause(self, seconds: float) -> None:
        """The platform said "retry after": nothing more goes out until then."""
        self._paused_until = max(self._paused_until, self.timer.monotonic() + seconds)

    def _forget_quiet_chats(self, now: float) -> None:
        horizon = now - self.limits.chat_interval - self.limits.margin
        self._chat_last = {chat: at for chat, at in self._chat_last.items() if at > horizon}
