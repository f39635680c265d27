"""Platform access tokens kept in the database, so every process shares one and one refreshes it.

A refresh is taken under a lease (a row update that only one process can win); the others keep
using the current token while it is valid, or wait for the holder when it is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.db import dialect_of
from domain.models import PlatformAccessToken


@dataclass(frozen=True, slots=True)
class CachedToken:
    token: str | None
    expires_at: datetime | None
    lease_until: datetime | None

    def usable(self, now: datetime) -> bool:
        return self.token is not None and self.expires_at is not None and self.expires_at > now


async def cached_token(session: AsyncSession, app: str) -> CachedToken:
    row = await session.scalar(select(PlatformAccessToken).where(PlatformAccessToken.app == app))
    if row is None:
        return CachedToken(None, None, None)
    return CachedToken(row.token, row.expires_at, row.lease_until)


async def take_refresh_lease(
    session: AsyncSession,
    app: str,
    owner: str,
    now: datetime,
    until: datetime,
    *,
    refresh_before: datetime,
    stale_token: str | None = None,
) -> bool:
    """Win the right to refresh, unless another process holds it or already refreshed.

    Refreshing is needed when the token expires before `refresh_before`, or when it is the
    `stale_token` the platform just rejected.
    """
    insert = pg_insert if dialect_of(session) == "postgresql" else sqlite_insert
    await session.execute(
        insert(PlatformAccessToken)
        .values(app=app, refreshes=0)
        .on_conflict_do_nothing(index_elements=["app"])
    )
    needs_refresh = or_(
        PlatformAccessToken.token.is_(None),
        PlatformAccessToken.expires_at.is_(None),
        PlatformAccessToken.expires_at <= refresh_before,
    )
    if stale_token is not None:
        needs_refresh = or_(needs_refresh, PlatformAccessToken.token == stale_token)
    result = await session.execute(
        update(PlatformAccessToken)
        .where(
            PlatformAccessToken.app == app,
            or_(PlatformAccessToken.lease_until.is_(None), PlatformAccessToken.lease_until <= now),
            needs_refresh,
        )
        .values(lease_owner=owner, lease_until=until)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def store_token(
    session: AsyncSession, app: str, owner: str, token: str, expires_at: datetime, now: datetime
) -> None:
    await session.execute(
        update(PlatformAccessToken)
        .where(PlatformAccessToken.app == app)
        .values(
            token=token,
            expires_at=expires_at,
            refreshed_at=now,
            refreshes=PlatformAccessToken.refreshes + 1,
            lease_owner=None,
            lease_until=None,
        )
    )


async def release_lease(session: AsyncSession, app: str, owner: str) -> None:
    await session.execute(
        update(PlatformAccessToken)
        .where(PlatformAccessToken.app == app, PlatformAccessToken.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )
