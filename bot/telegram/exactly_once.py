"""One effect per Telegram update: the receipt is written in the engine's own transaction.

The engine runs each message in one `Database.transaction()`. The Telegram adapter gives its
engine this Database, which claims the update's receipt first thing in that transaction (so a
redelivery, in this process or another, finds it or waits for it) and, last thing before the
commit, reads who the person now is (for their command menu). The update being handled is
passed down in a context variable, so the engine itself knows nothing of Telegram.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.db import Database
from domain.enums import Platform, Role
from domain.inbound import claim_message
from domain.reachability import account_standing, mark_reachable


@dataclass(frozen=True, slots=True)
class Standing:
    """Who a chat account is now, as far as the command menu cares."""

    role: Role
    locale: str


@dataclass
class Receipt:
    """The update being handled, and what its transaction found out."""

    platform: Platform
    key: str
    user_ref: str
    now: datetime
    was_unreachable: bool = False
    duplicate: bool = False
    standing: Standing | None = None


class DuplicateUpdate(Exception):
    """Another delivery of this update has already had (or is having) its effect."""


CURRENT_RECEIPT: ContextVar[Receipt | None] = ContextVar("telegram_receipt", default=None)


async def standing_of(session: AsyncSession, platform: Platform, user_ref: str) -> Standing | None:
    found = await account_standing(session, platform, user_ref)
    return Standing(found.role, found.locale) if found else None


class ExactlyOnceDatabase(Database):
    """The application's database, whose transactions also claim the current update.

    It wraps the one Database (its engine, sessions and SQLite writer queue) and opens nothing
    of its own; everything but `transaction` is the wrapped database's.
    """

    def __init__(self, db: Database) -> None:
        self._wrapped = db

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        receipt = CURRENT_RECEIPT.get()
        async with self._wrapped.transaction() as session:
            if receipt is not None:
                if not await claim_message(session, receipt.platform, receipt.key, receipt.now):
                    receipt.duplicate = True
                    raise DuplicateUpdate(receipt.key)
                if receipt.was_unreachable:
                    await mark_reachable(session, receipt.platform, receipt.user_ref)
            yield session
            if receipt is not None:
                receipt.standing = await standing_of(session, receipt.platform, receipt.user_ref)
