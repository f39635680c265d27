"""Durable conversation state: one row per (platform, chat, user), locked while a message runs."""

from __future__ import annotations

import secrets
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Executable,
    Select,
    Table,
    Update,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.db import dialect_of
from domain.enums import Platform, Role, Tier
from domain.models import ChatIdentity, ConversationState, Distributor, User
from domain.network import DistributorCard, Person

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


async def offer_menu(
    session: AsyncSession,
    key: ConversationKey,
    now: datetime,
    choices: list[list[str]],
    ttl: timedelta = DEFAULT_TTL,
) -> None:
    """Make a notice's choices the person's current menu, so a typed number answers it.

    Used where a notice arrives as text (console, WeChat): its "n:" payloads are not bound to
    the conversation's version, and their handlers check everything again.
    """
    conversation = await open_conversation(session, key, now, ttl)
    conversation.menu = choices
    conversation.menu_takes_numbers = True


# -- the engine's fast path: one statement in, at most one out ----------------------------------
#
# Every message reads its conversation and its sender; most change nothing of the conversation.
# So the engine loads both with one Core statement and writes the row back only when something
# changed, or when the lease is due for renewal (every LEASE_RENEWAL, not every message).

LEASE_RENEWAL = timedelta(minutes=5)

_conversations = cast(Table, ConversationState.__table__)
_identities = cast(Table, ChatIdentity.__table__)
_users = cast(Table, User.__table__)
_distributors = cast(Table, Distributor.__table__)
_parents = _distributors.alias("parent")
_reps = _users.alias("rep")
_KEPT = ("state", "data", "menu", "menu_takes_numbers", "locale", "version")


@dataclass(frozen=True, slots=True)
class OpenConversation:
    """A conversation as one message found it: the row, its sender, and what to compare against."""

    conversation: ConversationState  # detached: written back by `save_conversation`
    person: Person | None
    loaded: tuple[Any, ...]
    lease_ends: datetime


@cache
def _message_query(postgres: bool) -> Select[Any]:
    """Built once per dialect (statement construction costs more than SQLite's answer)."""
    person_columns = (
        _users.c.id.label("user_id"),
        _users.c.code.label("user_code"),
        _users.c.name.label("user_name"),
        _users.c.role,
        _users.c.locale.label("user_locale"),
        _users.c.timezone,
        _distributors.c.id.label("d_id"),
        _distributors.c.code.label("d_code"),
        _distributors.c.name.label("d_name"),
        _distributors.c.tier,
        _distributors.c.parent_id,
        _parents.c.name.label("parent_name"),
        _distributors.c.province,
        _distributors.c.city,
        _distributors.c.grade,
        _distributors.c.status,
        _distributors.c.rep_id,
        _reps.c.name.label("rep_name"),
        _distributors.c.joined_on,
    )
    query = (
        select(*_conversations.c, *person_columns)
        .select_from(_conversations)
        .outerjoin(
            _identities,
            (_identities.c.platform == _conversations.c.platform)
            & (_identities.c.external_id == _conversations.c.user_ref),
        )
        .outerjoin(_users, (_users.c.id == _identities.c.user_id) & _users.c.active.is_(True))
        .outerjoin(_distributors, _distributors.c.id == _users.c.distributor_id)
        .outerjoin(_parents, _parents.c.id == _distributors.c.parent_id)
        .outerjoin(_reps, _reps.c.id == _distributors.c.rep_id)
        .where(*_this_conversation())
    )
    return query.with_for_update(of=_conversations) if postgres else query


def _this_conversation() -> tuple[ColumnElement[bool], ...]:
    return (
        _conversations.c.platform == bindparam("key_platform"),
        _conversations.c.chat_ref == bindparam("key_chat_ref"),
        _conversations.c.user_ref == bindparam("key_user_ref"),
    )


@cache
def _start(postgres: bool) -> Executable:
    """A new conversation's row (unless another process has just made it)."""
    insert = pg_insert if postgres else sqlite_insert
    given = ("platform", "chat_ref", "user_ref", "secret", "expires_at", "updated_at")
    return (
        insert(_conversations)
        .values(
            {name: bindparam(f"b_{name}", type_=_conversations.c[name].type) for name in given}
            | {"state": None, "data": {}, "menu": [], "menu_takes_numbers": False, "version": 0}
        )
        .on_conflict_do_nothing()
    )


@cache
def _write_back() -> Update:
    """One statement for every write-back: the kept columns and the lease."""
    columns = (*_KEPT, "updated_at", "expires_at")
    return (
        update(_conversations)
        .where(*_this_conversation())
        .values(
            {name: bindparam(f"new_{name}", type_=_conversations.c[name].type) for name in columns}
        )
    )


def _person(row: Any) -> Person | None:
    """The sender, as `domain.network.person_for_identity` describes them."""
    if row.user_id is None:
        return None
    card = None
    if row.d_id is not None:
        card = DistributorCard(
            id=row.d_id,
            code=row.d_code,
            name=row.d_name,
            tier=Tier(row.tier),
            parent_id=row.parent_id,
            parent_name=row.parent_name,
            province=row.province,
            city=row.city,
            grade=row.grade,
            status=row.status,
            rep_id=row.rep_id,
            rep_name=row.rep_name,
            joined_on=row.joined_on,
        )
    return Person(
        user_id=row.user_id,
        code=row.user_code,
        name=row.user_name,
        role=Role(row.role),
        locale=row.user_locale,
        timezone=row.timezone,
        distributor=card,
    )


async def open_for_message(
    session: AsyncSession, key: ConversationKey, now: datetime, ttl: timedelta = DEFAULT_TTL
) -> OpenConversation:
    """The conversation (row-locked on PostgreSQL until the transaction ends) and its sender."""
    postgres = dialect_of(session) == "postgresql"
    query = _message_query(postgres)
    where = {
        "key_platform": key.platform.value,
        "key_chat_ref": key.chat_ref,
        "key_user_ref": key.user_ref,
    }
    row = (await session.execute(query, where)).first()
    if row is None:
        start = {
            "b_platform": key.platform.value,
            "b_chat_ref": key.chat_ref,
            "b_user_ref": key.user_ref,
            "b_secret": _new_secret(),
            "b_expires_at": now + ttl,
            "b_updated_at": now,
        }
        await session.execute(_start(postgres), start)
        row = (await session.execute(query, where)).one()
    conversation = ConversationState(
        **{column.key: row._mapping[column] for column in _conversations.c}
    )
    loaded = tuple(deepcopy(getattr(conversation, name)) for name in _KEPT)
    if conversation.expires_at <= now:
        reset_conversation(conversation)
    return OpenConversation(conversation, _person(row), loaded, conversation.expires_at)


async def save_conversation(
    session: AsyncSession, opened: OpenConversation, now: datetime, ttl: timedelta = DEFAULT_TTL
) -> None:
    """Write back what the message changed, and renew the lease when it is due."""
    conversation = opened.conversation
    kept = tuple(getattr(conversation, name) for name in _KEPT)
    if kept == opened.loaded and opened.lease_ends - now > ttl - LEASE_RENEWAL:
        return
    values = {f"new_{name}": value for name, value in zip(_KEPT, kept, strict=True)}
    values |= {"new_updated_at": now, "new_expires_at": now + ttl}
    values |= {
        "key_platform": conversation.platform,
        "key_chat_ref": conversation.chat_ref,
        "key_user_ref": conversation.user_ref,
    }
    await session.execute(_write_back(), values)
