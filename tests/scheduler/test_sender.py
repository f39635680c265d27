"""The outbox sender: delivers, paces, retries, dead-letters, holds for the night, resumes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event, select

from domain.clock import FixedClock
from domain.db import Database
from domain.delivery import Delivery, DeliveryOutcome
from domain.enums import Platform
from domain.models import ChatIdentity
from domain.outbox import Notice, OutboxStatus, enqueue
from scheduler.pacing import TELEGRAM_LIMITS, PlatformLimits, VirtualTimer
from scheduler.quiet import QuietHours
from scheduler.sender import IdentityChoice, OutboxSender, SenderConfig, choose_identity
from tests.scheduler.support import RecordingMessenger, add_person, busiest_window, outbox_rows

# 10:00 in Shanghai: office hours.
ZONE_SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def sender_for(
    db: Database,
    clock: FixedClock,
    *messengers: RecordingMessenger,
    **config: object,
) -> OutboxSender:
    timer = messengers[0].timer if messengers else VirtualTimer()
    return OutboxSender(
        db,
        {messenger.platform: messenger for messenger in messengers},
        clock,
        SenderConfig(**config),  # type: ignore[arg-type]
        timer=timer,
    )


async def queue(
    db: Database, clock: FixedClock, user_id: int, key: str, *, urgent: bool = False
) -> None:
    async with db.transaction() as session:
        await enqueue(
            session,
            Notice(user_id, key, "test", f"text of {key}", (("OK", "n:ok"),), urgent),
            clock.now(),
        )


async def test_delivers_each_message_once_and_records_it(db: Database) -> None:
    clock = FixedClock(MORNING)
    async with db.transaction() as session:
        ann = await add_person(session, clock.now(), "ANN", identities=[(Platform.TELEGRAM, "1")])
    await queue(db, clock, ann.id, "k1")
    await queue(db, clock, ann.id, "k1")  # the same key twice: one row
    messenger = RecordingMessenger()
    report = await sender_for(db, clock, messenger).deliver_all()
    assert report.sent == 1
    assert [m.message.text for m in messenger.sent] == ["text of k1"]
    assert messenger.sent[0].message.choices == (("OK", "n:ok"),)
    [row] = await outbox_rows(db)
    assert row.status == OutboxStatus.SENT
    assert row.sent_at == clock.now()
    assert row.platform == Platform.TELEGRAM
    assert (await sender_for(db, clock, messenger).deliver_all()).sent == 0


async def test_status_is_written_in_batches(db: Database) -> None:
    clock = FixedClock(MORNING)
    async with db.transaction() as session:
        for n in range(120):
            person = await add_person(
                session, clock.now(), f"P{n}", identities=[(Platform.TELEGRAM, str(n))]
            )
            await enqueue(session, Notice(person.id, f"k{n}", "test", "hello"), clock.now())
    commits = 0

    def count(_connection: object) -> None:
        nonlocal commits
        commits += 1

    event.listen(db.engine.sync_engine, "commit", count)
    messenger = RecordingMessenger()
    sender = sender_for(db, clock, messenger, flush_size=50, flush_interval=3600.0)
    report = await sender.deliver_all()
    event.remove(db.engine.sync_engine, "commit", count)
    assert report.sent == 120
    # One load per round and one write per 50 outcomes, not one commit per message.
    assert commits <= 8


async def test_pace_holds_across_many_chats(db: Database) -> None:
    clock = FixedClock(MORNING)
    async with db.transaction() as session:
        for n in range(40):
            person = await add_person(
                session, clock.now(), f"P{n}", identities=[(Platform.TELEGRAM, str(n))]
            )
            for k in range(3):
                await enqueue(session, Notice(person.id, f"k{n}-{k}", "test", "hi"), clock.now())
    messenger = RecordingMessenger()
    report = await sender_for(db, clock, messenger).deliver_all()
    assert report.sent == 120
    assert busiest_window([m.at for m in messenger.sent], TELEGRAM_LIMITS.window) <= 30
    by_chat: dict[str, list[float]] = {}
    for sent in messenger.sent:
        by_chat.setdefault(sent.recipient.chat_ref, []).append(sent.at)
    for starts in by_chat.values():
        assert len(starts) == 3
        assert all(b - a >= 1.0 for a, b in itertools.pairwise(starts))


async def test_retry_after_is_honoured(db: Database) -> None:
    clock = FixedClock(MORNING)
    async with db.transaction() as session:
        ann = await add_person(session, clock.now(), "ANN", identities=[(Platform.TELEGRAM, "1")])
    await queue(db, clock, ann.id, "k1")
    messenger = RecordingMessenger(
        script={"1": [Delivery(DeliveryOutcome.RETRY_AFTER, retry_after=7)]}
    )
    sender = sender_for(db, clock, messenger)
    report = await sender.deliver_due()
    assert report.retried == 1
    [row] = await outbox_rows(db)
    assert row.status == OutboxStatus.QUEUED
    assert row.attempts == 0  # slowing down is not a failure
    assert row.not_before == clock.now() + timedelta(seconds=7)
    assert (await sender.deliver_due()).loaded == 0  # not before its time
    clock.advance(timedelta(seconds=7))
    before = messenger.timer.monotonic()
    assert (await sender.deliver_due()).sent == 1
    assert messenger.sent[0].at >= before  # and the platform's pause was kept too


async def test_failures_back_off_then_dead_letter_with_the_reason(db: Database) -> None:
    clock = FixedClock(MORNING)
    async with db.transaction() as session:
        ann = await add_person(session, clock.now(), "ANN", identities=[(Platform.TELEGRAM, "1")])
    await queue(db, clock, ann.id, "k1")
    messenger = RecordingMessenger(
        script={"1": [Delivery(DeliveryOutcome.FAILED, reason="Bad Gateway")] * 3}
    )
    sender = sender_for(db, clock, messenger, max_attempts=3)
    waits = []
    for _ in range(3):
        await sender.deliver_due()
        [row] = await outbox_rows(db)
        waits.append(row.not_before - clock.now())
        clock.set(row.not_before)
    assert waits[:2] == [timedelta(seconds=30), timedelta(seconds=60)]
    [row] = await outbox_rows(db)
    assert row.status == OutboxStatus.DEAD
    assert row.attempts == 3
    assert row.last_error == "failed: Bad Gateway"
    assert messenger.sent == []


async def test_a_messenger_that_raises_is_a_failure_not_a_crash(db: Database) -> None:
    clock = FixedClock(MORNING)

    class Broken(RecordingMessenger):
        async def send(self, recipient: object, message: object) -> Delivery:
            raise ConnectionResetError("peer went away")

    async with db.transaction() as session:
        ann = await add_person(session, clock.now(), "ANN", identities=[(Platform.TELEGRAM, "1")])
    await queue(db, clock, ann.id, "k1")
    report = await sender_for(db, clock, Broken()).deliver_due()
    assert report.failed == 1
    [row] = await outbox_rows(db)
    assert row.status == OutboxStatus.FAILED
    assert "peer went away" in (row.last_error or "")


async def test_unreachable_falls_back_to_another_account_then_dead_letters(db: Database) -> None:
    clock = FixedClock(MORNING)
    async with db.transaction() as session:
        ann = await add_person(
            session,
            clock.now(),
            "ANN",
            identities=[(Platform.WECOM, "ann-wecom"), (Platform.TELEGRAM, "1")],
        )
        bob = await add_person(session, clock.now(), "BOB", identities=[(Platform.TELEGRAM, "2")])
    # Ann bound Telegram last, so Telegram is tried first.
    async with db.transaction() as session:
        wecom = await session.scalar(
            select(ChatIdentity).where(ChatIdentity.external_id == "ann-wecom")
        )
        assert wecom is not None
        wecom.bound_at = clock.now() - timedelta(days=1)
    await queue(db, clock, ann.id, "to-ann")
    await queue(db, clock, bob.id, "to-bob")
    blocked = Delivery(DeliveryOutcome.UNREACHABLE, reason="bot was blocked by the user")
    telegram = RecordingMessenger(script={"1": [blocked], "2": [blocked]})
    wecom_messenger = RecordingMessenger(Platform.WECOM, timer=telegram.timer)
    sender = sender_for(db, clock, telegram, wecom_messenger)
    await sender.deliver_all()
    assert wecom_messenger.texts_to("ann-wecom") == ["text of to-ann"]
    rows = {row.dedupe_key: row for row in await outbox_rows(db)}
    assert rows["to-ann"].status == OutboxStatus.SENT
    assert rows["to-ann"].platform == Platform.WECOM
    assert rows["to-bob"].status == OutboxStatus.DEAD
    assert "unreachable" in (rows["to-bob"].last_error or "")
    async with db.transaction() as session:
        marked = set(
            await session.scalars(
                select(ChatIdentity.external_id).where(ChatIdentity.unreachable_since.is_not(None))
            )
        )
    assert marked == {"1", "2"}


async def test_console_people_are_left_for_the_console(db: Database) -> None:
    clock = FixedClock(MORNING)
    async with db.transaction() as session:
        demo = await add_person(session, clock.now(), "DEMO", identities=[(Platform.CONSOLE, "D")])
    await queue(db, clock, demo.id, "k1")
    report = await sender_for(db, clock, RecordingMessenger()).deliver_all()
    assert report.loaded == 0
    [row] = await outbox_rows(db)
    assert row.status == OutboxStatus.QUEUED


async def test_quiet_hours_hold_the_ordinary_and_let_the_urgent_through(db: Database) -> None:
    clock = FixedClock(datetime(2026, 12, 3, 23, 0, tzinfo=ZONE_SHANGHAI))
    async with db.transaction() as session:
        ann = await add_person(session, clock.now(), "ANN", identities=[(Platform.TELEGRAM, "1")])
        ben = await add_person(
            session,
            clock.now(),
            "BEN",
            timezone="Europe/Berlin",
            identities=[(Platform.TELEGRAM, "2")],
        )
    await queue(db, clock, ann.id, "ordinary")
    await queue(db, clock, ann.id, "approval", urgent=True)
    await queue(db, clock, ben.id, "berlin-afternoon")
    messenger = RecordingMessenger()
    sender = sender_for(db, clock, messenger, quiet_hours=QuietHours.parse("21:00-08:00"))
    await sender.deliver_all()
    assert messenger.texts_to("1") == ["text of approval"]
    assert messenger.texts_to("2") == ["text of berlin-afternoon"]
    rows = {row.dedupe_key: row for row in await outbox_rows(db)}
    assert rows["ordinary"].status == OutboxStatus.QUEUED
    assert rows["ordinary"].not_before == datetime(2026, 12, 4, 8, 0, tzinfo=ZONE_SHANGHAI)
    clock.set(datetime(2026, 12, 4, 8, 0, tzinfo=ZONE_SHANGHAI))
    await sender.deliver_all()
    assert messenger.texts_to("1") == ["text of approval", "text of ordinary"]


async def test_expired_messages_are_not_sent_late(db: Database) -> None:
    clock = FixedClock(MORNING)
    async with db.transaction() as session:
        ann = await add_person(session, clock.now(), "ANN", identities=[(Platform.TELEGRAM, "1")])
        await enqueue(
            session,
            Notice(ann.id, "late", "greeting", "happy yesterday"),
            clock.now(),
            expires_at=clock.now() - timedelta(minutes=1),
        )
    messenger = RecordingMessenger()
    await sender_for(db, clock, messenger).deliver_all()
    assert messenger.sent == []
    [row] = await outbox_rows(db)
    assert row.status == OutboxStatus.EXPIRED


def test_the_most_recently_bound_reachable_identity_is_chosen() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    old = IdentityChoice(1, Platform.TELEGRAM, "a", "a", at, None)
    new = IdentityChoice(2, Platform.WECOM, "b", "b", at + timedelta(days=1), None)
    gone = IdentityChoice(3, Platform.TELEGRAM, "c", "c", at + timedelta(days=2), at)
    console = IdentityChoice(4, Platform.CONSOLE, "d", "d", at + timedelta(days=3), None)
    choices = [old, new, gone, console]
    assert choose_identity(choices, {Platform.TELEGRAM, Platform.WECOM}) == new
    assert choose_identity(choices, {Platform.TELEGRAM}) == old
    assert choose_identity([gone], {Platform.TELEGRAM}) is None


async def test_a_spent_daily_quota_waits_for_local_midnight(db: Database) -> None:
    clock = FixedClock(MORNING)
    async with db.transaction() as session:
        for n in range(3):
            person = await add_person(
                session, clock.now(), f"P{n}", identities=[(Platform.WECOM, f"w{n}")]
            )
            await enqueue(session, Notice(person.id, f"k{n}", "test", "hi"), clock.now())
    wecom = RecordingMessenger(Platform.WECOM)
    limits = {Platform.WECOM: PlatformLimits(max_per_window=20, chat_interval=2.0, per_day=2)}
    await sender_for(db, clock, wecom, limits=limits).deliver_all()
    assert len(wecom.sent) == 2
    [waiting] = [row for row in await outbox_rows(db) if row.status == OutboxStatus.QUEUED]
    assert waiting.not_before == datetime(2026, 12, 4, 0, 0, tzinfo=ZONE_SHANGHAI)
    assert waiting.last_error == "daily quota spent"
    clock.set(datetime(2026, 12, 4, 9, 0, tzinfo=ZONE_SHANGHAI))
    await sender_for(db, clock, wecom, limits=limits).deliver_all()  # a restarted sender
    assert len(wecom.sent) == 3
