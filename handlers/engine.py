"""The conversation engine: one incoming message in, replies out, in one database transaction."""

from __future__ import annotations

import asyncio
import logging
import time
import unicodedata
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.conversations import (
    DEFAULT_TTL,
    ConversationKey,
    open_for_message,
    save_conversation,
)
from domain.db import Database
from domain.models import ConversationState
from domain.outbox import NOTICE_PREFIX
from handlers.context import Button, Command, Context, Settings
from handlers.i18n import Translator, resolve_locale
from handlers.router import CommandRoute, Route, Router
from handlers.types import Choice, Incoming, Reply

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_REF = 128


class Observer(Protocol):
    """Told about every message, for metrics; the engine does not know who listens."""

    def handled(self, platform: str, seconds: float) -> None: ...

    def failed(self, platform: str) -> None: ...


class Envelope(Protocol):
    """A chat adapter's part of one message's transaction (Telegram: claim the update, resolve
    its button, keep the menus it shows), so that it commits or rolls back with the message's
    effect. The engine knows nothing of the platform behind it."""

    async def opening(self, session: AsyncSession, incoming: Incoming) -> Incoming | None:
        """First in the transaction: the message as the engine should see it, or None when
        this delivery has had its effect already (then nothing is done and nothing said)."""
        ...

    async def closing(self, session: AsyncSession, replies: Sequence[Reply]) -> None:
        """Last before the commit, with the replies as they will be sent."""
        ...


class NullObserver:
    def handled(self, platform: str, seconds: float) -> None:
        pass

    def failed(self, platform: str) -> None:
        pass


class KeyedLocks:
    """One asyncio lock per conversation, dropped when nobody waits for it."""

    def __init__(self) -> None:
        self._locks: dict[ConversationKey, tuple[asyncio.Lock, list[int]]] = {}

    @asynccontextmanager
    async def hold(self, key: ConversationKey) -> AsyncIterator[None]:
        entry = self._locks.get(key)
        if entry is None:
            entry = self._locks[key] = (asyncio.Lock(), [0])
        lock, users = entry
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._locks[key]


def clean_text(text: str) -> str:
    """Drop control characters and lone surrogates that no database column should hold."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def _usable_ref(ref: str, *, empty: bool = False) -> bool:
    """A sender or chat reference the database can key a conversation by, unchanged."""
    return (bool(ref) or empty) and len(ref) <= MAX_REF and clean_text(ref) == ref


def parse_command(text: str) -> Command | None:
    """`/help`, `／help`, `/help@partnerbot args`: the command name lowercased, and the rest."""
    folded = unicodedata.normalize("NFKC", text.strip())
    if not folded.startswith("/") or len(folded) < 2:
        return None
    head, _, args = folded[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    if not name or not all(ch.isalnum() or ch == "_" for ch in name):
        return None
    return Command(name, args.strip())


def stamp(payload: str, conversation: ConversationState) -> str:
    return f"{conversation.secret}:{conversation.version}:{payload}"


def unstamp(payload: str, conversation: ConversationState) -> Button | None:
    """The button behind a payload, if it belongs to this conversation's current state."""
    secret, _, rest = payload.partition(":")
    version, _, inner = rest.partition(":")
    if secret != conversation.secret or version != str(conversation.version) or not inner:
        return None
    action, _, arg = inner.partition(":")
    return Button(action, arg)


class Engine:
    def __init__(
        self,
        db: Database,
        translator: Translator,
        routers: Sequence[Router],
        clock: Clock,
        settings: Settings,
        observer: Observer | None = None,
        ttl: timedelta = DEFAULT_TTL,
    ) -> None:
        self.db = db
        self.translator = translator
        self.routers = tuple(routers)
        self.clock = clock
        self.settings = settings
        self.observer = observer or NullObserver()
        self.ttl = ttl
        self._locks = KeyedLocks()
        self.commands: dict[str, CommandRoute] = {}
        self._buttons: dict[str, Route] = {}
        self._states: dict[str, Route] = {}
        self._texts: list[tuple[object, Route]] = []
        for router in self.routers:  # fixed order: the first router to claim a name keeps it
            for name, command in router.commands.items():
                self.commands.setdefault(name, command)
            for action, route in router.buttons.items():
                self._buttons.setdefault(action, route)
            for state, route in router.state_routes.items():
                self._states.setdefault(state, route)
            self._texts.extend(router.text_routes)

    async def handle(self, incoming: Incoming, envelope: Envelope | None = None) -> list[Reply]:
        started = time.perf_counter()
        platform = incoming.platform.value
        if not _usable_ref(incoming.user_ref) or not _usable_ref(incoming.chat_ref, empty=True):
            log.warning("dropped a message with an unusable sender or chat reference")
            return []
        key = ConversationKey(incoming.platform, incoming.chat_ref, incoming.user_ref)
        async with self._locks.hold(key):
            try:
                replies = await self._handle(incoming, key, envelope)
            except Exception:
                log.exception("handling a %s message failed; nothing was changed", platform)
                self.observer.failed(platform)
                locale = resolve_locale(incoming.language_hint, self.settings.default_locale)
                t = self.translator.bind(locale)
                replies = [
                    Reply(
                        t(
                            "Sorry, something went wrong on our side and nothing was changed. "
                            "Please try again in a moment."
                        )
                    )
                ]
        self.observer.handled(platform, time.perf_counter() - started)
        return replies

    async def _handle(
        self, incoming: Incoming, key: ConversationKey, envelope: Envelope | None
    ) -> list[Reply]:
        async with self.db.transaction() as session:
            if envelope is not None:
                opened_as = await envelope.opening(session, incoming)
                if opened_as is None:
                    return []
                incoming = opened_as
            now = self.clock.now()
            opened = await open_for_message(session, key, now, self.ttl)
            conversation, person = opened.conversation, opened.person
            default = self.settings.default_locale
            locale = (
                person.locale
                if person
                else conversation.locale or resolve_locale(incoming.language_hint, default)
            )
            ctx = Context(
                incoming=replace(
                    incoming,
                    text=clean_text(incoming.text),
                    display_name=clean_text(incoming.display_name),
                ),
                session=session,
                clock=self.clock,
                translator=self.translator,
                settings=self.settings,
                routers=self.routers,
                person=person,
                conversation=conversation,
                locale=locale,
            )
            refused = await self._dispatch(ctx)
            if ctx.state_changed:
                conversation.version += 1
            replies = [self._stamp_reply(reply, conversation) for reply in ctx.replies]
            if not refused:  # a refusal leaves the options on screen as they were
                self._remember_menu(replies, conversation)
            await save_conversation(session, opened, now, self.ttl)
            if envelope is not None:
                await envelope.closing(session, replies)
        return replies

    def _stamp_reply(self, reply: Reply, conversation: ConversationState) -> Reply:
        if not reply.choices:
            return reply
        stamped = tuple(
            c
            if c.payload.startswith(NOTICE_PREFIX)
            else Choice(c.label, stamp(c.payload, conversation))
            for c in reply.choices
        )
        return replace(reply, choices=stamped)

    @staticmethod
    def _remember_menu(replies: Sequence[Reply], conversation: ConversationState) -> None:
        """Keep the latest choices so a typed number or label can stand for a button."""
        for reply in reversed(replies):
            if reply.choices:
                conversation.menu = [[c.label, c.payload] for c in reply.choices]
                conversation.menu_takes_numbers = reply.takes_numbers
                return
        if replies:
            conversation.menu = []
            conversation.menu_takes_numbers = False

    def _typed_choice(self, ctx: Context) -> str | None:
        text = unicodedata.normalize("NFKC", ctx.text).strip()
        menu = ctx.conversation.menu
        if not text or not menu:
            return None
        numbered = ctx.conversation.menu_takes_numbers and not ctx.incoming.platform.has_buttons
        # isdecimal, not isdigit: "²" or "𐩀" are digits that int() refuses.
        if numbered and text.isdecimal() and 1 <= int(text) <= len(menu):
            return str(menu[int(text) - 1][1])
        folded = text.casefold()
        for label, payload in menu:
            if str(label).casefold() == folded:
                return str(payload)
        return None

    async def _dispatch(self, ctx: Context) -> bool:
        """Route the message; True when the answer is a refusal that must change nothing."""
        t = ctx.t
        if len(ctx.incoming.text) > MAX_TEXT:
            ctx.reply(
                t(
                    "That message is too long for me ({count} characters). "
                    "Please keep it under {limit}.",
                    count=len(ctx.incoming.text),
                    limit=MAX_TEXT,
                )
            )
            return True
        payload = ctx.incoming.payload or self._typed_choice(ctx)
        if payload is not None:
            return await self._press(ctx, payload)
        command = parse_command(ctx.text)
        if command is not None:
            found = self.commands.get(command.name)
            if found is None:
                ctx.reply(
                    t(
                        "I don't know the command /{name}. Send /help to see what I can do.",
                        name=command.name[:32],
                    )
                )
                return True
            ctx.command = command
            return await self._run(ctx, found.route)
        entry = self._typed_menu_entry(ctx)
        if entry is not None:
            # "订货" / "My orders" typed from memory works like the main menu's button.
            ctx.button = Button(entry, "")
            return await self._run(ctx, self._buttons[entry])
        if ctx.state is not None and ctx.state in self._states:
            route = self._states[ctx.state]
            if self._applies(ctx, route):
                return await self._run(ctx, route)
            # The state was entered by someone this sender no longer is (a stranger who has
            # joined since, in another chat; a person since deactivated): it is not theirs.
            ctx.finish()
        for matcher, route in self._texts:
            if self._applies(ctx, route) and ctx.text and matcher(ctx.text):  # type: ignore[operator]
                return await self._run(ctx, route)
        if not ctx.text:
            ctx.reply(t("I can read text messages and buttons. Send /menu to see what I can do."))
            return True
        ctx.main_menu(t("Sorry, I didn't understand that. Here is what I can do:"))
        return False

    def _typed_menu_entry(self, ctx: Context) -> str | None:
        """The main-menu action whose label (in the reader's language) is exactly this text."""
        folded = unicodedata.normalize("NFKC", ctx.text).strip().casefold()
        if not folded or ctx.person is None:
            return None
        if ctx.state is not None and not ctx.conversation.menu_takes_numbers:
            return None  # the bot asked for free text (a name, a reason): take it as such
        for entry in ctx.menu_entries():
            if ctx.t(entry.label).casefold() == folded and entry.action in self._buttons:
                return entry.action
        return None

    async def _press(self, ctx: Context, payload: str) -> bool:
        button: Button | None = None
        route: Route | None = None
        if clean_text(payload) != payload:
            pass  # control characters or broken text: not a payload we ever sent
        elif payload.startswith(NOTICE_PREFIX):
            action, _, arg = payload[len(NOTICE_PREFIX) :].partition(":")
            button = Button(action, arg)
            route = self._buttons.get(action)
            if route is not None and not route.notice:
                route = None
        else:
            button = unstamp(payload, ctx.conversation)
            route = self._buttons.get(button.action) if button else None
        if button is None or route is None:
            ctx.reply(ctx.t("This menu has expired. Send /menu for a fresh one."))
            return True
        ctx.button = button
        return await self._run(ctx, route)

    @staticmethod
    def _applies(ctx: Context, route: Route) -> bool:
        if ctx.person is None:
            return route.guest
        return ctx.person.role in route.roles

    async def _run(self, ctx: Context, route: Route) -> bool:
        """Run the handler if the sender may; True when refused (server-side permission check)."""
        if self._applies(ctx, route):
            await route.handler(ctx)
            return False
        if ctx.person is None:
            ctx.reply(ctx.t("Please join first: send the invitation code you were given."))
        else:
            ctx.reply(ctx.t("Sorry, that is not available to you."))
        return True
