"""A real sender process for the crash tests:
`python -m tests.scheduler.sender_process DB API [SPEEDUP [BATCH_SIZE]]`.

Delivers the outbox to the fake Bot API at Telegram's pace times SPEEDUP until nothing is
waiting, then exits 0; gives up (exit 1) rather than spin when its test has gone away.
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
from tests.scheduler.telegram_support import SPEEDUP, process_sender_config, telegram_messenger

GIVE_UP_AFTER = 240.0  # seconds


async def deliver(database_url: str, api_root: str, speedup: float, batch_size: int | None) -> int:
    app = bootstrap(Settings(database_url=database_url, _env_file=None))  # type: ignore[call-arg]
    messenger = telegram_messenger(app, api_root, speedup)
    await messenger.adapter.bot.initialize()
    config = process_sender_config(speedup, batch_size)
    sender = OutboxSender(app.db, {Platform.TELEGRAM: messenger}, app.clock, config)
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
    speedup = float(sys.argv[3]) if len(sys.argv) > 3 else SPEEDUP
    batch_size = int(sys.argv[4]) if len(sys.argv) > 4 else None
    sys.exit(asyncio.run(deliver(sys.argv[1], sys.argv[2], speedup, batch_size)))
