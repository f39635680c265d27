"""/start, /help, /menu, /cancel and /lang answer in every state of every router, for everyone."""

from __future__ import annotations

import pytest

from bot.bootstrap import ROUTERS, App
from domain.enums import SUPPORTED_LOCALES, Role
from domain.models import ConversationState
from handlers.onboarding import OnboardingState
from tests.handlers.engine_support import (
    JOIN_FIRST_EN,
    NOT_AVAILABLE_EN,
    PEOPLE,
    STRANGER,
    add_admin,
    conversation,
    errors,
    everyone_speaks_english,
    said,
    texts,
)

STATES = [None, *(state for router in ROUTERS for state in router.state_routes)]
EVERYWHERE = ["/help", "/menu", "/cancel", "/lang", "/lang en", "/lang 中文", "/start"]
WHO = [*PEOPLE.items(), (None, STRANGER)]


async def put_in_state(app: App, ref: str, state: str | None) -> None:
    await app.engine.handle(said(ref, "/help", language_hint="en"))
    async with app.db.transaction() as session:
        found = await session.get(ConversationState, ("console", ref, ref))
        assert found is not None
        found.state = state
        found.locale = "en"


@pytest.mark.parametrize(("role", "ref"), WHO, ids=[str(role) for role, _ in WHO])
async def test_global_commands_work_in_every_state(
    demo_app: App, role: Role | None, ref: str
) -> None:
    await add_admin(demo_app)
    await everyone_speaks_english(demo_app)
    refusals = {
        demo_app.translator.gettext(locale, message)
        for locale in SUPPORTED_LOCALES
        for message in (NOT_AVAILABLE_EN, JOIN_FIRST_EN)
    }
    for state, command in ((state, command) for state in STATES for command in EVERYWHERE):
        await put_in_state(demo_app, ref, state)
        replies = await demo_app.engine.handle(said(ref, command, language_hint="en"))
        assert replies, (state, command)
        assert texts(replies) not in refusals, (state, command)
        assert errors(demo_app) == 0, (state, command)
        after = await conversation(demo_app, ref)
        assert after is not None
        if command in ("/menu", "/cancel", "/start"):
            # Whatever was going on is over; a stranger is (again) asked for a code.
            expected = None if role is not None else OnboardingState.AWAITING_CODE.value
            assert after.state == expected, (state, command)


async def test_cancel_mid_onboarding_says_nothing_was_saved(demo_app: App) -> None:
    await everyone_speaks_english(demo_app)
    newcomer = "newcomer-cancel"
    await demo_app.engine.handle(said(newcomer, "NEWP-ART2", language_hint="en"))
    replies = await demo_app.engine.handle(said(newcomer, "/cancel"))
    assert "Cancelled; nothing was saved." in texts(replies)
    assert any(reply.choices for reply in replies)
