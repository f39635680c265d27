"""What an operator sees of the outbox, and the one repair they may make: retry dead letters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import OutboxMessage
from domain.outbox import OutboxStatus

WAITING = (OutboxStatus.QUEUED.value, OutboxStatus.FAILED.value)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    dedupe_key: str
    kind: str
    attempts: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class OutboxOverview:
    counts: Mapping[OutboxStatus, int]
    oldest_waiting: datetime | None  # created_at of the oldest queued or failed message
    next_due: datetime | None  # the earliest not_before among them
    recent_dead: tuple[DeadLetter, ...]

    @property
    def waiting(self) -> int:
        return self.counts[OutboxStatus.QUEUED] + self.counts[OutboxStatus.FAILED]


async def outbox_overview(session: AsyncSession, *, dead_shown: int = 10) -> OutboxOverview:
    rows = await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    found = {status: count for status, count in rows}
    counts = {status: int(found.get(status.value, 0)) for status in OutboxStatus}
    oldest, next_due = (
        await session.execute(
            select(func.min(OutboxMessage.created_at), func.min(OutboxMessage.not_before)).where(
                OutboxMessage.status.in_(WAITING)
            )
        )
    ).one()
    dead = await session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.dedupe_key,
            OutboxMessage.kind,
            OutboxMessage.attempts,
            OutboxMessage.last_error,
        )
        .where(OutboxMessage.status == OutboxStatus.DEAD.value)
        .order_by(OutboxMessage.id.desc())
        .limit(dead_shown)
    )
    return OutboxOverview(counts, oldest, next_due, tuple(DeadLetter(*row) for row in dead))


async def retry_dead_letters(session: AsyncSession, now: datetime) -> int:
    """Queue every dead letter again with fresh attempts; returns how many."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.DEAD.value)
        .values(status=OutboxStatus.QUEUED.value, attempts=0, not_before=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
