"""People: the brand's reps, managers and admins, and each distributor's staff, upserted by code.

Importing a user does not let anyone into the chat: an invitation (`partnerbot invite create
--user CODE`) binds a chat account to the imported user.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import Role, Tier
from domain.models import Distributor, User
from domain.tabular import CellValue
from domain.transfer.base import (
    Column,
    ImportContext,
    Problem,
    RowErrors,
    StagedRow,
    Tally,
    TransferKind,
    assign,
    boolean,
    choice,
    code,
    phone,
    text,
    timezone,
    yes_no,
)

ROLES: Mapping[str, Role] = {
    **{role.value: role for role in Role},
    "经销商员工": Role.DISTRIBUTOR_STAFF,
    "二级经销商员工": Role.DISTRIBUTOR_STAFF,
    "二级员工": Role.DISTRIBUTOR_STAFF,
    "一级经销商员工": Role.TIER1_STAFF,
    "一级员工": Role.TIER1_STAFF,
    "业务员": Role.FIELD_REP,
    "渠道经理": Role.MANAGER,
    "经理": Role.MANAGER,
    "管理员": Role.ADMIN,
}
LOCALES: Mapping[str, str] = {
    "zh_CN": "zh_CN",
    "zh": "zh_CN",
    "中文": "zh_CN",
    "简体中文": "zh_CN",
    "Chinese": "zh_CN",
    "en": "en",
    "en_US": "en",
    "en_GB": "en",
    "English": "en",
    "英文": "en",
    "英语": "en",
}
# The tier a staff role's distributor must have.
STAFF_TIER = {Role.TIER1_STAFF: Tier.ONE, Role.DISTRIBUTOR_STAFF: Tier.TWO}
# Export lists the brand's people first: they must exist before distributors name their reps.
EXPORT_ORDER = (Role.ADMIN, Role.MANAGER, Role.FIELD_REP, Role.TIER1_STAFF, Role.DISTRIBUTOR_STAFF)


class Users(TransferKind):
    name = "users"
    columns: ClassVar[tuple[Column, ...]] = (
        Column("code", ("编码", "用户编码", "人员编码"), code(), required=True),
        Column("name", ("名称", "姓名"), text(100), required=True),
        Column("role", ("角色",), choice(ROLES, Problem.INVALID_ROLE), required=True),
        Column("distributor_code", ("经销商编码", "所属经销商编码"), code(), blank=None),
        Column("phone", ("手机", "手机号", "电话"), phone, blank=None),
        # Blank language or time zone: the deployment's default.
        Column("locale", ("语言",), choice(LOCALES, Problem.INVALID_LOCALE), blank=None),
        Column("timezone", ("时区",), timezone, blank=None),
        Column("active", ("启用",), boolean, blank=True),
    )

    async def upsert(
        self,
        session: AsyncSession,
        rows: Sequence[StagedRow],
        context: ImportContext,
        errors: RowErrors,
    ) -> Tally:
        existing = {user.code: user for user in await session.scalars(select(User))}
        distributors = {
            found.code: (found.id, Tier(found.tier))
            for found in await session.execute(
                select(Distributor.code, Distributor.id, Distributor.tier)
            )
        }
        code_of = {distributor_id: key for key, (distributor_id, _) in distributors.items()}
        accounts = {
            rep_id: count
            for rep_id, count in await session.execute(
                select(Distributor.rep_id, func.count())
                .where(Distributor.rep_id.is_not(None))
                .group_by(Distributor.rep_id)
            )
        }

        for row in rows:
            if row.key is None:
                continue
            old = existing.get(row.key)
            role: Role | None = row.get("role")
            if row.has("distributor_code"):
                distributor: str | None = row.get("distributor_code")
                column = "distributor_code"
            else:
                distributor = (
                    code_of.get(old.distributor_id) if old and old.distributor_id else None
                )
                column = "role"
            if errors.bad(row.number, "distributor_code"):
                pass
            elif distributor is not None and distributor not in distributors:
                errors.add(row.number, column, Problem.UNKNOWN_DISTRIBUTOR, value=distributor)
            elif role is None:
                pass
            elif role.needs_distributor and distributor is None:
                errors.add(row.number, column, Problem.DISTRIBUTOR_REQUIRED, role=role.value)
            elif role.is_brand and distributor is not None:
                errors.add(
                    row.number,
                    column,
                    Problem.DISTRIBUTOR_NOT_ALLOWED,
                    role=role.value,
                    value=distributor,
                )
            elif distributor is not None and distributors[distributor][1] != STAFF_TIER[role]:
                errors.add(
                    row.number,
                    column,
                    Problem.WRONG_TIER_FOR_ROLE,
                    role=role.value,
                    value=distributor,
                    tier=int(distributors[distributor][1]),
                )
            if (
                old is not None
                and old.role == Role.FIELD_REP
                and role is not None
                and role is not Role.FIELD_REP
                and accounts.get(old.id)
            ):
                errors.add(row.number, "role", Problem.REP_STILL_ASSIGNED, count=accounts[old.id])
        if errors:
            return Tally()

        tally = Tally()
        now = context.clock.now()
        created: list[User] = []
        for row in rows:
            assert row.key is not None
            values: dict[str, object] = {"name": row.get("name"), "role": str(row.get("role"))}
            if row.has("distributor_code"):
                distributor = row.get("distributor_code")
                values["distributor_id"] = distributors[distributor][0] if distributor else None
            if row.has("phone"):
                values["phone"] = row.get("phone")
            if row.has("locale"):
                values["locale"] = row.get("locale") or context.default_locale
            if row.has("timezone"):
                values["timezone"] = row.get("timezone") or context.default_timezone
            if row.has("active"):
                values["active"] = row.get("active")
            old = existing.get(row.key)
            if old is None:
                values.setdefault("distributor_id", None)
                values.setdefault("locale", context.default_locale)
                values.setdefault("timezone", context.default_timezone)
                values.setdefault("active", True)
                created.append(User(code=row.key, created_at=now, **values))
                tally.count(new=True, changed=True)
            else:
                tally.count(new=False, changed=assign(old, values))
        session.add_all(created)
        await session.flush()
        return tally

    async def export(self, session: AsyncSession) -> Iterable[Mapping[str, CellValue]]:
        users = list(await session.scalars(select(User).order_by(User.code)))
        code_of = {
            distributor_id: key
            for distributor_id, key in await session.execute(
                select(Distributor.id, Distributor.code)
            )
        }
        rank = {role.value: index for index, role in enumerate(EXPORT_ORDER)}
        users.sort(key=lambda user: rank.get(user.role, len(rank)))
        return [
            {
                "code": user.code,
                "name": user.name,
                "role": user.role,
                "distributor_code": code_of.get(user.distributor_id)
                if user.distributor_id
                else None,
                "phone": user.phone,
                "locale": user.locale,
                "timezone": user.timezone,
                "active": yes_no(user.active),
            }
            for user in users
        ]
