"""The broadcast sweep: scheduled broadcasts whose time has come are planned and queued, and
running ones have their recipients' delivery states brought up to date.

Planning claims the broadcast (scheduled → sending) in the sweep's transaction and every
person's message has the key `broadcast:{id}:{user}`, so a second run queues nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.broadcasts import Outcome, due_scheduled, send_broadcast, settle_running
from scheduler.sweeps import SweepContext

log = logging.getLogger(__name__)


async def broadcast_sweep(session: AsyncSession, ctx: SweepContext, now: datetime) -> int:
    queued = 0
    for broadcast_id in await due_scheduled(session, now):
        planned = await send_broadcast(session, broadcast_id, now)
        if planned.outcome is Outcome.DONE:
            log.info("broadcast %d planned for %d people", broadcast_id, planned.targeted)
            queued += planned.queued
    await settle_running(session, now)
    return queued
