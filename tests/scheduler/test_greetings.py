"""Holiday greetings: once per person and year, on the right day, at nine, in their language."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.bootstrap import App
from domain.clock import FixedClock
from domain.delivery import OutgoingMessage
from domain.enums import Platform
from domain.greetings import Occasion
from domain.models import GreetingText
from domain.outbox import OutboxStatus
from domain.transfer import ImportContext, Problem, import_file
from domain.transfer.base import CellProblem
from domain.transfer.greetings import greeting_text
from scheduler.greetings import greeting_sweep, preview_year
from scheduler.quiet import QuietHours
from scheduler.sender import OutboxSender, SenderConfig
from scheduler.sweeps import SchedulerSettings, Sweep, SweepContext, run_sweep
from tests.scheduler.support import RecordingMessenger, bind_telegram_to_demo_people, outbox_rows

SHANGHAI = ZoneInfo("Asia/Shanghai")
GREETINGS = Sweep("greetings", greeting_sweep, every=timedelta(minutes=15))
# Staff of the demo network's active distributors: T101, T102, S201, S204 (English), S206.
GREETED = {"T101", "T102", "S201", "S204", "S206"}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


class Harness:
    def __init__(self, app: App, settings: SchedulerSettings | None = None) -> None:
        assert isinstance(app.clock, FixedClock)
        self.clock = app.clock
        self.settings = settings or SchedulerSettings()
        self.context = SweepContext(app.db, app.clock, app.translator, self.settings)
        self.messenger = RecordingMessenger()
        self.sender = OutboxSender(
            app.db,
            {Platform.TELEGRAM: self.messenger},
            app.clock,
            SenderConfig(quiet_hours=self.settings.quiet_hours),
            timer=self.messenger.timer,
        )

    async def sweep_and_send(self) -> int:
        queued = await run_sweep(self.context, GREETINGS)
        await self.sender.deliver_all()
        return queued

    def received(self) -> dict[str, list[OutgoingMessage]]:
        found: dict[str, list[OutgoingMessage]] = {}
        for sent in self.messenger.sent:
            found.setdefault(sent.recipient.chat_ref, []).append(sent.message)
        return found


@pytest.mark.parametrize(
    ("day", "occasion", "chinese", "english"),
    [
        (date(2026, 2, 16), Occasion.SPRING_FESTIVAL, "除夕快乐", "Spring Festival Eve"),
        (date(2027, 2, 5), Occasion.SPRING_FESTIVAL, "除夕快乐", "Spring Festival Eve"),
        (date(2026, 9, 25), Occasion.MID_AUTUMN, "中秋快乐", "Mid-Autumn Festival"),
        (date(2027, 9, 15), Occasion.MID_AUTUMN, "中秋快乐", "Mid-Autumn Festival"),
    ],
)
async def test_a_greeting_goes_out_once_at_nine_on_the_day(
    demo_app: App, day: date, occasion: Occasion, chinese: str, english: str
) -> None:
    await bind_telegram_to_demo_people(demo_app.db, demo_app.clock)
    harness = Harness(demo_app)
    harness.clock.set(at(day - timedelta(days=1), 12))
    assert await harness.sweep_and_send() == 0  # the day before: nothing

    # Just after midnight on the day: queued for nine, nothing sent in the night.
    harness.clock.set(at(day, 0, 5))
    assert await harness.sweep_and_send() == len(GREETED)
    while harness.clock.now() < at(day, 8, 50):
        harness.clock.advance(timedelta(minutes=15))
        assert await harness.sweep_and_send() == 0  # a sweep run again queues nothing new
        assert harness.messenger.sent == []

    harness.clock.set(at(day, 9, 0))
    assert await harness.sweep_and_send() == 0
    received = harness.received()
    assert set(received) == GREETED
    assert all(len(messages) == 1 for messages in received.values())
    assert chinese in received["S201"][0].text
    assert "张伟" in received["S201"][0].text
    assert "深圳鹏程商行" in received["S201"][0].text
    assert english in received["S204"][0].text  # Lucy Zhou reads English
    assert "Lucy Zhou" in received["S204"][0].text

    harness.clock.set(at(day, 20, 45))
    assert await harness.sweep_and_send() == 0
    assert len(harness.messenger.sent) == len(GREETED)
    rows = await outbox_rows(demo_app.db)
    assert {row.dedupe_key.rsplit(":", 1)[0] for row in rows} == {
        f"greeting:{occasion.value}:{day.year}"
    }


async def test_a_greeting_waits_for_the_end_of_configured_quiet_hours(demo_app: App) -> None:
    await bind_telegram_to_demo_people(demo_app.db, demo_app.clock)
    harness = Harness(demo_app, SchedulerSettings(quiet_hours=QuietHours.parse("21:00-10:30")))
    day = date(2027, 9, 15)
    harness.clock.set(at(day, 9, 0))
    assert await harness.sweep_and_send() == len(GREETED)
    assert harness.messenger.sent == []  # nine is still quiet here
    harness.clock.set(at(day, 10, 30))
    await harness.sweep_and_send()
    assert set(harness.received()) == GREETED


async def test_a_missed_day_is_not_greeted_late(demo_app: App) -> None:
    await bind_telegram_to_demo_people(demo_app.db, demo_app.clock)
    harness = Harness(demo_app)
    day = date(2027, 2, 5)
    harness.clock.set(at(day, 21, 30))  # down all day; quiet hours have begun
    assert await harness.sweep_and_send() == 0
    harness.clock.set(at(day, 20, 0))
    assert await run_sweep(harness.context, GREETINGS) == len(GREETED)  # queued at 20:00 ...
    harness.clock.set(at(day + timedelta(days=1), 8, 0))  # ... but the sender was down
    await harness.sender.deliver_all()
    assert harness.messenger.sent == []
    assert {row.status for row in await outbox_rows(demo_app.db)} == {OutboxStatus.EXPIRED}


async def test_partners_are_greeted_on_their_anniversary(demo_app: App) -> None:
    await bind_telegram_to_demo_people(demo_app.db, demo_app.clock)
    harness = Harness(demo_app)
    harness.clock.set(at(date(2027, 4, 12), 9, 0))  # 深圳鹏程商行 joined on 2021-04-12
    assert await harness.sweep_and_send() == 1
    [message] = harness.received()["S201"]
    assert "6" in message.text
    assert "深圳鹏程商行" in message.text


async def test_imported_words_replace_the_catalogs(demo_app: App, tmp_path: Path) -> None:
    await bind_telegram_to_demo_people(demo_app.db, demo_app.clock)
    path = tmp_path / "greetings.csv"
    path.write_text(
        "节日,中文,英文\n中秋,{name}您好：{distributor}中秋团圆！,\n",
        encoding="utf-8",
    )
    context = ImportContext(demo_app.clock, "zh_CN", "Asia/Shanghai")
    result = await import_file(demo_app.db, "greetings", path, context)
    assert result.written
    assert result.updated == 1
    harness = Harness(demo_app)
    harness.clock.set(at(date(2026, 9, 25), 9, 0))
    await harness.sweep_and_send()
    received = harness.received()
    assert received["S201"][0].text == "张伟您好：深圳鹏程商行中秋团圆！"
    assert "Mid-Autumn" in received["S204"][0].text  # English was left blank: catalog words


async def test_bad_greeting_files_change_nothing(demo_app: App, tmp_path: Path) -> None:
    path = tmp_path / "greetings.csv"
    path.write_text(
        "occasion,text_zh_CN,text_en\n"
        "mid_autumn,{name}中秋快乐,Happy {nmae}!\n"
        "halloween,不过,no\n"
        "lantern,{name,fine\n",
        encoding="utf-8",
    )
    context = ImportContext(demo_app.clock, "zh_CN", "Asia/Shanghai")
    result = await import_file(demo_app.db, "greetings", path, context)
    assert not result.written
    assert [(error.row, error.problem) for error in result.errors] == [
        (2, Problem.UNKNOWN_PLACEHOLDER),
        (3, Problem.INVALID_OCCASION),
        (4, Problem.UNMATCHED_BRACE),
    ]
    async with demo_app.db.transaction() as session:
        assert list(await session.scalars(select(GreetingText))) == []


@given(st.text(max_size=60))
def test_any_greeting_cell_is_refused_clearly_or_renders(cell: str) -> None:
    refused = (Problem.UNMATCHED_BRACE, Problem.UNKNOWN_PLACEHOLDER, Problem.CONTROL_CHARACTERS)
    try:
        words = greeting_text(cell)
    except CellProblem as problem:
        why = problem.problem
    else:
        why = None
        if isinstance(words, str):
            words.format(name="张伟", distributor="深圳鹏程商行", years=6)
    assert why is None or why in refused


async def test_preview_lists_the_year(demo_app: App) -> None:
    async with demo_app.db.transaction() as session:
        planned = await preview_year(session, 2027, SchedulerSettings())
    festivals = [plan for plan in planned if plan.occasion is not Occasion.ANNIVERSARY]
    assert [(plan.occasion, plan.day) for plan in festivals][:2] == [
        (Occasion.NEW_YEAR, date(2027, 1, 1)),
        (Occasion.SPRING_FESTIVAL, date(2027, 2, 5)),
    ]
    assert all(plan.send_at.time() == time(9, 0) for plan in planned)
    assert all(plan.recipients == len(GREETED) for plan in festivals)
    anniversaries = [plan for plan in planned if plan.occasion is Occasion.ANNIVERSARY]
    assert len(anniversaries) == 5
