"""Inbound bookkeeping for webhooks: one effect per platform message, and who wrote when."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import cast

from sqlalchemy import Executable, Table, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.db import dialect_of
from domain.enums import Platform
from domain.models import ChatContact, InboundReceipt
from domain.reachability import mark_reachable, mark_unreachable

MAX_KEY = 128


@dataclass(frozen=True, slots=True)
class Contact:
    """What we know of a chat account's last inbound contact."""

    last_inbound_at: datetime
    unsubscribed_at: datetime | None

    @property
    def subscribed(self) -> bool:
        return self.unsubscribed_at is None


async def claim_message(session: AsyncSession, platform: Platform, key: str, now: datetime) -> bool:
    """Record a platform message as handled; False when it was already claimed (a retry).

    Made first in the transaction that handles the message, so it commits with the effect or
    not at all: a retry arriving while the first delivery is still being handled, in this
    process or another, waits for it (SQLite's write lock, PostgreSQL's unique index) and then
    finds the claim.
    """
    if len(key) > MAX_KEY:  # a digest keeps long keys distinct where cutting them would not
        key = "sha256:" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()
    values = {"b_platform": platform.value, "b_key": key, "b_now": now}
    result = await session.execute(_claim(dialect_of(session) == "postgresql"), values)
    return bool(result.rowcount)  # type: ignore[attr-defined]


@cache
def _claim(postgres: bool) -> Executable:
    insert = pg_insert if postgres else sqlite_insert
    receipts = cast(
        Table, InboundReceipt.__table__
    )  # Core: the ORM would take it for a bulk insert
    return (
        insert(receipts)
        .values(
            platform=bindparam("b_platform"),
            key=bindparam("b_key"),
            received_at=bindparam("b_now", type_=receipts.c.received_at.type),
        )
        .on_conflict_do_nothing(index_elements=["platform", "key"])
    )


async def note_contact(
    session: AsyncSession,
    platform: Platform,
    external_id: str,
    now: datetime,
    *,
    unfollowed: bool = False,
) -> None:
    """Remember that this account just wrote (it is reachable again: on WeChat, writing
    reopens the reply window), or that it unfollowed (unreachable until it follows again)."""
    left = now if unfollowed else None
    insert = pg_insert if dialect_of(session) == "postgresql" else sqlite_insert
    statement = (
        insert(ChatContact)
        .values(
            platform=platform.value,
            external_id=external_id,
            last_inbound_at=now,
            unsubscribed_at=left,
        )
        .on_conflict_do_update(
            index_elements=["platform", "external_id"],
            set_={"last_inbound_at": now, "unsubscribed_at": left},
        )
    )
    await session.execute(statement)
    if unfollowed:
        await mark_unreachable(session, platform, external_id, now)
    else:
        await mark_reachable(session, platform, external_id)


async def contact_of(session: AsyncSession, platform: Platform, external_id: str) -> Contact | None:
    row = await session.scalar(
        select(ChatContact).where(
            ChatContact.platform == platform.value, ChatContact.external_id == external_id
        )
    )
    return Contact(row.last_inbound_at, row.unsubscribed_at) if row else None
