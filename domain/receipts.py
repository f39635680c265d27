"""Platform messages already handled (Telegram update_id): the check before the one effect."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import Platform
from domain.models import InboundReceipt


async def already_received(session: AsyncSession, platform: Platform, key: str) -> bool:
    """Whether a platform message (e.g. a Telegram update_id) has had its one effect."""
    found = await session.scalar(
        select(InboundReceipt.key).where(
            InboundReceipt.platform == platform.value, InboundReceipt.key == key
        )
    )
    return found is not None


async def prune_receipts(session: AsyncSession, platform: Platform, before: datetime) -> int:
    result = await session.execute(
        delete(InboundReceipt).where(
            InboundReceipt.platform == platform.value, InboundReceipt.received_at < before
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
