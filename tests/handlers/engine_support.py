"""Builders and probes shared by the conversation engine's tests: messages, stamps, snapshots."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.bootstrap import App
from domain.enums import Platform, Role
from domain.models import Base, ChatIdentity, ConversationState, User
from handlers.types import Incoming, Reply

# The demo's console people by role; the admin is added by `add_admin`.
PEOPLE: dict[Role, str] = {
    Role.DISTRIBUTOR_STAFF: "S201",
    Role.TIER1_STAFF: "T101",
    Role.FIELD_REP: "R001",
    Role.MANAGER: "M001",
    Role.ADMIN: "A001",
}
STRANGER = "stranger-1"

EXPIRED_EN = "This menu has expired. Send /menu for a fresh one."
NOT_AVAILABLE_EN = "Sorry, that is not available to you."
JOIN_FIRST_EN = "Please join first: send the invitation code you were given."
SOMETHING_WENT_WRONG_EN = (
    "Sorry, something went wrong on our side and nothing was changed. Please try again in a moment."
)

# Moved by every message (the conversation's lease), so not part of "nothing changed".
VOLATILE = {("conversation_states", "updated_at"), ("conversation_states", "expires_at")}


def said(
    ref: str, text: str = "", *, platform: Platform = Platform.CONSOLE, **extra: Any
) -> Incoming:
    return Incoming(platform=platform, user_ref=ref, chat_ref=ref, text=text, **extra)


def pressed(
    ref: str, payload: str, *, platform: Platform = Platform.CONSOLE, **extra: Any
) -> Incoming:
    return Incoming(platform=platform, user_ref=ref, chat_ref=ref, payload=payload, **extra)


def texts(replies: list[Reply]) -> str:
    return "\n".join(reply.text for reply in replies)


def payloads(replies: list[Reply]) -> list[str]:
    return [choice.payload for reply in replies for choice in reply.choices]


def number_of(replies: list[Reply], label: str) -> str:
    """The option number the console shows for `label`, as a person would type it."""
    labels = [choice.label for reply in replies for choice in reply.choices]
    return str(labels.index(label) + 1)


def payload_for(replies: list[Reply], action: str) -> str:
    """The stamped payload of the first choice that runs `action`."""
    for payload in payloads(replies):
        if payload.split(":")[2] == action:
            return payload
    raise AssertionError(f"no {action} choice in {payloads(replies)}")


async def conversation(
    app: App, ref: str, platform: Platform = Platform.CONSOLE, *, chat_ref: str | None = None
) -> ConversationState | None:
    async with app.db.transaction() as session:
        return await session.scalar(
            select(ConversationState).where(
                ConversationState.platform == platform.value,
                ConversationState.chat_ref == (chat_ref or ref),
                ConversationState.user_ref == ref,
            )
        )


async def forge(app: App, ref: str, inner: str, platform: Platform = Platform.CONSOLE) -> str:
    """A payload stamped as the conversation's current state: what a tampering client can send."""
    found = await conversation(app, ref, platform)
    assert found is not None, "say something first, so the conversation exists"
    return f"{found.secret}:{found.version}:{inner}"


async def snapshot(app: App) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order, minus the conversation's lease times."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with app.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE]
            order = list(table.primary_key.columns) or columns
            result = await session.execute(select(*columns).order_by(*order))
            rows[table.name] = [tuple(row) for row in result]
    return rows


async def add_admin(app: App) -> None:
    """The demo has no administrator; give one a console identity like the others."""
    async with app.db.transaction() as session:
        now = app.clock.now()
        admin = User(
            code="A001",
            name="Admin",
            role=Role.ADMIN.value,
            locale="en",
            timezone="Asia/Shanghai",
            active=True,
            created_at=now,
        )
        session.add(admin)
        await session.flush()
        session.add(
            ChatIdentity(
                platform=Platform.CONSOLE.value,
                external_id="A001",
                chat_ref="A001",
                user_id=admin.id,
                display_name="Admin",
                bound_at=now,
            )
        )


async def everyone_speaks_english(app: App) -> None:
    async with app.db.transaction() as session:
        for user in await session.scalars(select(User)):
            user.locale = "en"


def errors(app: App, platform: Platform = Platform.CONSOLE) -> float:
    value = app.metrics.registry.get_sample_value(
        "partnerbot_message_errors_total", {"platform": platform.value}
    )
    return value or 0.0
