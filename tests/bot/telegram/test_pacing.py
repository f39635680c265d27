"""Telegram's limits: our limiter holds them where python-telegram-bot's own does not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram.error import Forbidden, RetryAfter
from telegram.ext import AIORateLimiter, ExtBot

from bot.telegram.limiter import NO_RETRY, ChatRateLimiter, Limits
from tests.fakes.telegram_server import FakeBotApi

# Telegram's limits with shorter periods, so the test takes about a second. The fake forgives
# a third of a period of network jitter at the edge of its window (a busy test machine).
PERIOD = 0.3
SCALED = Limits(per_chat=1, per_chat_period=PERIOD, overall=6, overall_period=PERIOD)


@pytest.fixture
async def strict_api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(
        limits=True,
        per_chat=1,
        per_chat_period=PERIOD,
        overall=6,
        overall_period=PERIOD,
        tolerance=PERIOD / 3,
    ) as fake:
        yield fake


def _bot(api: FakeBotApi, limiter: object) -> ExtBot[object]:
    return ExtBot(
        api.token,
        base_url=api.base_url,
        base_file_url=api.base_file_url,
        rate_limiter=limiter,  # type: ignore[arg-type]
    )


async def test_our_limiter_keeps_per_chat_and_overall_limits(strict_api: FakeBotApi) -> None:
    async with _bot(strict_api, ChatRateLimiter(SCALED, max_retries=0)) as bot:
        sends = [bot.send_message(chat, f"{chat}/{n}") for chat in (1, 2, 3) for n in range(4)]
        sends += [bot.send_message(100 + n, "one each") for n in range(10)]
        await asyncio.gather(*sends)
    assert strict_api.rejected(429) == []
    assert len(strict_api.sent()) == 22
    for chat in (1, 2, 3):  # in order within a chat
        assert [c.params["text"] for c in strict_api.sent(chat)] == [
            f"{chat}/{n}" for n in range(4)
        ]


async def test_ptbs_own_limiter_has_no_per_chat_limit(strict_api: FakeBotApi) -> None:
    limiter = AIORateLimiter(overall_max_rate=30, overall_time_period=1, max_retries=0)
    async with _bot(strict_api, limiter) as bot:
        results = await asyncio.gather(
            *(bot.send_message(1, f"n{n}") for n in range(3)), return_exceptions=True
        )
    assert any(isinstance(result, RetryAfter) for result in results)


async def test_a_429_pauses_the_chat_and_is_retried(api: FakeBotApi) -> None:
    api.fail_next("sendMessage", 429, retry_after=1)
    limiter = ChatRateLimiter(Limits(per_chat=100, overall=100), max_retries=2)
    async with _bot(api, limiter) as bot:
        await bot.send_message(9, "after the pause")
        api.fail_next("sendMessage", 429, retry_after=3)
        with pytest.raises(RetryAfter):  # the outbox messenger asks for no retries
            await bot.send_message(9, "x", rate_limit_args=NO_RETRY)
    assert [c.status for c in api.calls_of("sendMessage")] == [429, 200, 429]
    assert limiter.waits_for_retry_after == 1


async def test_the_fake_answers_403_for_blocked_chats_and_records_everything(
    api: FakeBotApi,
) -> None:
    api.blocked.add(13)
    async with _bot(api, None) as bot:
        with pytest.raises(Forbidden):
            await bot.send_message(13, "hello?")
        await bot.send_message(14, "hello")
    assert [c.status for c in api.calls_of("sendMessage")] == [403, 200]
    assert all(c.at > 0 for c in api.calls)
    assert api.calls_of("getMe")
