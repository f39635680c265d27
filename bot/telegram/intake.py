"""Updates of one chat in order, of different chats concurrently, and a drain for shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

U = TypeVar("U")


class ChatQueues(Generic[U]):
    """One queue and worker per chat; at most `concurrency` updates run at once.

    `submit` returns a future that says whether the update was settled (handled, or dropped on
    purpose) or should be delivered again (for example, the database was unreachable).
    """

    def __init__(self, handle: Callable[[U], Awaitable[bool]], concurrency: int = 32) -> None:
        self._handle = handle
        self._queues: dict[int, deque[tuple[U, asyncio.Future[bool]]]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(concurrency)

    def submit(self, chat: int, update: U) -> asyncio.Future[bool]:
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        queue = self._queues.get(chat)
        if queue is None:
            queue = self._queues[chat] = deque()
            worker = asyncio.create_task(self._work(chat, queue), name=f"telegram-chat-{chat}")
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)
        queue.append((update, done))
        return done

    async def _work(self, chat: int, queue: deque[tuple[U, asyncio.Future[bool]]]) -> None:
        try:
            while queue:
                update, done = queue[0]
                async with self._slots:
                    try:
                        settled = await self._handle(update)
                    except Exception:
                        log.exception("a Telegram update could not be handled")
                        settled = False
                queue.popleft()
                if not done.done():
                    done.set_result(settled)
        finally:
            # Nothing can be appended between the last `while queue` and here: no await.
            self._queues.pop(chat, None)
            for _, waiting in queue:
                if not waiting.done():
                    waiting.cancel()

    @property
    def busy(self) -> bool:
        return bool(self._workers)

    async def drain(self) -> None:
        """Wait until every submitted update has been handled (graceful shutdown)."""
        while self._workers:
            await asyncio.gather(*list(self._workers), return_exceptions=True)
