"""Orders as a spreadsheet for the people who reconcile them: one row per order line.

Export only: orders are made in chat, never imported. Times are in the business's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.models import Distributor, Order, OrderLine, User
from domain.tabular import CellValue
from domain.transfer.base import (
    Column,
    ReportKind,
    code,
    text,
)

_Decider = aliased(User)


class Orders(ReportKind):
    name = "orders"
    columns: ClassVar[tuple[Column, ...]] = (
        Column("number", (), code()),
        *(
            Column(name, (), text(500))
            for name in (
                "submitted_at",
                "distributor_code",
                "distributor_name",
                "status",
                "placed_by",
                "sku",
                "product",
                "quantity",
                "unit",
                "unit_price",
                "line_total",
                "order_total",
                "decided_by",
                "decided_at",
                "reject_reason",
            )
        ),
    )

    async def report(
        self, session: AsyncSession, timezone: str, now: datetime | None
    ) -> list[Mapping[str, CellValue]]:
        zone = ZoneInfo(timezone)
        found = await session.execute(
            select(Order, OrderLine, Distributor, User.name, _Decider.name)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .join(Distributor, Distributor.id == Order.distributor_id)
            .join(User, User.id == Order.placed_by_id)
            .outerjoin(_Decider, _Decider.id == Order.decided_by_id)
            .order_by(Order.submitted_at, Order.id, OrderLine.id)
        )
        return [
            {
                "number": order.number,
                "submitted_at": order.submitted_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                "distributor_code": distributor.code,
                "distributor_name": distributor.name,
                "status": order.status,
                "placed_by": placed_by,
                "sku": line.sku,
                "product": line.name_zh,
                "quantity": line.quantity,
                "unit": line.unit,
                "unit_price": f"{line.unit_price:.2f}",
                "line_total": f"{line.line_total:.2f}",
                "order_total": f"{order.total:.2f}",
                "decided_by": decided_by or "",
                "decided_at": (
                    order.decided_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
                    if order.decided_at
                    else ""
                ),
                "reject_reason": order.reject_reason or "",
            }
            for order, line, distributor, placed_by, decided_by in found
        ]
