"""Every button and command of every router, tried by every role and a stranger, forged or not.

The list comes from the routers the application is built with, so a new feature is covered the
moment it is registered. A person must never reach a route outside its roles; a refused try must
change nothing; a reachable one must not fail, whatever argument is forged into it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from sqlalchemy import select

from bot.bootstrap import ROUTERS, App
from domain.enums import SUPPORTED_LOCALES, Role
from domain.models import ConversationState, Distributor, User
from domain.outbox import NOTICE_PREFIX
from handlers.context import Context
from handlers.engine import Engine
from handlers.router import CommandRoute, Handler, Route, Router
from handlers.types import Incoming
from tests.handlers.engine_support import (
    EXPIRED_EN,
    JOIN_FIRST_EN,
    NOT_AVAILABLE_EN,
    PEOPLE,
    STRANGER,
    add_admin,
    conversation,
    errors,
    everyone_speaks_english,
    forge,
    pressed,
    said,
    snapshot,
    texts,
)

# Arguments a tampering client might put after an action: ids in and out of scope, junk.
FORGED_ARGS = ["", "1", "2", "8", "-1", "99999999999999", "abc", "²", "x" * 300]
FORGED_COMMAND_ARGS = ["", "1", "zh_CN", "ABCD-EFGH", "x" * 300]
WHO = [*PEOPLE.items(), (None, STRANGER)]


@dataclass(frozen=True, slots=True)
class Entered:
    """A route's handler was entered by this sender."""

    route: str
    role: Role | None


def spy_on(routers: tuple[Router, ...], entered: list[Entered]) -> tuple[Router, ...]:
    """The same routers, each handler noting who entered it before it runs as usual."""

    def spied(name: str, route: Route) -> Route:
        real: Handler = route.handler

        async def handler(ctx: Context) -> None:
            entered.append(Entered(name, ctx.person.role if ctx.person else None))
            await real(ctx)

        return replace(route, handler=handler)

    copies = []
    for router in routers:
        copies.append(
            Router(
                router.name,
                router.states,
                commands={
                    n: CommandRoute(spied(f"/{n}", c.route), c.name, c.description)
                    for n, c in router.commands.items()
                },
                buttons={a: spied(a, r) for a, r in router.buttons.items()},
                state_routes={s: spied(s, r) for s, r in router.state_routes.items()},
                text_routes=[(m, spied(f"{router.name} text", r)) for m, r in router.text_routes],
                menu=list(router.menu),
            )
        )
    return tuple(copies)


def may_enter(route: Route, role: Role | None) -> bool:
    return route.guest if role is None else role in route.roles


def buttons() -> Iterator[tuple[str, Route]]:
    seen: set[str] = set()
    for router in ROUTERS:
        for action, route in router.buttons.items():
            if action not in seen:
                seen.add(action)
                yield action, route


def commands() -> Iterator[tuple[str, Route]]:
    seen: set[str] = set()
    for router in ROUTERS:
        for name, command in router.commands.items():
            if name not in seen:
                seen.add(name)
                yield name, command.route


@pytest.fixture
async def spied(demo_app: App) -> tuple[App, list[Entered]]:
    await add_admin(demo_app)
    await everyone_speaks_english(demo_app)
    entered: list[Entered] = []
    old = demo_app.engine
    demo_app.engine = Engine(
        old.db,
        old.translator,
        spy_on(tuple(ROUTERS), entered),
        old.clock,
        old.settings,
        observer=demo_app.metrics,
    )
    return demo_app, entered


def test_the_routers_have_buttons_and_commands_to_try() -> None:
    assert len(list(buttons())) >= 5
    assert {"start", "help", "menu", "cancel", "lang"} <= {name for name, _ in commands()}


def test_menu_entries_only_offer_what_their_roles_may_press() -> None:
    routes = dict(buttons())
    for router in ROUTERS:
        for entry in router.menu:
            assert entry.action in routes, entry
            assert entry.roles <= routes[entry.action].roles, entry


def refusals(app: App, role: Role | None) -> set[str]:
    message = JOIN_FIRST_EN if role is None else NOT_AVAILABLE_EN
    return {app.translator.gettext(locale, message) for locale in SUPPORTED_LOCALES}


def expired(app: App) -> set[str]:
    return {app.translator.gettext(locale, EXPIRED_EN) for locale in SUPPORTED_LOCALES}


async def refused_without_effect(
    app: App, entered: list[Entered], tries: list[Incoming], answers: set[str]
) -> None:
    """Each try is refused with one of `answers`, enters no handler, and all change nothing."""
    before = await snapshot(app)
    for incoming in tries:
        entered.clear()
        replies = await app.engine.handle(incoming)
        assert texts(replies) in answers, incoming
        assert entered == [], incoming
    assert await snapshot(app) == before
    assert errors(app) == 0


@pytest.mark.parametrize(("role", "ref"), WHO, ids=[str(role) for role, _ in WHO])
async def test_every_button_with_forged_arguments(
    spied: tuple[App, list[Entered]], role: Role | None, ref: str
) -> None:
    app, entered = spied
    await app.engine.handle(said(ref, "/help", language_hint="en"))
    stamp = await forge(app, ref, "")  # refusals change no version, so one stamp serves them all

    def press(payload: str) -> Incoming:
        return pressed(ref, payload, language_hint="en")

    everything = list(buttons())
    forbidden = [
        press(f"{stamp}{action}{suffix}")
        for action, route in everything
        if not may_enter(route, role)
        for suffix in ("", ":1")
    ]
    await refused_without_effect(app, entered, forbidden, refusals(app, role))
    # Outside the notice routes, a press without a stamp is just expired, whoever sends it.
    unstamped = [
        press(f"{NOTICE_PREFIX}{action}{suffix}")
        for action, route in everything
        if not route.notice
        for suffix in ("", ":1")
    ]
    await refused_without_effect(app, entered, unstamped, expired(app))
    for action, route in everything:
        if not may_enter(route, role):
            continue
        for arg in FORGED_ARGS:
            inner = f"{action}:{arg}" if arg else action
            entered.clear()
            assert await app.engine.handle(press(await forge(app, ref, inner))), inner
            assert entered[:1] == [Entered(action, role)], inner
            assert errors(app) == 0, inner


@pytest.mark.parametrize(("role", "ref"), WHO, ids=[str(role) for role, _ in WHO])
async def test_every_command_with_forged_arguments(
    spied: tuple[App, list[Entered]], role: Role | None, ref: str
) -> None:
    app, entered = spied
    await app.engine.handle(said(ref, "/help", language_hint="en"))  # the conversation exists

    def tries(name: str) -> list[Incoming]:
        spellings = [f"/{name}", f"／{name}", f"/{name.upper()}@partnerbot_bot"]
        texts = spellings + [f"/{name} {arg}" for arg in FORGED_COMMAND_ARGS if arg]
        return [said(ref, text, language_hint="en") for text in texts]

    everything = list(commands())
    forbidden = [t for name, route in everything if not may_enter(route, role) for t in tries(name)]
    await refused_without_effect(app, entered, forbidden, refusals(app, role))
    for name, route in everything:
        if not may_enter(route, role):
            continue
        for incoming in tries(name):
            entered.clear()
            assert await app.engine.handle(incoming), incoming.text
            assert entered[:1] == [Entered(f"/{name}", role)], incoming.text
            assert errors(app) == 0, incoming.text
            await app.engine.handle(said(ref, "/cancel", language_hint="en"))


@pytest.mark.parametrize(("role", "ref"), WHO, ids=[str(role) for role, _ in WHO])
async def test_a_state_of_another_role_does_not_let_its_handler_run(
    spied: tuple[App, list[Entered]], role: Role | None, ref: str
) -> None:
    """A conversation left in a state its sender may not use is dropped, not obeyed."""
    app, entered = spied
    # Only states the sender may not be in: a state's data is its handlers' own business.
    foreign = [
        state
        for router in ROUTERS
        for state, route in router.state_routes.items()
        if not may_enter(route, role)
    ]
    for state in foreign:
        await app.engine.handle(said(ref, "/help", language_hint="en"))
        async with app.db.transaction() as session:
            found = await session.get(ConversationState, ("console", ref, ref))
            assert found is not None
            found.state = state
        entered.clear()
        replies = await app.engine.handle(said(ref, "ABCD-EFGH", language_hint="en"))
        assert replies
        assert errors(app) == 0
        assert Entered(state, role) not in entered
        assert not refusals(app, role) & {texts(replies)}
        after = await conversation(app, ref)
        assert after is not None
        assert after.state != state


async def test_a_person_sees_only_distributors_in_their_scope(
    spied: tuple[App, list[Entered]],
) -> None:
    app, _ = spied
    async with app.db.transaction() as session:
        distributors = list(await session.scalars(select(Distributor).order_by(Distributor.id)))
        users = {u.code: u for u in await session.scalars(select(User))}

    def in_scope(code: str, distributor: Distributor) -> bool:
        user = users[code]
        match Role(user.role):
            case Role.MANAGER | Role.ADMIN:
                return True
            case Role.FIELD_REP:
                return distributor.rep_id == user.id
            case Role.TIER1_STAFF:
                return user.distributor_id in (distributor.id, distributor.parent_id)
            case Role.DISTRIBUTOR_STAFF:
                return distributor.id == user.distributor_id
        return False

    for role, code in PEOPLE.items():
        await app.engine.handle(said(code, "/menu"))
        for distributor in distributors:
            payload = await forge(app, code, f"network.card:{distributor.id}")
            shown = texts(await app.engine.handle(pressed(code, payload)))
            visible = f"({distributor.code})" in shown
            may_see = role in (Role.TIER1_STAFF, Role.FIELD_REP, Role.MANAGER, Role.ADMIN)
            assert visible == (may_see and in_scope(code, distributor)), (code, distributor.code)
