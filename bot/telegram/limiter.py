"""Pacing for Bot API calls: Telegram's per-chat and overall message limits, and 429 retries.

python-telegram-bot's own AIORateLimiter throttles the whole bot (30/s) and groups (20/min) but
has no limit per private chat, and a 429 halts every request of the bot. This one holds one
message per second per private chat as well, and a 429 pauses only the chat it came for.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

JSONish = bool | dict[str, Any] | list[dict[str, Any]]
# "Do not retry a 429": PTB drops a falsy rate_limit_args on its way here, so not 0.
NO_RETRY = -1
MAX_LIMITERS = 2048


@dataclass(frozen=True, slots=True)
class Limits:
    """Telegram's published limits; tests shrink the periods to run quickly."""

    per_chat: float = 1  # messages ...
    per_chat_period: float = 1.0  # ... per this many seconds, in one private chat
    per_group: float = 20
    per_group_period: float = 60.0
    overall: float = 30
    overall_period: float = 1.0


def retry_after_seconds(exc: RetryAfter) -> float:
    """The wait a 429 asks for, in seconds (PTB gives int or timedelta depending on settings)."""
    value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class _Window:
    """At most `limit` sends in any `period` seconds: the times of the last sends, kept sorted."""

    __slots__ = ("limit", "period", "times")

    def __init__(self, limit: float, period: float) -> None:
        self.limit = max(1, int(limit))
        self.period = period
        self.times: deque[float] = deque(maxlen=self.limit)

    def ready_at(self, now: float) -> float:
        """The earliest moment from `now` at which one more send keeps the limit."""
        if len(self.times) < self.limit:
            return max(now, self.times[-1] if self.times else now)
        return max(now, self.times[0] + self.period, self.times[-1])

    def take(self, at: float) -> None:
        self.times.append(at)


class ChatRateLimiter(BaseRateLimiter[int]):
    """Holds the per-chat, per-group and overall rates; retries a 429 after `retry_after`.

    Each message reserves its moment: first its chat's next free slot (one chat's wait does not
    hold up other chats), then the bot's overall slot, both as sliding windows of sends, so no
    window of `period` seconds ever holds more than the limit. Messages of one chat keep their
    order. `rate_limit_args` on a call is the number of 429 retries for that call (NO_RETRY:
    raise at once, which the outbox messenger wants so the sender can reschedule).
    """

    def __init__(self, limits: Limits | None = None, max_retries: int = 3) -> None:
        self.limits = limits or Limits()
        self.max_retries = max_retries
        self._overall = _Window(self.limits.overall, self.limits.overall_period)
        self._chats: dict[int | str, _Window] = {}
        self._turns: dict[int | str, asyncio.Lock] = {}
        self._paused_until: dict[int | str, float] = {}
        self.waits_for_retry_after = 0  # how often a 429 made us wait (for tests and metrics)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def _window(self, chat: int | str) -> _Window:
        window = self._chats.get(chat)
        if window is None:
            if len(self._chats) > MAX_LIMITERS:
                self._forget_idle()
            is_group = isinstance(chat, str) or chat < 0
            window = _Window(
                self.limits.per_group if is_group else self.limits.per_chat,
                self.limits.per_group_period if is_group else self.limits.per_chat_period,
            )
            self._chats[chat] = window
        return window

    def _forget_idle(self) -> None:
        now = asyncio.get_running_loop().time()
        for chat, window in list(self._chats.items()):
            turn = self._turns.get(chat)
            idle = not window.times or window.times[-1] + window.period < now
            if idle and (turn is None or not turn.locked()):
                del self._chats[chat]
                self._turns.pop(chat, None)
                self._paused_until.pop(chat, None)

    async def _reserve(self, chat: int | str) -> None:
        """Wait for this chat's turn and a free moment, and claim it."""
        loop = asyncio.get_running_loop()
        turn = self._turns.setdefault(chat, asyncio.Lock())
        async with turn:  # FIFO: a chat's messages go in the order they were asked for
            window = self._window(chat)
            while True:
                now = loop.time()
                ready = max(window.ready_at(now), self._paused_until.get(chat, now))
                if ready <= now:
                    break
                await asyncio.sleep(ready - now)
            at = self._overall.ready_at(loop.time())
            self._overall.take(at)
            window.take(at)
            delay = at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONish]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONish:
        raw_chat = data.get("chat_id")
        if raw_chat is None:  # answerCallbackQuery, getMe, setMyCommands ...: not messages
            return await callback(*args, **kwargs)
        chat: int | str
        try:
            chat = int(raw_chat)
        except (TypeError, ValueError):
            chat = str(raw_chat)
        retries = self.max_retries if rate_limit_args is None else max(0, rate_limit_args)
        attempt = 0
        while True:
            await self._reserve(chat)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt >= retries:
                    raise
                attempt += 1
                wait = retry_after_seconds(exc) + 0.1
                self.waits_for_retry_after += 1
                log.info("Telegram asked to slow down in %s; retrying in %.1fs", endpoint, wait)
                self._paused_until[chat] = asyncio.get_running_loop().time() + wait
