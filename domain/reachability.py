"""Who can no longer be reached on a chat platform (blocked the bot), and who is back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
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


async def account_standing(
    session: AsyncSession, platform: Platform, external_id: str
) -> AccountStanding | None:
    """The active user behind a chat account (one query), or None for a stranger."""
    row = (
        await session.execute(
            select(User.role, User.locale, ChatIdentity.unreachable_since)
            .join(ChatIdentity, ChatIdentity.user_id == User.id)
            .where(
                ChatIdentity.platform == platform.value,
                ChatIdentity.external_id == external_id,
                User.active.is_(True),
            )
        )
    ).first()
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


async def mark_reachable(session: AsyncSession, platform: Platform, external_id: str) -> bool:
    """The account wrote to us or unblocked the bot: deliver to it again."""
    result = await session.execute(
        update(ChatIdentity)
        .where(
            ChatIdentity.platform == platform.value,
            ChatIdentity.external_id == external_id,
            ChatIdentity.unreachable_since.is_not(None),
        )
        .values(unreachable_since=None)
        .execution_options(synchronize_session=False)
    )
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
