"""Access tokens are shared through the database: eight workers at expiry, one refresh."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain.access_tokens import store_token, take_refresh_lease
from domain.db import Database
from tests.fakes.wechat_server import MP_APP_ID, MP_SECRET, FakeWeChat

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 2
WORKERS_EACH = 4  # eight workers, in two processes


async def test_eight_workers_in_two_processes_at_token_expiry_cause_one_refresh(
    db: Database, database_url: str, fake_wechat: FakeWeChat
) -> None:
    app = f"wechat_mp:{MP_APP_ID}"
    now = datetime.now(UTC)
    async with db.transaction() as session:  # a token that has just expired
        assert await take_refresh_lease(
            session, app, "seed", now, now, refresh_before=now + timedelta(minutes=5)
        )
        await store_token(session, app, "seed", "mp-token-old", now - timedelta(seconds=1), now)
    fake_wechat.token_delay = 0.5  # the refresh is slow, so the others find it under way
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.wechat.token_worker",
            str(WORKERS_EACH),
            database_url,
            fake_wechat.base_url,
            MP_APP_ID,
            MP_SECRET,
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(PROCESSES)
    ]
    for worker in workers:  # every process is up and connected before anyone asks
        assert worker.stdout is not None
        assert await worker.stdout.readline() == b"ready\n"
    outputs = await asyncio.gather(*(worker.communicate(b"go\n") for worker in workers))
    assert [worker.returncode for worker in workers] == [0] * PROCESSES, outputs
    tokens = [line for out, _ in outputs for line in out.decode().split()]
    assert len(fake_wechat.token_fetches) == 1
    assert tokens == ["mp-token-1"] * PROCESSES * WORKERS_EACH
