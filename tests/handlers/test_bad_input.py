"""Odd input (unknown commands, huge, empty, emoji, control characters) is answered harmlessly."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from domain.enums import Platform
from domain.models import ChatIdentity, User
from handlers.onboarding import OnboardingState
from tests.handlers.engine_support import (
    conversation,
    errors,
    everyone_speaks_english,
    forge,
    number_of,
    pressed,
    said,
    snapshot,
    texts,
)

TOO_LONG = "That message is too long for me"
ONLY_TEXT = "I can read text messages and buttons. Send /menu to see what I can do."
NOT_UNDERSTOOD = "Sorry, I didn't understand that. Here is what I can do:"
MAIN_MENU = "Main menu — what would you like to do?"


@pytest.fixture
async def english(demo_app: App) -> App:
    await everyone_speaks_english(demo_app)
    return demo_app


async def answered_and_unchanged(app: App, ref: str, text: str, expected: str) -> None:
    await app.engine.handle(said(ref, "/menu", language_hint="en"))
    before = await snapshot(app)
    replies = await app.engine.handle(said(ref, text, language_hint="en"))
    assert expected in texts(replies)
    assert await snapshot(app) == before
    assert errors(app) == 0


@pytest.mark.parametrize("ref", ["S201", "stranger-9"])
async def test_an_unknown_command_is_named_and_changes_nothing(english: App, ref: str) -> None:
    await answered_and_unchanged(
        english,
        ref,
        "/frobnicate now",
        "I don't know the command /frobnicate. Send /help to see what I can do.",
    )


@pytest.mark.parametrize("ref", ["T101", "stranger-9"])
async def test_a_5000_character_message_is_refused_and_changes_nothing(
    english: App, ref: str
) -> None:
    await answered_and_unchanged(english, ref, "长" * 5000, TOO_LONG)


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\x00\x01"])
async def test_an_empty_message_is_answered_and_changes_nothing(english: App, text: str) -> None:
    await answered_and_unchanged(english, "M001", text, ONLY_TEXT)


async def test_emoji_from_a_person_get_the_main_menu(english: App) -> None:
    before = await snapshot(english)
    replies = await english.engine.handle(said("S201", "😀🎉👍🏽 🇨🇳"))
    assert NOT_UNDERSTOOD in texts(replies)
    assert any(reply.choices for reply in replies)
    after = await snapshot(english)
    del before["conversation_states"], after["conversation_states"]
    assert after == before


async def test_emoji_from_a_stranger_get_the_invitation_prompt(english: App) -> None:
    replies = await english.engine.handle(said("stranger-9", "👋😀", language_hint="en"))
    assert "invitation code" in texts(replies)


@pytest.mark.parametrize(
    "text", ["hel\x00lo", "\ud83d", "a\ud800b\udfffc", "\x00" * 100, "\u202e\u200b\ufeff"]
)
async def test_nul_bytes_and_lone_surrogates_are_answered_without_an_error(
    english: App, text: str
) -> None:
    for ref in ("R001", "stranger-9"):
        replies = await english.engine.handle(said(ref, text, language_hint="en"))
        assert replies
        assert errors(english) == 0


async def test_a_name_with_control_characters_is_stored_clean(english: App) -> None:
    newcomer = "newcomer-nul"
    await english.engine.handle(said(newcomer, "NEWP-ART2", language_hint="en"))
    greeted = await english.engine.handle(said(newcomer, "Zhou\x00 Xiao\ud800hong"))
    assert "Welcome aboard" in texts(greeted)
    async with english.db.transaction() as session:
        name = await session.scalar(
            select(User.name)
            .join(ChatIdentity, ChatIdentity.user_id == User.id)
            .where(ChatIdentity.external_id == newcomer)
        )
    assert name is not None
    assert "\x00" not in name
    assert name.encode("utf-8")  # no lone surrogate left


async def test_a_display_name_with_control_characters_can_join(english: App) -> None:
    """Platforms hand over display names as people typed them; the database takes clean text."""
    newcomer = "newcomer-display"
    replies = await english.engine.handle(
        said(newcomer, "NEWP-ART2", language_hint="en", display_name="Zhou\x00\ud83d Xiaohong")
    )
    assert "Welcome aboard, Zhou" in texts(replies)  # named after the display name
    assert errors(english) == 0


@pytest.mark.parametrize("ref", ["nul\x00ref", "\ud800", "x" * 129, ""])
async def test_a_message_from_an_unusable_sender_reference_is_dropped(
    english: App, ref: str
) -> None:
    before = await snapshot(english)
    assert await english.engine.handle(said(ref, "/menu")) == []
    assert await snapshot(english) == before


@pytest.mark.parametrize(
    "text",
    ["／menu", "／ＭＥＮＵ", "/MENU", "/menu@partnerbot_bot", "  /menu  ", "／menu＠partnerbot"],
)
async def test_commands_in_full_width_upper_case_or_addressed_to_the_bot(
    english: App, text: str
) -> None:
    assert MAIN_MENU in texts(await english.engine.handle(said("S201", text)))


async def test_lang_addressed_to_the_bot_with_an_argument(english: App) -> None:
    replies = await english.engine.handle(said("S201", "/lang@partnerbot_bot zh_CN"))
    assert "中文" in texts(replies)


async def test_numbered_choices_on_the_console(english: App) -> None:
    menu = await english.engine.handle(said("T101", "/menu"))
    labels = [choice.label for choice in menu[0].choices]
    number = number_of(menu, "My network")
    assert "Your network" in texts(await english.engine.handle(said("T101", number)))
    await english.engine.handle(said("T101", "/menu"))
    full_width = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert "Your network" in texts(await english.engine.handle(said("T101", full_width)))
    for out_of_range in ("0", str(len(labels) + 1), "99999999999999999999"):
        await english.engine.handle(said("T101", "/menu"))
        assert NOT_UNDERSTOOD in texts(await english.engine.handle(said("T101", out_of_range)))


async def test_label_choices_on_the_console(english: App) -> None:
    await english.engine.handle(said("S201", "/menu"))
    profile = await english.engine.handle(said("S201", "  my PROFILE "))
    assert "Role: distributor staff" in texts(profile)


async def test_numbers_do_not_stand_for_buttons_on_telegram(english: App) -> None:
    """Telegram shows real buttons, so a typed number is just text there."""
    await english.engine.handle(said("tg-1", "hi", platform=Platform.TELEGRAM, language_hint="en"))
    found = await conversation(english, "tg-1", Platform.TELEGRAM)
    assert found is not None
    assert found.state == OnboardingState.AWAITING_CODE.value
    replies = await english.engine.handle(
        said("tg-1", "1", platform=Platform.TELEGRAM, language_hint="en")
    )
    assert "invitation code" in texts(replies)
    assert "中文" not in texts(replies)  # "1" did not press the language button


@pytest.mark.parametrize("digit", ["²", "𐩀", "①", "٣"])
async def test_digits_that_int_refuses_do_not_break_a_numbered_menu(
    english: App, digit: str
) -> None:
    await english.engine.handle(said("T101", "/menu"))
    replies = await english.engine.handle(said("T101", digit))
    assert replies
    assert errors(english) == 0


@pytest.mark.parametrize("arg", ["²", "𐩀", "٣", "-1", "99999999999999", "1e3", " 1"])
async def test_odd_page_and_card_numbers_in_a_stamped_payload_do_not_fail(
    english: App, arg: str
) -> None:
    await english.engine.handle(said("M001", "/menu"))
    for action in ("network.list", "network.card"):
        payload = await forge(english, "M001", f"{action}:{arg}")
        assert await english.engine.handle(pressed("M001", payload))
        assert errors(english) == 0
