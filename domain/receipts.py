"""Receipts of platform messages already handled (Telegram update_id), kept for a while.

They are claimed in `domain.inbound.claim_message`; here they are let go of when old."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import Platform
from domain.models import InboundReceipt


async def prune_receipts(session: AsyncSession, platform: Platform, before: datetime) -> int:
    result = await session.execute(
        delete(InboundReceipt).where(
            InboundReceipt.platform == platform.value, InboundReceipt.received_at < before
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
