"""The distributor list: tiers, parents, regions, grades and field reps, upserted by code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import DistributorStatus, Grade, Role, Tier
from domain.models import Distributor, User
from domain.tabular import CellValue
from domain.transfer.base import (
    Column,
    ImportContext,
    Problem,
    RowErrors,
    SideEffect,
    StagedRow,
    Tally,
    TransferKind,
    assign,
    choice,
    code,
    day,
    text,
)

TIERS: Mapping[str, Tier] = {
    "1": Tier.ONE,
    "2": Tier.TWO,
    "tier 1": Tier.ONE,
    "tier 2": Tier.TWO,
    "一级": Tier.ONE,
    "二级": Tier.TWO,
    "一": Tier.ONE,
    "二": Tier.TWO,
}
GRADES: Mapping[str, Grade] = {grade.value: grade for grade in Grade}
STATUSES: Mapping[str, DistributorStatus] = {
    **{status.value: status for status in DistributorStatus},
    "正常": DistributorStatus.ACTIVE,
    "合作中": DistributorStatus.ACTIVE,
    "暂停": DistributorStatus.SUSPENDED,
    "已暂停": DistributorStatus.SUSPENDED,
    "终止": DistributorStatus.TERMINATED,
    "已终止": DistributorStatus.TERMINATED,
    "解约": DistributorStatus.TERMINATED,
}
# Staff roles follow their distributor's tier.
STAFF_ROLE = {Tier.ONE: Role.TIER1_STAFF, Tier.TWO: Role.DISTRIBUTOR_STAFF}
_SHOWN_CHILDREN = 5


class Distributors(TransferKind):
    name = "distributors"
    columns: ClassVar[tuple[Column, ...]] = (
        Column("code", ("编码", "经销商编码"), code(), required=True),
        Column("name", ("名称", "经销商名称"), text(200), required=True),
        Column("tier", ("级别", "层级"), choice(TIERS, Problem.INVALID_TIER), required=True),
        Column("parent_code", ("上级编码", "上级经销商编码"), code(), blank=None),
        Column("province", ("省份", "省"), text(50), required=True),
        Column("city", ("城市", "市"), text(50), required=True),
        Column("grade", ("等级",), choice(GRADES, Problem.INVALID_GRADE), required=True),
        Column(
            "status",
            ("状态",),
            choice(STATUSES, Problem.INVALID_STATUS),
            blank=DistributorStatus.ACTIVE,
        ),
        Column("rep_code", ("业务员编码",), code(), blank=None),
        Column("joined_on", ("加入日期", "合作日期"), day, required=True),
    )

    async def upsert(
        self,
        session: AsyncSession,
        rows: Sequence[StagedRow],
        context: ImportContext,
        errors: RowErrors,
    ) -> Tally:
        existing = {row.code: row for row in await session.scalars(select(Distributor))}
        code_of = {row.id: row.code for row in existing.values()}
        users = {
            found.code: (found.id, found.role)
            for found in await session.execute(select(User.code, User.id, User.role))
        }
        in_file = {row.key: row for row in rows if row.key is not None}

        def tier_after(code: str) -> Tier | None:
            """The tier once the file is in: the file's, else the database's; None if unknown."""
            row = in_file.get(code)
            if row is not None:
                tier: Tier | None = row.get("tier")
                return tier
            found = existing.get(code)
            return Tier(found.tier) if found else None

        def parent_after(code: str) -> str | None:
            row = in_file.get(code)
            if row is not None and row.has("parent_code"):
                parent: str | None = row.get("parent_code")
                return parent
            found = existing.get(code)
            return code_of.get(found.parent_id) if found and found.parent_id else None

        for row in in_file.values():
            key = row.key
            assert key is not None
            tier: Tier | None = row.get("tier")
            parent_column = "parent_code" if row.has("parent_code") else "tier"
            parent = parent_after(key)
            if parent is None or errors.bad(row.number, "parent_code"):
                pass
            elif tier is Tier.ONE:
                errors.add(row.number, parent_column, Problem.TIER1_WITH_PARENT, value=parent)
            elif parent not in existing and parent not in in_file:
                errors.add(row.number, "parent_code", Problem.UNKNOWN_PARENT, value=parent)
            elif tier is Tier.TWO and tier_after(parent) is Tier.TWO:
                errors.add(row.number, parent_column, Problem.PARENT_NOT_TIER1, value=parent)
            rep = row.get("rep_code")
            if rep is not None:
                if rep not in users:
                    errors.add(row.number, "rep_code", Problem.UNKNOWN_REP, value=rep)
                elif users[rep][1] != Role.FIELD_REP:
                    errors.add(
                        row.number,
                        "rep_code",
                        Problem.NOT_A_FIELD_REP,
                        value=rep,
                        role=users[rep][1],
                    )
            old = existing.get(key)
            if old is not None and old.tier == Tier.ONE and tier is Tier.TWO:
                children = sorted(
                    child.code
                    for child in existing.values()
                    if child.parent_id == old.id and parent_after(child.code) == key
                )
                if children:
                    shown = ", ".join(children[:_SHOWN_CHILDREN])
                    if len(children) > _SHOWN_CHILDREN:
                        shown += ", …"
                    errors.add(
                        row.number,
                        "tier",
                        Problem.STILL_HAS_TIER2,
                        count=len(children),
                        children=shown,
                    )
        if errors:
            return Tally()
        return await self._write(session, in_file, existing, users)

    async def _write(
        self,
        session: AsyncSession,
        in_file: Mapping[str, StagedRow],
        existing: dict[str, Distributor],
        users: Mapping[str, tuple[int, str]],
    ) -> Tally:
        tally = Tally()
        retiered: list[tuple[int, Tier, Tier]] = []
        # Tier-1s first: every parent is a tier-1, so the tier-2s after them find their ids.
        for tier in (Tier.ONE, Tier.TWO):
            created: list[Distributor] = []
            for key, row in in_file.items():
                if row.get("tier") is not tier:
                    continue
                values: dict[str, Any] = {
                    attribute: row.get(attribute)
                    for attribute in ("name", "province", "city", "joined_on")
                }
                values["tier"] = int(tier)
                values["grade"] = str(row.get("grade"))
                if row.has("status"):
                    values["status"] = str(row.get("status"))
                if row.has("rep_code"):
                    rep = row.get("rep_code")
                    values["rep_id"] = users[rep][0] if rep else None
                if row.has("parent_code"):
                    parent = row.get("parent_code")
                    values["parent_id"] = existing[parent].id if parent else None
                old = existing.get(key)
                if old is None:
                    values.setdefault("status", DistributorStatus.ACTIVE.value)
                    created.append(Distributor(code=key, **values))
                    tally.count(new=True, changed=True)
                    continue
                if old.tier != tier:
                    retiered.append((old.id, Tier(old.tier), tier))
                tally.count(new=False, changed=assign(old, values))
            session.add_all(created)
            await session.flush()
            existing.update((new.code, new) for new in created)
        for distributor_id, old_tier, new_tier in retiered:
            moved = await session.execute(
                update(User)
                .where(User.distributor_id == distributor_id, User.role == STAFF_ROLE[old_tier])
                .values(role=STAFF_ROLE[new_tier].value)
                .execution_options(synchronize_session=False)
            )
            tally.note(SideEffect.STAFF_ROLES_CHANGED, moved.rowcount or 0)  # type: ignore[attr-defined]
        return tally

    async def export(self, session: AsyncSession) -> Iterable[Mapping[str, CellValue]]:
        distributors = list(
            await session.scalars(select(Distributor).order_by(Distributor.tier, Distributor.code))
        )
        code_of = {row.id: row.code for row in distributors}
        rep_code = {
            user_id: key for user_id, key in await session.execute(select(User.id, User.code))
        }
        return [
            {
                "code": row.code,
                "name": row.name,
                "tier": row.tier,
                "parent_code": code_of.get(row.parent_id) if row.parent_id else None,
                "province": row.province,
                "city": row.city,
                "grade": row.grade,
                "status": row.status,
                "rep_code": rep_code.get(row.rep_id) if row.rep_id else None,
                "joined_on": row.joined_on,
            }
            for row in distributors
        ]
