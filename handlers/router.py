"""Feature routers: each feature module declares its commands, buttons, states and menu entries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from domain.enums import Role

if TYPE_CHECKING:
    from handlers.context import Context

Handler = Callable[["Context"], Awaitable[None]]
TextMatcher = Callable[[str], bool]

EVERYONE: frozenset[Role] = frozenset(Role)


@dataclass(frozen=True, slots=True)
class Route:
    handler: Handler
    roles: frozenset[Role]
    guest: bool = False  # reachable by a chat account that has not joined yet
    notice: bool = False  # also pressed from a notice (outbox), unbound to conversation state


@dataclass(frozen=True, slots=True)
class CommandRoute:
    route: Route
    name: str
    description: str  # msgid, shown in /help and platform command menus


@dataclass(frozen=True, slots=True)
class MenuEntry:
    label: str  # msgid
    action: str
    roles: frozenset[Role]
    order: int


@dataclass
class Router:
    """The routes of one feature. Action names are prefixed with the router's name."""

    name: str
    states: type[StrEnum] | None = None
    commands: dict[str, CommandRoute] = field(default_factory=dict)
    buttons: dict[str, Route] = field(default_factory=dict)
    state_routes: dict[str, Route] = field(default_factory=dict)
    text_routes: list[tuple[TextMatcher, Route]] = field(default_factory=list)
    menu: list[MenuEntry] = field(default_factory=list)

    def action(self, short: str) -> str:
        return f"{self.name}.{short}"

    def command(
        self,
        name: str,
        description: str,
        *,
        roles: Iterable[Role] = EVERYONE,
        guest: bool = False,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            route = Route(handler, frozenset(roles), guest)
            self.commands[name] = CommandRoute(route, name, description)
            return handler

        return register

    def button(
        self,
        short: str,
        *,
        roles: Iterable[Role] = EVERYONE,
        guest: bool = False,
        notice: bool = False,
    ) -> Callable[[Handler], Handler]:
        """A button handler. `notice=True` also accepts presses from notices sent through the
        outbox (payload "n:<action>:<arg>"), which carry no conversation stamp: such a handler
        must check the person's right to act and the current state of what it acts on."""

        def register(handler: Handler) -> Handler:
            self.buttons[self.action(short)] = Route(handler, frozenset(roles), guest, notice)
            return handler

        return register

    def on_state(
        self, state: StrEnum, *, roles: Iterable[Role] = EVERYONE, guest: bool = False
    ) -> Callable[[Handler], Handler]:
        if self.states is None or not isinstance(state, self.states):
            raise TypeError(f"{state!r} is not a state of router {self.name}")

        def register(handler: Handler) -> Handler:
            self.state_routes[state.value] = Route(handler, frozenset(roles), guest)
            return handler

        return register

    def on_text(
        self, matcher: TextMatcher, *, roles: Iterable[Role] = EVERYONE, guest: bool = False
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.text_routes.append((matcher, Route(handler, frozenset(roles), guest)))
            return handler

        return register

    def menu_entry(
        self, label: str, short: str, *, roles: Iterable[Role] = EVERYONE, order: int = 100
    ) -> None:
        self.menu.append(MenuEntry(label, self.action(short), frozenset(roles), order))
