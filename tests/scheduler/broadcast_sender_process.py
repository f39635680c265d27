"""A real sender process for the broadcast crash test:
`python -m tests.scheduler.broadcast_sender_process DB API`.

Like tests/scheduler/sender_process.py, at the broadcast tests' faster pace; exits 0 once
nothing is waiting.
"""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy import func, select

from bot.bootstrap import bootstrap
from bot.config import Settings
from domain.enums import Platform
from domain.models import OutboxMessage
from scheduler.sender import WAITING, OutboxSender
from tests.scheduler.broadcast_support import sender_config, telegram_messenger

GIVE_UP_AFTER = 240.0  # seconds


async def deliver(database_url: str, api_root: str) -> int:
    app = bootstrap(Settings(database_url=database_url, _env_file=None))  # type: ignore[call-arg]
    messenger = telegram_messenger(app, api_root)
    await messenger.adapter.bot.initialize()
    sender = OutboxSender(
        app.db, {Platform.TELEGRAM: messenger}, app.clock, sender_config(idle_poll=0.05)
    )
    deadline = asyncio.get_running_loop().time() + GIVE_UP_AFTER
    try:
        while asyncio.get_running_loop().time() < deadline:
            await sender.deliver_all()
            async with app.db.transaction() as session:
                waiting = await session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status.in_(WAITING))
                )
            if not waiting:
                return 0
            await asyncio.sleep(0.05)
        return 1
    finally:
        await messenger.adapter.bot.shutdown()
        await app.aclose()


if __name__ == "__main__":
    sys.exit(asyncio.run(deliver(sys.argv[1], sys.argv[2])))
