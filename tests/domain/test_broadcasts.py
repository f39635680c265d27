"""Broadcast rules on both databases: segments, planning once, cancelling, acknowledgement,
re-nudges only to those who have not acknowledged, and the report."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from domain.broadcasts import (
    ALL_LOCALES,
    BroadcastStatus,
    Draft,
    Outcome,
    Segment,
    acknowledge,
    broadcast_report,
    cancel_broadcast,
    count_audience,
    create_broadcast,
    due_scheduled,
    renudge,
    send_broadcast,
    set_bodies,
)
from domain.clock import FixedClock
from domain.db import Database
from domain.demo import seed_demo_network
from domain.enums import Platform, Role
from domain.models import ChatIdentity, OutboxMessage, User
from domain.outbox import OutboxStatus
from domain.transfer import IMPORTABLE, ImportContext, export_file
from tests.conftest import START

BODIES = {
    "zh_CN": {"text": "价格调整", "choices": [["已阅", "n:broadcasts.ack:0"]]},
    "en": {"text": "Price change", "choices": [["I have read this", "n:broadcasts.ack:0"]]},
}

_KEYS = itertools.count()


async def _seeded(db: Database) -> dict[str, int]:
    clock = FixedClock(START)
    async with db.transaction() as session:
        await seed_demo_network(session, clock, "Asia/Shanghai")
        people = dict((await session.execute(select(User.code, User.id))).all())
        for code in ("S201", "S204", "T101"):
            session.add(
                ChatIdentity(
                    platform=Platform.TELEGRAM.value,
                    external_id=f"tg-{code}",
                    chat_ref=f"tg-{code}",
                    user_id=people[code],
                    display_name=code,
                    bound_at=START + timedelta(minutes=1),
                )
            )
    return people


async def _broadcast(db: Database, people: dict[str, int], segment: Segment, **kw: object) -> int:
    async with db.transaction() as session:
        draft = Draft(
            author_id=people["M001"],
            texts={ALL_LOCALES: "价格调整"},
            segment=segment,
            **kw,  # type: ignore[arg-type]
        )
        broadcast = await create_broadcast(session, draft, f"test:{next(_KEYS)}", START)
        await set_bodies(session, broadcast.id, BODIES, BODIES)
        return broadcast.id


async def test_segments_combine_and_count_by_platform(db: Database) -> None:
    await _seeded(db)
    async with db.transaction() as session:
        everyone = await count_audience(session, Segment())
        # 2 tier-1 staff and 3 tier-2 staff; the demo's console identities are not telegram
        assert sum(everyone.values()) == 5
        assert everyone["telegram"] == 3
        guangdong_tier2 = await count_audience(session, Segment(tiers=(2,), provinces=("广东",)))
        assert sum(guangdong_tier2.values()) == 1  # 张伟 of D2001
        network = await count_audience(session, Segment(networks=("D1002",)))
        assert sum(network.values()) == 2  # 赵敏 (D1002) and Lucy Zhou (D2004)
        rep = await count_audience(session, Segment(reps=("R001",)))
        codes = await count_audience(session, Segment(codes=("D2004", "D2006")))
        assert sum(codes.values()) == 2
        reps_only = await count_audience(session, Segment(roles=(Role.FIELD_REP,)))
        assert sum(reps_only.values()) == 1
        grade = await count_audience(session, Segment(grades=("A",), tiers=(1,)))
        assert sum(grade.values()) == 2
    assert sum(rep.values()) >= 0


async def test_sending_twice_queues_once_and_a_cancel_withdraws_what_waits(db: Database) -> None:
    people = await _seeded(db)
    broadcast_id = await _broadcast(db, people, Segment(), requires_ack=True)
    async with db.transaction() as session:
        first = await send_broadcast(session, broadcast_id, START)
        second = await send_broadcast(session, broadcast_id, START)
    assert first.outcome is Outcome.DONE
    assert first.targeted == 5
    assert first.queued == 5
    assert second.outcome is Outcome.WRONG_STATUS
    async with db.transaction() as session:
        rows = list(await session.scalars(select(OutboxMessage)))
        assert len({row.dedupe_key for row in rows}) == 5
        texts = {row.user_id: row.body["text"] for row in rows}
        assert texts[people["S204"]] == "Price change"
        assert texts[people["S201"]] == "价格调整"
        # one delivered before the cancel
        rows[0].status = OutboxStatus.SENT.value
    async with db.transaction() as session:
        cancelled = await cancel_broadcast(session, broadcast_id, START)
    assert cancelled.outcome is Outcome.DONE
    assert cancelled.withdrawn == 4
    async with db.transaction() as session:
        statuses = sorted(await session.scalars(select(OutboxMessage.status)))
        assert statuses == ["cancelled"] * 4 + ["sent"]
        report = await broadcast_report(session, broadcast_id, START)
    assert report is not None
    assert report.total.delivered == 1
    assert report.total.cancelled == 4


async def test_acknowledgement_and_renudge_reach_only_the_others(db: Database) -> None:
    people = await _seeded(db)
    broadcast_id = await _broadcast(db, people, Segment(), requires_ack=True, max_nudges=1)
    async with db.transaction() as session:
        await send_broadcast(session, broadcast_id, START)
        assert await acknowledge(session, broadcast_id, people["S201"], START) is Outcome.DONE
        assert await acknowledge(session, broadcast_id, people["S201"], START) is Outcome.ALREADY
        assert await acknowledge(session, broadcast_id, people["M001"], START) is (
            Outcome.NOT_RECIPIENT
        )
        nudged = await renudge(session, broadcast_id, START + timedelta(hours=1))
        assert nudged.outcome is Outcome.DONE
        assert nudged.queued == 4
        again = await renudge(session, broadcast_id, START + timedelta(hours=2))
        assert again.outcome is Outcome.NO_NUDGES_LEFT
        nudges = await session.scalars(
            select(OutboxMessage.user_id).where(OutboxMessage.kind == "broadcast.nudge")
        )
        assert people["S201"] not in set(nudges)
        report = await broadcast_report(session, broadcast_id, START)
    assert report is not None
    assert report.total.acknowledged == 1
    assert report.by_region["广东"].targeted == 2  # 陈建国 (D1001) and 张伟 (D2001)


async def test_a_scheduled_broadcast_goes_when_due_and_a_cancelled_one_never(
    db: Database,
) -> None:
    people = await _seeded(db)
    later = START + timedelta(hours=2)
    kept = await _broadcast(db, people, Segment(), send_at=later)
    dropped = await _broadcast(db, people, Segment(codes=("D2001",)), send_at=later)
    async with db.transaction() as session:
        assert await due_scheduled(session, START) == []
        assert (await send_broadcast(session, kept, START)).outcome is Outcome.WRONG_STATUS
        assert (await cancel_broadcast(session, dropped, START)).outcome is Outcome.DONE
        assert await due_scheduled(session, later) == [kept]
        assert (await send_broadcast(session, kept, later)).outcome is Outcome.DONE
        assert (await cancel_broadcast(session, dropped, later)).outcome is Outcome.WRONG_STATUS
        keys = set(await session.scalars(select(OutboxMessage.dedupe_key)))
    assert keys
    assert all(key.startswith(f"broadcast:{kept}:") for key in keys)
    async with db.transaction() as session:
        report = await broadcast_report(session, dropped, later)
    assert report is not None
    assert report.broadcast.status is BroadcastStatus.CANCELLED
    assert report.total.targeted == 0


async def test_the_report_exports_one_row_per_recipient_as_xlsx(
    db: Database, tmp_path: Path
) -> None:
    people = await _seeded(db)
    broadcast_id = await _broadcast(db, people, Segment(provinces=("浙江",)), requires_ack=True)
    async with db.transaction() as session:
        await send_broadcast(session, broadcast_id, START)
        await acknowledge(session, broadcast_id, people["S204"], START + timedelta(hours=1))
    path = tmp_path / "broadcasts.xlsx"
    context = ImportContext(FixedClock(START), "zh_CN", "Asia/Shanghai")
    assert await export_file(db, "broadcasts", path, context) == 2
    workbook = load_workbook(path)
    sheet = workbook.active
    assert sheet is not None
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    by_user = {row[header.index("user_code")]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_user) == {"T102", "S204"}
    lucy = by_user["S204"]
    assert lucy["acknowledged_at"] == "2026-12-03 11:00"
    assert lucy["sent_at"] == "2026-12-03 10:00"
    assert lucy["province"] == "浙江"
    assert lucy["delivery"] == "queued"
    assert "broadcasts" not in IMPORTABLE
