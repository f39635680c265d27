"""Who can no longer be reached on a chat platform (blocked the bot), and who is back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import cast

from sqlalchemy import Executable, Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import Platform, Role
from domain.models import ChatIdentity, Distributor, User


@dataclass(frozen=True, slots=True)
class UnreachablePerson:
    user_id: int
    name: str
    role: Role
    distributor_name: str | None
    platform: Platform
    since: datetime


@dataclass(frozen=True, slots=True)
class AccountStanding:
    """Who a bound chat account is now, and whether our messages reach it."""

    role: Role
    locale: str
    unreachable: bool


@cache
def _standing_query() -> Executable:
    """Built once: building a statement costs more than SQLite's answer to it."""
    return (
        select(User.role, User.locale, ChatIdentity.unreachable_since)
        .join(ChatIdentity, ChatIdentity.user_id == User.id)
        .where(
            ChatIdentity.platform == bindparam("platform"),
            ChatIdentity.external_id == bindparam("external_id"),
            User.active.is_(True),
        )
    )


async def account_standing(
    session: AsyncSession, platform: Platform, external_id: str
) -> AccountStanding | None:
    """The active user behind a chat account (one query), or None for a stranger."""
    where = {"platform": platform.value, "external_id": external_id}
    row = (await session.execute(_standing_query(), where)).first()
    return AccountStanding(Role(row[0]), row[1], row[2] is not None) if row else None


async def mark_unreachable(
    session: AsyncSession, platform: Platform, external_id: str, now: datetime
) -> bool:
    """Mark the account unreachable from now (kept if already marked); True if newly marked."""
    result = await session.execute(
        update(ChatIdentity)
        .where(
            ChatIdentity.platform == platform.value,
            ChatIdentity.external_id == external_id,
            ChatIdentity.unreachable_since.is_(None),
        )
        .values(unreachable_since=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@cache
def _back_again() -> Executable:
    identities = cast(Table, ChatIdentity.__table__)  # Core: no ORM bulk update by key
    return (
        update(identities)
        .where(
            identities.c.platform == bindparam("b_platform"),
            identities.c.external_id == bindparam("b_external_id"),
            identities.c.unreachable_since.is_not(None),
        )
        .values(unreachable_since=None)
    )


async def mark_reachable(session: AsyncSession, platform: Platform, external_id: str) -> bool:
    """The account wrote to us or unblocked the bot: deliver to it again."""
    where = {"b_platform": platform.value, "b_external_id": external_id}
    result = await session.execute(_back_again(), where)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def unreachable_people(session: AsyncSession) -> Sequence[UnreachablePerson]:
    """Active people with an unreachable chat account, longest-lost first."""
    rows = await session.execute(
        select(
            User.id,
            User.name,
            User.role,
            Distributor.name,
            ChatIdentity.platform,
            ChatIdentity.unreachable_since,
        )
        .join(ChatIdentity, ChatIdentity.user_id == User.id)
        .outerjoin(Distributor, Distributor.id == User.distributor_id)
        .where(ChatIdentity.unreachable_since.is_not(None), User.active.is_(True))
        .order_by(ChatIdentity.unreachable_since, User.id)
    )
    return [
        UnreachablePerson(user_id, name, Role(role), distributor, Platform(platform), since)
        for user_id, name, role, distributor, platform, since in rows
        if since is not None
    ]
