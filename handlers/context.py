"""What a handler sees of one incoming message: who, where, the state, and how to answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.models import ConversationState
from domain.network import Person
from handlers.i18n import Translate, Translator
from handlers.router import MenuEntry, Router
from handlers.types import Attachment, Choice, Incoming, Reply


@dataclass(frozen=True, slots=True)
class Settings:
    """What the conversations need to know of the deployment."""

    default_locale: str = "zh_CN"
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True, slots=True)
class Button:
    action: str
    arg: str

    @property
    def number(self) -> int | None:
        """The argument as an id or page number; None for anything else a forger might send."""
        return whole_number(self.arg)


def whole_number(text: str, max_digits: int = 12) -> int | None:
    """ASCII digits only ("²" is a digit to str.isdigit and a crash to int)."""
    if text.isascii() and text.isdigit() and len(text) <= max_digits:
        return int(text)
    return None


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: str


@dataclass
class Context:
    incoming: Incoming
    session: AsyncSession
    clock: Clock
    translator: Translator
    settings: Settings
    routers: Sequence[Router]
    person: Person | None
    conversation: ConversationState
    locale: str
    button: Button | None = None
    command: Command | None = None
    replies: list[Reply] = field(default_factory=list)
    state_changed: bool = False

    @property
    def t(self) -> Translate:
        return self.translator.bind(self.locale)

    @property
    def text(self) -> str:
        return self.incoming.text.strip()

    # -- state ---------------------------------------------------------------------------

    @property
    def state(self) -> str | None:
        return self.conversation.state

    @property
    def data(self) -> Mapping[str, Any]:
        return self.conversation.data

    def goto(self, state: StrEnum, **data: Any) -> None:
        """Enter a state with fresh data; older buttons stop working."""
        self.conversation.state = state.value
        self.conversation.data = dict(data)
        self.state_changed = True

    def update(self, **data: Any) -> None:
        """Change the data of the current state (a new dict, so the JSON column notices)."""
        self.conversation.data = {**self.conversation.data, **data}
        self.state_changed = True

    def finish(self) -> None:
        if self.conversation.state is not None or self.conversation.data:
            self.conversation.state = None
            self.conversation.data = {}
            self.state_changed = True

    def set_locale(self, locale: str) -> None:
        self.locale = locale
        self.conversation.locale = locale

    # -- answers ---------------------------------------------------------------------------

    def reply(
        self,
        text: str,
        choices: Sequence[Choice] = (),
        *,
        columns: int = 1,
        takes_numbers: bool = True,
        image: Attachment | None = None,
        document: Attachment | None = None,
    ) -> None:
        self.replies.append(
            Reply(
                text,
                tuple(choices),
                columns=columns,
                takes_numbers=takes_numbers,
                image=image,
                document=document,
            )
        )

    def choice(self, label: str, action: str, arg: str | int = "") -> Choice:
        payload = f"{action}:{arg}" if arg != "" else action
        return Choice(label, payload)

    def menu_entries(self) -> list[MenuEntry]:
        if self.person is None:
            return []
        role = self.person.role
        entries = [e for router in self.routers for e in router.menu if role in e.roles]
        return sorted(entries, key=lambda e: e.order)

    def main_menu(self, text: str | None = None) -> None:
        t = self.t
        choices = [self.choice(t(entry.label), entry.action) for entry in self.menu_entries()]
        self.reply(text or t("Main menu — what would you like to do?"), choices, columns=2)
