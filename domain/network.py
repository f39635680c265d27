"""Who is who in the distribution network, and what each person may see."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Row, Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.enums import Platform, Role, Tier
from domain.models import ChatIdentity, Distributor, User


@dataclass(frozen=True, slots=True)
class DistributorCard:
    id: int
    code: str
    name: str
    tier: Tier
    parent_id: int | None
    parent_name: str | None
    province: str
    city: str
    grade: str
    status: str
    rep_id: int | None
    rep_name: str | None
    joined_on: date


@dataclass(frozen=True, slots=True)
class Person:
    """A bound user as the conversation sees them."""

    user_id: int
    code: str
    name: str
    role: Role
    locale: str
    timezone: str
    distributor: DistributorCard | None

    def can_see(self, card: DistributorCard) -> bool:
        """Scope: own distributor; a tier-1's network; a rep's accounts; the brand sees all."""
        if self.role in (Role.MANAGER, Role.ADMIN):
            return True
        if self.role is Role.FIELD_REP:
            return card.rep_id == self.user_id
        if self.distributor is None:
            return False
        if card.id == self.distributor.id:
            return True
        return self.role is Role.TIER1_STAFF and card.parent_id == self.distributor.id


_Parent = aliased(Distributor)
_Rep = aliased(User)


def _card_query() -> Select[Distributor, str | None, str | None]:
    return (
        select(Distributor, _Parent.name, _Rep.name)
        .outerjoin(_Parent, Distributor.parent_id == _Parent.id)
        .outerjoin(_Rep, Distributor.rep_id == _Rep.id)
    )


def _card(found: Row[Distributor, str | None, str | None]) -> DistributorCard:
    row, parent_name, rep_name = found
    return DistributorCard(
        id=row.id,
        code=row.code,
        name=row.name,
        tier=Tier(row.tier),
        parent_id=row.parent_id,
        parent_name=parent_name,
        province=row.province,
        city=row.city,
        grade=row.grade,
        status=row.status,
        rep_id=row.rep_id,
        rep_name=rep_name,
        joined_on=row.joined_on,
    )


async def distributor_card(session: AsyncSession, distributor_id: int) -> DistributorCard | None:
    row = (await session.execute(_card_query().where(Distributor.id == distributor_id))).first()
    return _card(row) if row else None


async def person_for_user(session: AsyncSession, user: User) -> Person:
    card = await distributor_card(session, user.distributor_id) if user.distributor_id else None
    return Person(
        user_id=user.id,
        code=user.code,
        name=user.name,
        role=Role(user.role),
        locale=user.locale,
        timezone=user.timezone,
        distributor=card,
    )


async def person_for_identity(
    session: AsyncSession, platform: Platform, external_id: str
) -> Person | None:
    """The active user bound to this chat account, or None for a stranger."""
    user = (
        await session.execute(
            select(User)
            .join(ChatIdentity, ChatIdentity.user_id == User.id)
            .where(
                ChatIdentity.platform == platform.value,
                ChatIdentity.external_id == external_id,
                User.active.is_(True),
            )
        )
    ).scalar_one_or_none()
    return await person_for_user(session, user) if user else None


async def set_locale(session: AsyncSession, user_id: int, locale: str) -> None:
    await session.execute(update(User).where(User.id == user_id).values(locale=locale))


async def rename_user(session: AsyncSession, user_id: int, name: str) -> None:
    await session.execute(update(User).where(User.id == user_id).values(name=name))


async def network_of(session: AsyncSession, tier1_id: int) -> Sequence[DistributorCard]:
    rows = await session.execute(
        _card_query().where(Distributor.parent_id == tier1_id).order_by(Distributor.code)
    )
    return [_card(row) for row in rows]


async def accounts_of_rep(session: AsyncSession, rep_user_id: int) -> Sequence[DistributorCard]:
    rows = await session.execute(
        _card_query()
        .where(Distributor.rep_id == rep_user_id)
        .order_by(Distributor.tier, Distributor.code)
    )
    return [_card(row) for row in rows]


async def distributors_in_scope(session: AsyncSession, person: Person) -> Sequence[DistributorCard]:
    """Every distributor this person may see, in a stable order."""
    if person.role in (Role.MANAGER, Role.ADMIN):
        rows = await session.execute(_card_query().order_by(Distributor.tier, Distributor.code))
        return [_card(row) for row in rows]
    if person.role is Role.FIELD_REP:
        return await accounts_of_rep(session, person.user_id)
    if person.distributor is None:
        return []
    own = [person.distributor]
    if person.role is Role.TIER1_STAFF:
        return [*own, *await network_of(session, person.distributor.id)]
    return own


@dataclass(frozen=True, slots=True)
class ProvinceCount:
    province: str
    tier1: int
    tier2: int


async def network_overview(session: AsyncSession) -> Sequence[ProvinceCount]:
    rows = await session.execute(
        select(Distributor.province, Distributor.tier, func.count())
        .group_by(Distributor.province, Distributor.tier)
        .order_by(Distributor.province)
    )
    counts: dict[str, dict[int, int]] = {}
    for province, tier, count in rows:
        counts.setdefault(province, {})[tier] = count
    return [
        ProvinceCount(province, by_tier.get(Tier.ONE, 0), by_tier.get(Tier.TWO, 0))
        for province, by_tier in counts.items()
    ]
