"""One effect per Telegram update: the adapter's work rides in the engine's own transaction.

The engine runs each message in one database transaction and lets an `Envelope` act at its
start and end. Telegram's envelope claims the update's receipt first (so a redelivery, in
this process or another, finds it or waits for it) and resolves the pressed button's token;
last, it reads who the person now is (for their command menu; one who had blocked the bot
and writes again is reachable again) and keeps the menus the replies show under fresh
tokens. So the receipt, the effect and the buttons that lead on from it commit together, or
not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup

from bot.telegram.render import keyboard
from domain.button_menus import resolve_button, save_menu
from domain.enums import Platform, Role
from domain.inbound import claim_message
from domain.reachability import account_standing, mark_reachable
from handlers.types import Incoming, Reply

PLATFORM = Platform.TELEGRAM
# A payload no conversation ever stamps: the engine answers "this menu has expired".
EXPIRED_PAYLOAD = "expired"


@dataclass(frozen=True, slots=True)
class Standing:
    """Who a chat account is now, as far as the command menu cares."""

    role: Role
    locale: str


async def standing_of(session: AsyncSession, platform: Platform, user_ref: str) -> Standing | None:
    found = await account_standing(session, platform, user_ref)
    return Standing(found.role, found.locale) if found else None


@dataclass
class UpdateEnvelope:
    """One update's part of the engine's transaction, and what it found out there."""

    update_id: int
    chat_id: int
    user_ref: str
    now: datetime
    button: tuple[str, int] | None = None  # (token, index) of a pressed button
    pressed: bool = False  # a callback query, even one whose data we cannot read
    duplicate: bool = False
    button_found: bool = False  # the pressed button was this person's, in this chat
    standing: Standing | None = None
    kept_for: list[Reply] = field(default_factory=list)  # the replies whose menus were kept
    markups: list[InlineKeyboardMarkup | None] = field(default_factory=list)  # one per reply

    async def opening(self, session: AsyncSession, incoming: Incoming) -> Incoming | None:
        if not await claim_message(session, PLATFORM, str(self.update_id), self.now):
            self.duplicate = True
            return None
        if not self.pressed:
            return incoming
        payload = None
        if self.button is not None:
            token, index = self.button
            payload = await resolve_button(
                session, PLATFORM, token, index, incoming.chat_ref, incoming.user_ref
            )
        self.button_found = payload is not None
        return replace(incoming, payload=payload or EXPIRED_PAYLOAD)

    async def closing(self, session: AsyncSession, replies: Sequence[Reply]) -> None:
        found = await account_standing(session, PLATFORM, self.user_ref)
        if found is not None and found.unreachable:  # writing to us means reachable again
            await mark_reachable(session, PLATFORM, self.user_ref)
        self.standing = Standing(found.role, found.locale) if found else None
        self.markups = await keep_menus(session, self.chat_id, self.user_ref, replies, self.now)
        self.kept_for = list(replies)

    def markups_for(self, replies: Sequence[Reply]) -> list[InlineKeyboardMarkup | None] | None:
        """The kept keyboards, if these are the replies they were kept for: not when the
        transaction failed after all and the engine says sorry instead."""
        return self.markups if list(replies) == self.kept_for else None


async def keep_menus(
    session: AsyncSession, chat_id: int, user_ref: str, replies: Sequence[Reply], now: datetime
) -> list[InlineKeyboardMarkup | None]:
    """Each reply's keyboard: its choices kept under a fresh token bound to chat and person."""
    markups: list[InlineKeyboardMarkup | None] = []
    for reply in replies:
        if not reply.choices:
            markups.append(None)
            continue
        payloads = [choice.payload for choice in reply.choices]
        token = await save_menu(session, PLATFORM, str(chat_id), user_ref, payloads, now)
        markups.append(keyboard([choice.label for choice in reply.choices], token, reply.columns))
    return markups
