"""The engine's one-statement read of conversation and sender, and its sparing write-back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.bootstrap import App
from domain.clock import FixedClock
from domain.conversations import (
    DEFAULT_TTL,
    LEASE_RENEWAL,
    ConversationKey,
    open_for_message,
)
from domain.enums import Platform
from domain.models import User
from domain.network import person_for_identity
from tests.handlers.engine_support import PEOPLE, add_admin, conversation, said


async def test_the_sender_is_the_person_that_person_for_identity_finds(demo_app: App) -> None:
    await add_admin(demo_app)
    async with demo_app.db.transaction() as session:  # a deactivated person is a stranger again
        await session.execute(update(User).where(User.code == "S206").values(active=False))
    refs = [*PEOPLE.values(), "S204", "S206", "stranger-1"]
    for ref in refs:
        await demo_app.engine.handle(said(ref, "/help"))
        async with demo_app.db.transaction() as session:
            key = ConversationKey(Platform.CONSOLE, ref, ref)
            opened = await open_for_message(session, key, demo_app.clock.now())
            expected = await person_for_identity(session, Platform.CONSOLE, ref)
        assert opened.person == expected, ref
    assert opened.person is None  # the stranger


async def test_an_unchanged_conversation_is_not_rewritten_until_its_lease_is_due(
    demo_app: App, clock: FixedClock
) -> None:
    await demo_app.engine.handle(said("T101", "/menu"))
    first = await conversation(demo_app, "T101")
    assert first is not None
    clock.advance(LEASE_RENEWAL / 2)
    await demo_app.engine.handle(said("T101", "/menu"))  # the same menu again: nothing to write
    second = await conversation(demo_app, "T101")
    assert second is not None
    assert (second.updated_at, second.expires_at) == (first.updated_at, first.expires_at)
    clock.advance(LEASE_RENEWAL)
    await demo_app.engine.handle(said("T101", "/menu"))
    renewed = await conversation(demo_app, "T101")
    assert renewed is not None
    assert renewed.expires_at == clock.now() + DEFAULT_TTL


async def test_a_conversation_used_within_its_lease_never_expires(
    demo_app: App, clock: FixedClock
) -> None:
    """Renewing the lease only every few minutes must not let an active conversation lapse."""
    newcomer = "newcomer-lease"
    await demo_app.engine.handle(said(newcomer, "NEWP-ART2", language_hint="en"))
    for _ in range(30):  # a message every hour, for longer than the 24-hour expiry
        clock.advance(timedelta(hours=1))
        await demo_app.engine.handle(said(newcomer, "/help", language_hint="en"))
    kept = await conversation(demo_app, newcomer)
    assert kept is not None
    assert kept.state == "onboarding.awaiting_name"
