"""The durable outbox: notices enqueued in the same transaction as the change that caused them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.db import dialect_of
from domain.models import OutboxMessage

NOTICE_PREFIX = "n:"


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"  # will be retried
    DEAD = "dead"  # gave up; an operator may retry
    SHOWN = "shown"  # read in the console demo
    EXPIRED = "expired"  # its moment passed before it could go out (a greeting held too long)
    CANCELLED = "cancelled"  # withdrawn before it went out (a broadcast stopped by its author)


@dataclass(frozen=True, slots=True)
class Notice:
    """What to send one person; the text is already in their language."""

    user_id: int
    dedupe_key: str
    kind: str
    text: str
    choices: Sequence[tuple[str, str]] = ()
    urgent: bool = False

    def body(self) -> dict[str, Any]:
        return {"text": self.text, "choices": [list(choice) for choice in self.choices]}


async def enqueue(
    session: AsyncSession,
    notice: Notice,
    now: datetime,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Queue a notice once per dedupe key; returns False when the key was already queued."""
    insert = pg_insert if dialect_of(session) == "postgresql" else sqlite_insert
    statement = (
        insert(OutboxMessage)
        .values(
            dedupe_key=notice.dedupe_key,
            user_id=notice.user_id,
            kind=notice.kind,
            body=notice.body(),
            urgent=notice.urgent,
            status=OutboxStatus.QUEUED.value,
            attempts=0,
            not_before=not_before or now,
            expires_at=expires_at,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def enqueue_many(
    session: AsyncSession,
    notices: Sequence[Notice],
    now: datetime,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> int:
    """Queue many notices in batched statements (a greeting to every partner); returns how many
    were new. Keys already queued are skipped, as with `enqueue`."""
    if not notices:
        return 0
    insert = pg_insert if dialect_of(session) == "postgresql" else sqlite_insert
    statement = (
        insert(OutboxMessage)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    )
    rows = [
        {
            "dedupe_key": notice.dedupe_key,
            "user_id": notice.user_id,
            "kind": notice.kind,
            "body": notice.body(),
            "urgent": notice.urgent,
            "status": OutboxStatus.QUEUED.value,
            "attempts": 0,
            "not_before": not_before or now,
            "expires_at": expires_at,
            "created_at": now,
        }
        for notice in notices
    ]
    result = await session.execute(statement, rows)
    return len(result.all())


async def queued_for(session: AsyncSession, user_id: int) -> Sequence[OutboxMessage]:
    rows = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.user_id == user_id, OutboxMessage.status == OutboxStatus.QUEUED.value)
        .order_by(OutboxMessage.id)
    )
    return list(rows)
