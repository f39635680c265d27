"""Buttons behind short tokens: for platforms whose button data is too small for a payload."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete
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
    session.add(
        ButtonMenu(
            token=token,
            platform=platform.value,
            chat_ref=chat_ref,
            user_ref=user_ref,
            payloads=list(payloads),
            created_at=now,
        )
    )
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
    menu = await session.get(ButtonMenu, token)
    if (
        menu is None
        or menu.platform != platform.value
        or menu.chat_ref != chat_ref
        or menu.user_ref != user_ref
        or not 0 <= index < len(menu.payloads)
    ):
        return None
    return str(menu.payloads[index])


async def prune_menus(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(delete(ButtonMenu).where(ButtonMenu.created_at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
