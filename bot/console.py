"""The terminal adapter: the demo's chat window and the test harness for transcripts."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update

from domain.conversations import ConversationKey, offer_menu
from domain.db import Database
from domain.enums import Platform, Role
from domain.models import ChatIdentity, User
from domain.outbox import OutboxStatus, queued_for
from handlers.engine import Engine
from handlers.formatting import role_name
from handlers.i18n import N_, Translate, Translator
from handlers.types import Incoming, Reply

NEWCOMER = "newcomer"
ROLE_ALIASES = {
    "distributor": Role.DISTRIBUTOR_STAFF,
    "tier1": Role.TIER1_STAFF,
    "rep": Role.FIELD_REP,
    "manager": Role.MANAGER,
    "admin": Role.ADMIN,
}


@dataclass(frozen=True, slots=True)
class ConsolePerson:
    ref: str  # the console identity's external id
    name: str
    role: Role | None  # None: not joined yet


def render(replies: Sequence[Reply], t: Translate | None = None) -> str:
    """Replies as a terminal shows them: text, then numbered options, then files by name."""

    def say(message: str, **params: object) -> str:
        return t(message, **params) if t else message.format(**params)

    blocks = []
    for reply in replies:
        lines = [reply.text]
        lines += [f"  [{n}] {choice.label}" for n, choice in enumerate(reply.choices, 1)]
        if reply.image:
            lines.append("  " + say(N_("(image: {name})"), name=reply.image.filename))
        if reply.document:
            lines.append("  " + say(N_("(document: {name})"), name=reply.document.filename))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


class ConsoleChat:
    """One terminal, any demo person; `/switch` changes who is typing."""

    def __init__(self, engine: Engine, db: Database, translator: Translator, locale: str) -> None:
        self.engine = engine
        self.db = db
        self.translator = translator
        self.locale = locale
        self.person = ConsolePerson(NEWCOMER, NEWCOMER, None)

    @property
    def t(self) -> Translate:
        return self.translator.bind(self.locale)

    async def people(self) -> list[ConsolePerson]:
        async with self.db.transaction() as session:
            rows = await session.execute(
                select(ChatIdentity.external_id, User.name, User.role)
                .join(User, User.id == ChatIdentity.user_id)
                .where(ChatIdentity.platform == Platform.CONSOLE.value)
                .order_by(User.id)
            )
            known = [ConsolePerson(ref, name, Role(role)) for ref, name, role in rows]
        if not any(person.ref == NEWCOMER for person in known):
            known.append(ConsolePerson(NEWCOMER, self.t("a newcomer with an invitation"), None))
        return known

    async def switch(self, wanted: str) -> str:
        """Become another person by role alias, code or list number; shows the list if unclear."""
        people = await self.people()
        wanted = wanted.strip()
        chosen: ConsolePerson | None = None
        if wanted.isdecimal() and 1 <= int(wanted) <= len(people):
            chosen = people[int(wanted) - 1]
        elif wanted.lower() in ROLE_ALIASES:
            role = ROLE_ALIASES[wanted.lower()]
            chosen = next((p for p in people if p.role is role), None)
        elif wanted:
            chosen = next(
                (
                    p
                    for p in people
                    if p.ref.lower() == wanted.lower()
                    or p.name == wanted
                    or (p.ref == NEWCOMER and wanted == NEWCOMER)
                ),
                None,
            )
        if chosen is None:
            return self._people_list(people)
        self.person = chosen
        switched = self.t("You are now {name}.", name=self._describe(chosen))
        notices = await self.show_notices()
        return f"{switched}\n\n{notices}" if notices else switched

    async def show_notices(self) -> str:
        """What others sent this person while they were away (approvals, status changes…).

        The console stands in for the outbox sender here: the notices are shown once and the
        last one's choices become the menu, so typing its number answers it.
        """
        async with self.db.transaction() as session:
            user_id = await session.scalar(
                select(ChatIdentity.user_id).where(
                    ChatIdentity.platform == Platform.CONSOLE.value,
                    ChatIdentity.external_id == self.person.ref,
                )
            )
            if user_id is None:
                return ""
            waiting = await queued_for(session, user_id)
            if not waiting:
                return ""
            blocks = [self.t("While you were away ({count}):", count=len(waiting))]
            menu: list[list[str]] = []  # numbered across all notices, so each number is unique
            for message in waiting:
                lines = [f"✉ {message.body.get('text', '')}"]
                for label, payload in message.body.get("choices") or []:
                    menu.append([label, payload])
                    lines.append(f"  [{len(menu)}] {label}")
                blocks.append("\n".join(lines))
                message.status = OutboxStatus.SHOWN.value
                message.sent_at = self.engine.clock.now()
            if menu:
                key = ConversationKey(Platform.CONSOLE, self.person.ref, self.person.ref)
                await offer_menu(session, key, self.engine.clock.now(), menu)
        return "\n\n".join(blocks)

    def _describe(self, person: ConsolePerson) -> str:
        if person.role is None:
            return person.name
        return self.t("{name} ({role})", name=person.name, role=role_name(self.t, person.role))

    def _people_list(self, people: Sequence[ConsolePerson]) -> str:
        lines = [self.t("Who do you want to be? Send /switch and a number:")]
        lines += [f"  [{n}] {self._describe(p)}" for n, p in enumerate(people, 1)]
        return "\n".join(lines)

    async def set_everyones_language(self, locale: str) -> None:
        self.locale = locale
        async with self.db.transaction() as session:
            await session.execute(update(User).values(locale=locale))

    async def say(self, text: str) -> str:
        """One line typed at the terminal; returns what the terminal prints back."""
        stripped = text.strip()
        if stripped.split(" ", 1)[0].lower() == "/switch":
            return await self.switch(stripped[len("/switch") :])
        incoming = Incoming(
            platform=Platform.CONSOLE,
            user_ref=self.person.ref,
            chat_ref=self.person.ref,
            text=text,
            display_name="" if self.person.ref == NEWCOMER else self.person.name,
            language_hint=self.locale,
        )
        return render(await self.engine.handle(incoming), self.t)

    def prompt(self) -> str:
        return f"{self.person.name}> "


async def interactive(chat: ConsoleChat) -> None:
    """Read lines until end of input or /quit."""
    print(chat.t("Type /help for help, /switch to change person, /quit to leave."))
    while True:
        try:
            line = await asyncio.to_thread(input, chat.prompt())
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if line.strip().lower() in ("/quit", "/exit"):
            return
        print(await chat.say(line))
        print()


async def play_script(chat: ConsoleChat, lines: Sequence[str]) -> str:
    """Play lines non-interactively; the transcript shows who typed what and the answers."""
    out = []
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        out.append(f"{chat.prompt()}{line}")
        out.append(await chat.say(line))
        out.append("")
    return "\n".join(out)
