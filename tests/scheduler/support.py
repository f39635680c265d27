"""Small honest fakes and builders for the scheduler tests (no mocks of our own code)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.db import Database
from domain.delivery import Delivery, DeliveryOutcome, OutgoingMessage, Recipient
from domain.enums import Platform, Role
from domain.models import ChatIdentity, Distributor, OutboxMessage, User
from scheduler.pacing import Timer, VirtualTimer


@dataclass(frozen=True, slots=True)
class SentMessage:
    recipient: Recipient
    message: OutgoingMessage
    at: float


@dataclass
class RecordingMessenger:
    """A platform that accepts everything, except what a test scripts per chat."""

    platform: Platform = Platform.TELEGRAM
    timer: Timer = field(default_factory=VirtualTimer)
    script: dict[str, list[Delivery]] = field(default_factory=dict)
    sent: list[SentMessage] = field(default_factory=list)
    attempts: list[SentMessage] = field(default_factory=list)

    async def send(self, recipient: Recipient, message: OutgoingMessage) -> Delivery:
        record = SentMessage(recipient, message, self.timer.monotonic())
        self.attempts.append(record)
        scripted = self.script.get(recipient.chat_ref)
        if scripted:
            outcome = scripted.pop(0)
            if outcome.outcome is not DeliveryOutcome.DELIVERED:
                return outcome
        self.sent.append(record)
        return Delivery(DeliveryOutcome.DELIVERED)

    def texts_to(self, chat_ref: str) -> list[str]:
        return [sent.message.text for sent in self.sent if sent.recipient.chat_ref == chat_ref]


async def add_distributor(
    session: AsyncSession, code: str, name: str, joined_on: date = date(2020, 5, 1)
) -> Distributor:
    distributor = Distributor(
        code=code,
        name=name,
        tier=2,
        province="广东",
        city="深圳",
        grade="B",
        status="active",
        joined_on=joined_on,
    )
    session.add(distributor)
    await session.flush()
    return distributor


async def add_person(
    session: AsyncSession,
    now: datetime,
    code: str,
    *,
    name: str | None = None,
    locale: str = "zh_CN",
    timezone: str = "Asia/Shanghai",
    role: Role = Role.DISTRIBUTOR_STAFF,
    distributor_id: int | None = None,
    identities: Iterable[tuple[Platform, str]] = (),
) -> User:
    user = User(
        code=code,
        name=name or code,
        role=role.value,
        distributor_id=distributor_id,
        locale=locale,
        timezone=timezone,
        active=True,
        created_at=now,
    )
    session.add(user)
    await session.flush()
    for platform, external_id in identities:
        session.add(
            ChatIdentity(
                platform=platform.value,
                external_id=external_id,
                chat_ref=external_id,
                user_id=user.id,
                display_name=user.name,
                bound_at=now,
            )
        )
    await session.flush()
    return user


async def bind_telegram_to_demo_people(db: Database, clock: Clock) -> dict[str, int]:
    """Give every demo person a Telegram account whose chat is their code; code -> user id."""
    async with db.transaction() as session:
        people = (await session.execute(select(User.code, User.id))).all()
        for code, user_id in people:
            session.add(
                ChatIdentity(
                    platform=Platform.TELEGRAM.value,
                    external_id=code,
                    chat_ref=code,
                    user_id=user_id,
                    display_name=code,
                    bound_at=clock.now(),
                )
            )
    return dict(people)


async def outbox_rows(db: Database) -> list[OutboxMessage]:
    async with db.transaction() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def busiest_window(starts: Iterable[float], window: float) -> int:
    """The most sends in any half-open window of `window` seconds."""
    ordered = sorted(starts)
    best = first = 0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= window:
            first += 1
        best = max(best, last - first + 1)
    return best
