"""Buttons behind short tokens: for platforms whose button data is too small for a payload."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import cast

from sqlalchemy import Executable, Table, bindparam, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import Platform
from domain.models import ButtonMenu

TOKEN_BYTES = 9  # 12 url-safe characters: unguessable, and short enough for "token:index"


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


async def save_menu(
    session: AsyncSession,
    platform: Platform,
    chat_ref: str,
    user_ref: str,
    payloads: Sequence[str],
    now: datetime,
) -> str:
    """Keep the payloads of one message's buttons; returns the token its buttons carry."""
    token = new_token()
    values = {
        "b_token": token,
        "b_platform": platform.value,
        "b_chat_ref": chat_ref,
        "b_user_ref": user_ref,
        "b_payloads": list(payloads),
        "b_created_at": now,
    }
    await session.execute(_keep(), values)
    return token


async def resolve_button(
    session: AsyncSession,
    platform: Platform,
    token: str,
    index: int,
    chat_ref: str,
    user_ref: str,
) -> str | None:
    """The payload of a pressed button, if its token was sent to this chat and this person."""
    where = {"token": token, "platform": platform.value, "chat_ref": chat_ref, "user_ref": user_ref}
    payloads = await session.scalar(_lookup(), where)
    if payloads is None or not 0 <= index < len(payloads):
        return None
    return str(payloads[index])


# Built once: building a statement costs more than SQLite's answer to it.
@cache
def _keep() -> Executable:
    menus = cast(Table, ButtonMenu.__table__)  # Core: not an ORM bulk insert
    return insert(menus).values(
        {column.key: bindparam(f"b_{column.key}", type_=column.type) for column in menus.c}
    )


@cache
def _lookup() -> Executable:
    return select(ButtonMenu.payloads).where(
        ButtonMenu.token == bindparam("token"),
        ButtonMenu.platform == bindparam("platform"),
        ButtonMenu.chat_ref == bindparam("chat_ref"),
        ButtonMenu.user_ref == bindparam("user_ref"),
    )


async def prune_menus(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(delete(ButtonMenu).where(ButtonMenu.created_at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
