"""What a manager types while composing: times, codes and texts, forgiving and strict at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.bootstrap import App
from bot.console import ConsoleChat, render
from domain.enums import Platform
from handlers.broadcasts import parse_send_time
from handlers.types import Attachment, Incoming
from tests.handlers.test_broadcasts_transcript import outbox

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI)


def test_send_times_people_write() -> None:
    assert parse_send_time("17:30", NOW, "Asia/Shanghai") == NOW.replace(hour=17, minute=30)
    assert parse_send_time("９:１５", NOW, "Asia/Shanghai") == NOW.replace(
        day=4, hour=9, minute=15
    )  # full-width, and already past today: tomorrow
    assert parse_send_time("12-24 09:00", NOW, "Asia/Shanghai") == NOW.replace(day=24, hour=9)
    assert parse_send_time("2026年12月5日 8点", NOW, "Asia/Shanghai") == NOW.replace(day=5, hour=8)
    for refused in ("", "soon", "25:00", "2026-02-30 09:00", "2026-12-02 09:00", "2027-06-01 9:00"):
        assert parse_send_time(refused, NOW, "Asia/Shanghai") is None, refused


@given(st.text(max_size=40))
def test_any_text_is_a_future_time_within_90_days_or_refused(text: str) -> None:
    when = parse_send_time(text, NOW, "Asia/Shanghai")
    if when is not None:
        assert NOW < when <= NOW + timedelta(days=90)


async def test_bad_input_while_composing_gets_an_answer_and_sends_nothing(
    chat: ConsoleChat, demo_app: App
) -> None:
    await chat.switch("manager")
    await chat.say("/lang en")
    await chat.say("/broadcast")
    await chat.say("One text for everyone")
    assert "at most 3000" in await chat.say("很长" * 2000)
    await chat.say("新品上市")
    assert "Please send an image or a document" in await chat.say("what?")
    await chat.say("No attachment")
    assert "distributor codes" in await chat.say("Distributor codes")
    assert "I don't know these codes: D9999" in await chat.say("D2001，d9999")
    assert "It reaches 1 people" in await chat.say("d2001")
    await chat.say("Done")
    await chat.say("Send at a time")
    assert "next 90 days" in await chat.say("2020-01-01 09:00")
    assert "Cancelled" in await chat.say("/cancel")
    assert await outbox(demo_app) == []


async def test_an_image_goes_with_the_announcement_and_opens_on_request(
    chat: ConsoleChat, demo_app: App
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    await chat.switch("manager")
    await chat.say("/lang en")
    await chat.say("/broadcast")
    await chat.say("One text for everyone")
    await chat.say("新品海报见附件。")
    replies = await demo_app.engine.handle(
        Incoming(
            Platform.CONSOLE,
            "M001",
            "M001",
            attachments=(Attachment("image", "poster.png", png, "image/png"),),
        )
    )
    assert "It reaches 5 people" in replies[0].text
    await chat.say("Distributor codes")
    await chat.say("D2001")
    await chat.say("Done")
    shown = await demo_app.engine.handle(Incoming(Platform.CONSOLE, "M001", "M001", text="1"))
    preview = render(shown)
    assert "📎 poster.png" in preview
    assert "[1] 查看附件" in preview  # as the Chinese reader will see it
    assert "(image: poster.png)" not in preview  # the notice arrives without the file
    open_button = next(c.payload for r in shown for c in r.choices if c.label == "查看附件")
    opened = await demo_app.engine.handle(
        Incoming(Platform.CONSOLE, "M001", "M001", payload=open_button)
    )
    assert opened[0].image is not None
    assert "1 people will get it" in await chat.say("Send now")

    notice = await chat.switch("S201")
    assert "📎 poster.png" in notice
    assert "[1] 查看附件" in notice
    opened = await demo_app.engine.handle(Incoming(Platform.CONSOLE, "S201", "S201", text="1"))
    assert opened[0].image is not None
    assert opened[0].image.content == png
