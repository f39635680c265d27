"""Durable conversation state: one row per (platform, chat, user), locked while a message runs."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.db import dialect_of
from domain.enums import Platform
from domain.models import ConversationState

DEFAULT_TTL = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class ConversationKey:
    platform: Platform
    chat_ref: str
    user_ref: str


def _new_secret() -> str:
    return secrets.token_hex(2)


async def open_conversation(
    session: AsyncSession, key: ConversationKey, now: datetime, ttl: timedelta = DEFAULT_TTL
) -> ConversationState:
    """Load (or start) the conversation and hold its row lock until the transaction ends.

    On PostgreSQL the row lock makes a second process wait for the first to finish this
    person's message; SQLite transactions already hold the database write lock.
    """
    values: dict[str, Any] = {
        "platform": key.platform.value,
        "chat_ref": key.chat_ref,
        "user_ref": key.user_ref,
        "state": None,
        "data": {},
        "menu": [],
        "menu_takes_numbers": False,
        "version": 0,
        "secret": _new_secret(),
        "expires_at": now + ttl,
        "updated_at": now,
    }
    query = select(ConversationState).where(
        ConversationState.platform == key.platform.value,
        ConversationState.chat_ref == key.chat_ref,
        ConversationState.user_ref == key.user_ref,
    )
    dialect = dialect_of(session)
    if dialect == "postgresql":
        query = query.with_for_update()
    conversation = (await session.execute(query)).scalar_one_or_none()
    if conversation is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        await session.execute(insert(ConversationState).values(**values).on_conflict_do_nothing())
        conversation = (await session.execute(query)).scalar_one()
    if conversation.expires_at <= now:
        reset_conversation(conversation)
    return conversation


def reset_conversation(conversation: ConversationState) -> None:
    conversation.state = None
    conversation.data = {}
    conversation.menu = []
    conversation.menu_takes_numbers = False
    conversation.version += 1


def touch_conversation(
    conversation: ConversationState, now: datetime, ttl: timedelta = DEFAULT_TTL
) -> None:
    conversation.updated_at = now
    conversation.expires_at = now + ttl


async def forget_conversations(session: AsyncSession, platform: Platform, user_ref: str) -> None:
    await session.execute(
        delete(ConversationState).where(
            ConversationState.platform == platform.value, ConversationState.user_ref == user_ref
        )
    )
