"""Whatever anyone sends — any text, any payload — the engine answers and the database holds up."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.bootstrap import ROUTERS, App
from domain.enums import Platform
from domain.models import (
    ChatIdentity,
    ConversationState,
    Distributor,
    Invitation,
    Product,
    User,
)
from handlers.types import Incoming
from tests.handlers.engine_support import PEOPLE, add_admin, errors, payloads

SENDERS = [*PEOPLE.values(), "stranger-1", "stranger-2"]
ACTIONS = sorted({action for router in ROUTERS for action in router.buttons})
KNOWN_STATES = {state for router in ROUTERS for state in router.state_routes}

texts = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
    st.sampled_from(["/menu", "/help", "/cancel", "/lang en", "/start", "1", "2", "０", "/x"]),
    st.from_regex(r"[/／][a-z_]{1,12}(@[a-z_]{1,10})?( .{0,10})?", fullmatch=True),
    st.just("ABCD-EFGH"),
    st.text(min_size=4090, max_size=4200, alphabet="字a "),
)
payload_shapes = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.builds(lambda a, b: f"n:{a}:{b}", st.sampled_from(ACTIONS), st.text(max_size=12)),
    st.builds(
        lambda s, v, a, b: f"{s}:{v}:{a}:{b}",
        st.text(alphabet="0123456789abcdef", min_size=4, max_size=4),
        st.integers(-2, 50),
        st.sampled_from(ACTIONS),
        st.text(max_size=12),
    ),
    st.just("use the last menu"),  # replaced with a real stamped payload the sender was sent
)


async def counts(app: App) -> dict[str, Any]:
    """What no message may change: the network, its people, their chat accounts, invitations."""
    async with app.db.transaction() as session:
        return {
            model.__tablename__: await session.scalar(select(func.count()).select_from(model))
            for model in (Distributor, User, ChatIdentity, Invitation, Product)
        } | {"used": await session.scalar(select(func.count(Invitation.used_at)))}


async def assert_consistent(app: App) -> None:
    async with app.db.transaction() as session:
        for row in await session.scalars(select(ConversationState)):
            assert row.version >= 0
            assert row.state is None or row.state in KNOWN_STATES, row.state
            assert isinstance(row.data, dict)
            assert all(isinstance(choice, list) and len(choice) == 2 for choice in row.menu)
            for _label, payload in row.menu:
                if not payload.startswith("n:"):
                    assert payload.startswith(f"{row.secret}:{row.version}:"), payload


@pytest.fixture
async def everyone(demo_app: App) -> App:
    """The demo network plus an administrator, so every role is among the senders."""
    await add_admin(demo_app)
    return demo_app


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    sender=st.sampled_from(SENDERS),
    platform=st.sampled_from([Platform.CONSOLE, Platform.TELEGRAM]),
    text=texts,
    payload=payload_shapes,
    hint=st.sampled_from([None, "en", "zh-hans", "fr", ""]),
)
async def test_any_message_is_answered_and_leaves_the_database_consistent(
    everyone: App,
    sender: str,
    platform: Platform,
    text: str,
    payload: str | None,
    hint: str | None,
) -> None:
    app = everyone
    before = await counts(app)
    if payload == "use the last menu":
        last = await app.engine.handle(Incoming(platform, sender, sender, "/menu"))
        offered = payloads(last)
        payload = offered[-1] if offered else None
    replies = await app.engine.handle(
        Incoming(platform, sender, sender, text, payload, language_hint=hint)
    )
    assert replies
    assert all(reply.text for reply in replies)
    assert errors(app, platform) == 0
    assert await counts(app) == before
    await assert_consistent(app)
