"""The outbox sender's Telegram messenger: delivered, retry-after, unreachable, failed."""

from __future__ import annotations

from bot.bootstrap import App
from bot.telegram.messenger import TelegramMessenger
from domain.delivery import DeliveryOutcome, OutgoingMessage, Recipient
from domain.enums import Platform
from tests.bot.telegram.conftest import NEWCOMER, Bot, Person, identity


def _recipient(user_id: int = 0) -> Recipient:
    ref = str(NEWCOMER.id)
    return Recipient(user_id, Platform.TELEGRAM, ref, ref, "zh_CN")


async def _joined(polling: Bot) -> Person:
    xiaohong = Person(polling, NEWCOMER)
    await xiaohong.say("/start")
    await xiaohong.say("NEWP-ART2")
    return xiaohong


async def test_a_notice_with_buttons_is_delivered_and_its_buttons_work(
    polling: Bot, demo_app: App
) -> None:
    xiaohong = await _joined(polling)
    messenger = TelegramMessenger(polling.adapter)
    notice = OutgoingMessage(
        "test", "通知：请查看菜单", (("打开菜单", "n:core.menu"), ("帮助", "n:core.help"))
    )
    delivery = await messenger.send(_recipient(), notice)
    assert delivery.outcome is DeliveryOutcome.DELIVERED
    shown = xiaohong.last()
    assert shown.text == "通知：请查看菜单"
    assert all(len(b.data.encode()) <= 64 and "core" not in b.data for b in shown.flat_buttons)
    # core.menu accepts no presses from notices: the engine says the menu has expired.
    assert "过期" in await xiaohong.press("打开菜单")


async def test_a_notice_with_a_chart_and_a_spreadsheet(polling: Bot, demo_app: App) -> None:
    xiaohong = await _joined(polling)
    messenger = TelegramMessenger(polling.adapter)
    chart = OutgoingMessage("chart", "本月销量", image=b"\x89PNG...", image_name="sales.png")
    sheet = OutgoingMessage(
        "sheet", "订单明细", document=b"PK\x03\x04", document_name="orders.xlsx"
    )
    assert (await messenger.send(_recipient(), chart)).outcome is DeliveryOutcome.DELIVERED
    assert (await messenger.send(_recipient(), sheet)).outcome is DeliveryOutcome.DELIVERED
    photo, document = xiaohong.chat[-2:]
    assert photo.photo == ("sales.png", b"\x89PNG...")
    assert photo.text == "本月销量"
    assert document.document == ("orders.xlsx", b"PK\x03\x04")


async def test_outcomes_for_429_403_and_a_vanished_chat(polling: Bot, demo_app: App) -> None:
    await _joined(polling)
    api = polling.api
    messenger = TelegramMessenger(polling.adapter)
    notice = OutgoingMessage("test", "hello")
    api.fail_next("sendMessage", 429, retry_after=7)
    delivery = await messenger.send(_recipient(), notice)
    assert delivery.outcome is DeliveryOutcome.RETRY_AFTER
    assert delivery.retry_after == 7
    api.fail_next("sendMessage", 500, times=4)  # network errors are retried three times
    assert (await messenger.send(_recipient(), notice)).outcome is DeliveryOutcome.FAILED
    api.fail_next("sendMessage", 400, description="Bad Request: chat not found")
    assert (await messenger.send(_recipient(), notice)).outcome is DeliveryOutcome.UNREACHABLE
    api.blocked.add(NEWCOMER.id)
    assert (await messenger.send(_recipient(), notice)).outcome is DeliveryOutcome.UNREACHABLE
    found = await identity(demo_app, NEWCOMER)
    assert found is not None
    assert found.unreachable_since is not None
