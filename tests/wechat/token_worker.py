"""Workers asking for the Official Account's access token, for the shared-token test:
`python -m tests.wechat.token_worker WORKERS DATABASE_URL API_URL APP_ID SECRET`.

Each worker has its own database engine and token cache, as separate processes would. The
process says "ready", waits for a line on stdin so that every worker asks at once, then prints
the token each worker got."""

from __future__ import annotations

import asyncio
import sys

from bot.wechat.api import Http, OfficialAccountApi, SharedToken
from domain.clock import SystemClock
from domain.db import Database


async def main(workers: int, database_url: str, api_url: str, app_id: str, secret: str) -> None:
    databases = [Database(database_url) for _ in range(workers)]
    http = Http(api_url)
    fetch = OfficialAccountApi.token_fetcher(http, app_id, secret)
    tokens = [SharedToken(db, SystemClock(), f"wechat_mp:{app_id}", fetch) for db in databases]
    for db in databases:  # connected before the start, like a running process
        assert await db.ping()
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    for got in await asyncio.gather(*(token.get() for token in tokens)):
        print(got, flush=True)
    await http.aclose()
    for db in databases:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), *sys.argv[2:6]))
