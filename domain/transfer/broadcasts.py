"""Broadcast delivery reports as a spreadsheet: one row per recipient of every broadcast.

Export only (`partnerbot export broadcasts FILE`): broadcasts are composed in chat. Times are in
the business's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.broadcasts import ALL_LOCALES, BroadcastStatus, recipient_rows, refresh_states
from domain.models import Broadcast
from domain.tabular import CellValue
from domain.transfer.base import (
    Column,
    ReportKind,
    code,
    text,
)

COLUMNS = (
    "sent_at",
    "status",
    "text",
    "requires_ack",
    "user_code",
    "user_name",
    "distributor_code",
    "distributor_name",
    "province",
    "city",
    "platform",
    "locale",
    "delivery",
    "acknowledged_at",
    "nudges",
)


class Broadcasts(ReportKind):
    name = "broadcasts"
    columns: ClassVar[tuple[Column, ...]] = (
        Column("broadcast", (), code()),
        *(Column(name, (), text(500)) for name in COLUMNS),
    )

    async def report(
        self, session: AsyncSession, timezone: str, now: datetime | None
    ) -> list[Mapping[str, CellValue]]:
        """`now`: bring running broadcasts' delivery states up to date first."""
        zone = ZoneInfo(timezone)

        def local(when: datetime | None) -> str:
            return when.astimezone(zone).strftime("%Y-%m-%d %H:%M") if when else ""

        broadcasts = {
            b.id: b
            for b in await session.scalars(
                select(Broadcast).where(Broadcast.status != BroadcastStatus.DRAFT.value)
            )
        }
        for broadcast in broadcasts.values():
            if now is not None and broadcast.status == BroadcastStatus.SENDING.value:
                await refresh_states(session, broadcast.id, now)
        found: list[Mapping[str, CellValue]] = []
        for row in await recipient_rows(session):
            sent = broadcasts.get(row.broadcast_id)
            if sent is None:
                continue
            texts = sent.texts
            wording = texts.get(row.locale) or texts.get(ALL_LOCALES) or ""
            found.append(
                {
                    "broadcast": str(row.broadcast_id),
                    "sent_at": local(sent.started_at or sent.send_at),
                    "status": sent.status,
                    "text": " ".join(str(wording).split())[:500],
                    "requires_ack": "yes" if sent.requires_ack else "no",
                    "user_code": row.user_code,
                    "user_name": row.user_name,
                    "distributor_code": row.distributor_code or "",
                    "distributor_name": row.distributor_name or "",
                    "province": row.province or "",
                    "city": row.city or "",
                    "platform": row.platform or "",
                    "locale": row.locale,
                    "delivery": row.state,
                    "acknowledged_at": local(row.acknowledged_at),
                    "nudges": row.nudges,
                }
            )
        return found
