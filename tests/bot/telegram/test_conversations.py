"""What a person notices in a Telegram chat: buttons, stale menus, languages, files, limits."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from telegram import Update

from bot.bootstrap import App
from bot.telegram.adapter import TelegramAdapter, translate
from bot.telegram.render import MAX_TEXT, telegram_length
from domain.clock import FixedClock
from domain.models import ButtonMenu, ChatIdentity, InboundReceipt
from handlers.types import Choice, Location, Reply
from tests.bot.telegram.conftest import (
    NEWCOMER,
    STRANGER,
    Bot,
    Person,
    identity,
    running,
)
from tests.fakes.telegram_server import BOT_USERNAME, FakeBotApi, TelegramUser

EXPIRED_ZH = "这个菜单已过期"


async def _join(person: Person) -> None:
    await person.say("/start")
    assert "欢迎加入" in await person.say("NEWP-ART2")


async def _count(app: App, model: type) -> int:
    async with app.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_stale_button_says_so_and_changes_nothing(
    polling: Bot, demo_app: App, clock: FixedClock
) -> None:
    xiaohong = Person(polling, NEWCOMER)
    await _join(xiaohong)
    old_menu = xiaohong.last()
    clock.advance(timedelta(hours=25))  # yesterday's conversation has lapsed
    answer = await xiaohong.press_on(old_menu, "我的资料")
    assert EXPIRED_ZH in answer
    assert xiaohong.last().message_id == old_menu.message_id  # the dead menu says so itself
    assert len(polling.api.calls_of("answerCallbackQuery")) == 1


async def test_forged_or_foreign_callback_data_is_an_expired_menu(
    polling: Bot, demo_app: App
) -> None:
    xiaohong = Person(polling, NEWCOMER)
    await _join(xiaohong)
    menu = xiaohong.last()
    xiaohong_menu_buttons = menu.flat_buttons
    eve = Person(polling, STRANGER)
    for data in ("nonsense", "x" * 64, f"{xiaohong_menu_buttons[0].data[:-1]}99", "::", ""):
        await polling.deliver(polling.api.callback_update(STRANGER, 1, data))
    # Xiaohong's own button, pressed by someone else in the same chat: bound to her.
    await polling.deliver(
        polling.api.callback_update(
            STRANGER, menu.message_id, menu.flat_buttons[0].data, chat_id=NEWCOMER.id
        )
    )
    assert len(polling.api.calls_of("answerCallbackQuery")) == 6
    assert sum("expired" in m.text for m in eve.chat) == 5
    assert menu.edits == 0  # her menu stays as it was; the stranger is told in a new message
    assert "expired" in xiaohong.last().text
    assert await identity(demo_app, STRANGER) is None


async def test_the_same_update_twice_has_one_effect(polling: Bot, demo_app: App) -> None:
    xiaohong = Person(polling, NEWCOMER)
    await xiaohong.say("/start")
    code = polling.api.text_update(NEWCOMER, "NEWP-ART2")
    first = Update.de_json(code, polling.adapter.bot)
    again = Update.de_json(code, polling.adapter.bot)
    # A webhook retry or a restart delivers it again, here and in a second process at once.
    other = TelegramAdapter(demo_app, polling.adapter.config)
    await other.bot.initialize()
    try:
        settled = await asyncio.gather(
            polling.adapter.submit(first), other.submit(again), polling.adapter.submit(again)
        )
    finally:
        await other.bot.shutdown()
    assert settled == [True, True, True]
    welcomes = [m for m in xiaohong.chat if "欢迎加入" in m.text]
    assert len(welcomes) == 1
    assert not any("已经加入" in m.text for m in xiaohong.chat)
    assert await _count(demo_app, InboundReceipt) >= 2  # /start and the code, once each


async def test_updates_of_one_chat_are_handled_in_order(polling: Bot, demo_app: App) -> None:
    api = polling.api
    updates = [
        api.text_update(NEWCOMER, "/start"),
        api.text_update(NEWCOMER, "NEWP-ART2"),
        api.text_update(NEWCOMER, "/profile"),
        api.text_update(STRANGER, "/help"),
    ]
    parsed = [Update.de_json(u, polling.adapter.bot) for u in updates]
    await asyncio.gather(*(polling.adapter.submit(u) for u in parsed))
    texts = [m.text for m in Person(polling, NEWCOMER).chat]
    assert "邀请码" in texts[0]
    assert "欢迎加入" in texts[1]
    assert "小红" in texts[2]
    assert "经销商员工" in texts[2]


async def test_shutdown_finishes_updates_in_flight(demo_app: App, api: FakeBotApi) -> None:
    async with running(demo_app, api, "polling") as bot:
        people = [TelegramUser(5000 + n, f"P{n}", language_code="en") for n in range(5)]
        for person in people:
            bot.adapter.submit(Update.de_json(api.text_update(person, "/help"), bot.adapter.bot))
    for person in people:
        assert api.chat(person.id), f"no answer to {person.first_name} before shutdown"


async def test_commands_in_both_languages_and_per_chat_by_role(polling: Bot) -> None:
    api = polling.api
    guest = {"start", "menu", "help", "lang", "cancel"}
    assert guest <= set(api.commands_for(language_code="zh"))
    assert guest <= set(api.commands_for(language_code="en"))
    assert "profile" not in api.commands_for(language_code="en")
    xiaohong = Person(polling, NEWCOMER)
    await _join(xiaohong)
    scope = {"type": "chat", "chat_id": NEWCOMER.id}
    mine = api.commands_for(scope)
    assert "profile" in mine
    assert "network" not in mine  # a tier-2 has no network of its own
    descriptions = {c["command"]: c["description"] for c in api.commands[_key(scope)]}
    assert descriptions["menu"] == "显示主菜单"
    await xiaohong.say("/lang en")
    descriptions = {c["command"]: c["description"] for c in api.commands[_key(scope)]}
    assert descriptions["menu"] == "show the main menu"


def _key(scope: dict[str, object]) -> tuple[str, str]:
    import json

    return json.dumps(scope, sort_keys=True), ""


async def test_commands_addressed_to_this_bot_work_and_to_others_are_ignored(
    polling: Bot,
) -> None:
    eve = Person(polling, STRANGER)
    assert "invitation code" in await eve.say(f"/help@{BOT_USERNAME}")
    assert await eve.say("/help@some_other_bot") == ""


async def test_names_are_sent_as_plain_text(polling: Bot, demo_app: App) -> None:
    tricky = TelegramUser(4242, "<b>*Bob_*</b> [x](y)", language_code="en")
    bob = Person(polling, tricky)
    await bob.say("/start")
    welcome = await bob.say("NEWP-ART2")
    assert "<b>*Bob_*</b> [x](y)" in welcome
    assert all("parse_mode" not in call.params for call in polling.api.calls)


async def test_a_long_reply_is_split_on_line_ends_with_the_buttons_last(
    polling: Bot, demo_app: App
) -> None:
    lines = [f"第 {n} 行 · line {n} 🍵" for n in range(900)]
    reply = Reply("\n".join(lines), (Choice("OK", "core.menu"),))
    await polling.adapter.deliver(NEWCOMER.id, str(NEWCOMER.id), [reply])
    sent = Person(polling, NEWCOMER).chat
    assert len(sent) > 1
    assert all(telegram_length(m.text) <= MAX_TEXT for m in sent)
    assert "\n".join(m.text for m in sent) == "\n".join(lines)
    assert [bool(m.buttons) for m in sent] == [False] * (len(sent) - 1) + [True]
    assert all(len(b.data.encode()) <= 64 for m in sent for b in m.flat_buttons)


async def test_a_reply_hit_by_429_is_sent_after_retry_after(polling: Bot) -> None:
    polling.api.fail_next("sendMessage", 429, retry_after=1)
    eve = Person(polling, STRANGER)
    answer = await eve.say("/help")
    assert "invitation code" in answer
    assert len(polling.api.rejected(429)) == 1
    assert len(eve.chat) == 1  # sent once, not twice
    assert polling.adapter.limiter.waits_for_retry_after == 1


async def test_a_user_who_blocked_the_bot_is_marked_and_comes_back(
    polling: Bot, demo_app: App
) -> None:
    xiaohong = Person(polling, NEWCOMER)
    await _join(xiaohong)
    polling.api.blocked.add(NEWCOMER.id)
    await xiaohong.say("/menu")  # the reply meets a 403
    found = await identity(demo_app, NEWCOMER)
    assert found is not None
    assert found.unreachable_since is not None
    # Telegram also says so with a my_chat_member update; unblocking brings her back.
    polling.api.blocked.discard(NEWCOMER.id)
    await polling.deliver(polling.api.member_update(NEWCOMER, "member"))
    found = await identity(demo_app, NEWCOMER)
    assert found is not None
    assert found.unreachable_since is None
    await polling.deliver(polling.api.member_update(NEWCOMER, "kicked"))
    found = await identity(demo_app, NEWCOMER)
    assert found is not None
    assert found.unreachable_since is not None
    await xiaohong.say("/menu")  # writing to us again means she can be reached
    found = await identity(demo_app, NEWCOMER)
    assert found is not None
    assert found.unreachable_since is None


async def test_photos_and_documents_are_fetched_within_the_size_limit(
    polling: Bot, demo_app: App
) -> None:
    api = polling.api
    eve = Person(polling, STRANGER)
    small = api.add_file(b"\x89PNG small shelf photo", "photos/shelf.jpg")
    await polling.deliver(api.photo_update(STRANGER, small, caption="shelf"))
    assert len(api.calls_of("getFile")) == 1
    huge = api.add_file(b"x", "documents/huge.xlsx", declared_size=50 * 1024 * 1024)
    await polling.deliver(api.document_update(STRANGER, huge, file_name="huge.xlsx"))
    assert len(api.calls_of("getFile")) == 1  # not even asked for
    assert "too large" in eve.last().text
    # A file that claims to be small but is not is refused after the download.
    liar = api.add_file(b"y" * (11 * 1024 * 1024), "documents/liar.pdf", declared_size=10)
    await polling.deliver(api.document_update(STRANGER, liar, file_name="liar.pdf"))
    assert "too large" in eve.last().text


def test_locations_contacts_and_captions_become_incoming(api: FakeBotApi) -> None:
    user = TelegramUser(77, "Li", language_code="en-US")
    event = translate(Update.de_json(api.location_update(user, 23.1, 113.3)), "b", 10)
    assert event is not None
    assert event.incoming.location == Location(23.1, 113.3)
    assert event.incoming.language_hint == "en-US"
    event = translate(Update.de_json(api.contact_update(user, "+8613800000000")), "b", 10)
    assert event is not None
    assert event.incoming.text == "+8613800000000"
    file_id = api.add_file(b"abc", "photos/a.jpg")
    event = translate(Update.de_json(api.photo_update(user, file_id, caption="货架")), "b", 10)
    assert event is not None
    assert event.incoming.text == "货架"
    assert event.files
    event = translate(Update.de_json(api.photo_update(user, file_id, size=11)), "b", 10)
    assert event is not None
    assert event.oversized
    assert not event.files


async def test_the_token_never_reaches_the_logs(
    demo_app: App, api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running(demo_app, api, "polling") as bot:
        api.fail_next("sendMessage", 502, times=2)  # network errors are retried and logged
        await Person(bot, STRANGER).say("/help")
    assert "network error" in caplog.text
    assert api.token not in caplog.text
    assert api.token.split(":")[1] not in caplog.text


async def test_button_menus_are_bound_to_chat_and_person(polling: Bot, demo_app: App) -> None:
    xiaohong = Person(polling, NEWCOMER)
    await _join(xiaohong)
    async with demo_app.db.transaction() as session:
        menus = list(await session.scalars(select(ButtonMenu)))
        identities = await session.scalar(select(func.count()).select_from(ChatIdentity))
    assert menus
    assert all(m.chat_ref == str(NEWCOMER.id) for m in menus)
    assert all(m.user_ref == str(NEWCOMER.id) for m in menus)
    assert identities
