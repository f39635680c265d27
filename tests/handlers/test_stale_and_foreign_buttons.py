"""Old, foreign or made-up buttons answer "this menu has expired" and change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.bootstrap import App
from domain.clock import FixedClock
from domain.enums import Platform
from handlers.types import Incoming
from tests.handlers.engine_support import (
    EXPIRED_EN,
    conversation,
    errors,
    everyone_speaks_english,
    forge,
    number_of,
    payload_for,
    pressed,
    said,
    snapshot,
    texts,
)


@pytest.fixture
async def english(demo_app: App) -> App:
    await everyone_speaks_english(demo_app)
    return demo_app


async def press_changes_nothing(app: App, ref: str, payload: str) -> None:
    before = await snapshot(app)
    replies = await app.engine.handle(pressed(ref, payload, language_hint="en"))
    assert texts(replies) == EXPIRED_EN, payload
    assert not any(reply.choices for reply in replies)
    assert await snapshot(app) == before, payload


async def test_a_menu_left_past_the_conversation_expiry_answers_expired(
    english: App, clock: FixedClock
) -> None:
    profile = payload_for(await english.engine.handle(said("T101", "/menu")), "profile.show")
    clock.advance(timedelta(hours=25))
    await english.engine.handle(said("T101", "hello"))  # the stale conversation starts afresh
    await press_changes_nothing(english, "T101", profile)


async def test_a_button_from_before_a_state_change_answers_expired(english: App) -> None:
    stranger = "stranger-stale"
    first = await english.engine.handle(said(stranger, "hi", language_hint="en"))
    await english.engine.handle(said(stranger, "/start", language_hint="en"))
    await press_changes_nothing(english, stranger, payload_for(first, "core.set_language"))


async def test_another_persons_button_answers_expired(english: App) -> None:
    theirs = payload_for(await english.engine.handle(said("S201", "/menu")), "profile.show")
    await english.engine.handle(said("T101", "/menu"))
    if (await forge(english, "T101", "x")).split(":")[0] == theirs.split(":")[0]:
        pytest.skip("the two conversations drew the same 16-bit secret")  # 1 in 65,536
    await press_changes_nothing(english, "T101", theirs)


async def test_a_button_sent_to_another_chat_answers_expired(english: App) -> None:
    """The same person's conversation in another chat (a group) has a state of its own."""
    private = payload_for(await english.engine.handle(said("T101", "/menu")), "profile.show")
    group = "group-7"
    await english.engine.handle(Incoming(Platform.CONSOLE, "T101", group, text="/menu"))
    in_group = await conversation(english, "T101", chat_ref=group)
    assert in_group is not None
    if in_group.secret == private.split(":")[0]:
        pytest.skip("the two conversations drew the same 16-bit secret")  # 1 in 65,536
    replies = await english.engine.handle(
        Incoming(Platform.CONSOLE, "T101", group, payload=private)
    )
    assert texts(replies) == EXPIRED_EN


GARBAGE = [
    ":",
    "::",
    ":::",
    "abc",
    "menu",
    "core.menu",
    "n:",
    "n:core.menu",  # a real action, but not one that notices may carry
    "n:profile.show:1",
    "n:nonsense.action:1",
    "x" * 5000,
    "\x00",
    "\ud800",
    "😀:😀:😀",
    "0000:0:core.menu",
    "ffff:-1:core.menu",
]


async def test_garbage_payloads_answer_expired(english: App) -> None:
    await english.engine.handle(said("S201", "/menu"))
    for garbage in GARBAGE:
        await press_changes_nothing(english, "S201", garbage)
    assert errors(english) == 0


async def test_forged_payloads_with_a_valid_stamp_but_no_such_button_answer_expired(
    english: App,
) -> None:
    await english.engine.handle(said("M001", "/menu"))
    for inner in (
        "",
        "nonsense.action",
        "nonsense.action:1",
        "core",
        "core.",
        "profile.show\x00",
        "core.menu:\ud800",
    ):
        await press_changes_nothing(english, "M001", await forge(english, "M001", inner))


async def test_forged_payloads_with_a_wrong_version_or_secret_answer_expired(
    english: App,
) -> None:
    await english.engine.handle(said("R001", "/menu"))
    good = await forge(english, "R001", "profile.show")
    secret, version, inner = good.split(":", 2)
    for forged in (
        f"{secret}:{int(version) + 1}:{inner}",
        f"{secret}:{int(version) - 1}:{inner}",
        f"{secret}:0{version}:{inner}",
        f"{secret}: {version}:{inner}",
        f"{secret.upper()}x:{version}:{inner}",
        f":{version}:{inner}",
        f"{secret}::{inner}",
    ):
        await press_changes_nothing(english, "R001", forged)
    # ... while the genuine stamp works.
    assert "Role: field rep" in texts(await english.engine.handle(pressed("R001", good)))


async def test_an_expired_answer_keeps_the_numbered_options_on_screen_working(
    english: App,
) -> None:
    number = number_of(await english.engine.handle(said("T101", "/menu")), "My network")
    await english.engine.handle(pressed("T101", "garbage"))
    assert "Your network" in texts(await english.engine.handle(said("T101", number)))
