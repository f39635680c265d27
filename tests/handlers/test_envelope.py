"""A chat adapter's envelope acts inside the message's own transaction, at its start and end."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bootstrap import App
from domain.enums import Platform, Role
from domain.inbound import claim_message
from domain.models import ConversationState, InboundReceipt
from handlers.types import Incoming, Reply
from tests.handlers.engine_support import PEOPLE, SOMETHING_WENT_WRONG_EN, payloads, said

SENDER = PEOPLE[Role.DISTRIBUTOR_STAFF]
NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@dataclass
class ClaimingEnvelope:
    """Claims a receipt first (as Telegram's does) and may swap the text it was given."""

    key: str
    text: str | None = None
    closed_with: list[Reply] = field(default_factory=list)
    duplicate: bool = False

    async def opening(self, session: AsyncSession, incoming: Incoming) -> Incoming | None:
        if not await claim_message(session, Platform.CONSOLE, self.key, NOW):
            self.duplicate = True
            return None
        return incoming if self.text is None else replace(incoming, text=self.text)

    async def closing(self, session: AsyncSession, replies: Sequence[Reply]) -> None:
        self.closed_with = list(replies)


async def count(app: App, model: type) -> int:
    async with app.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_envelope_sees_the_replies_as_they_will_be_sent(demo_app: App) -> None:
    envelope = ClaimingEnvelope("m-1")
    replies = await demo_app.engine.handle(said(SENDER, "/menu"), envelope)
    assert replies
    assert envelope.closed_with == replies
    assert all(":" in payload for payload in payloads(replies))  # stamped already
    assert await count(demo_app, InboundReceipt) == 1


async def test_a_second_delivery_does_nothing_and_says_nothing(demo_app: App) -> None:
    assert await demo_app.engine.handle(said(SENDER, "/menu"), ClaimingEnvelope("m-1"))
    before = await conversation_of(demo_app)
    again = ClaimingEnvelope("m-1")
    assert await demo_app.engine.handle(said(SENDER, "/lang"), again) == []
    assert again.duplicate
    assert await conversation_of(demo_app) == before


async def conversation_of(app: App) -> tuple[object, ...]:
    async with app.db.transaction() as session:
        row = (
            await session.execute(
                select(ConversationState.version, ConversationState.menu).where(
                    ConversationState.user_ref == SENDER
                )
            )
        ).one()
    return tuple(row)


async def test_the_envelope_decides_what_the_engine_reads(demo_app: App) -> None:
    envelope = ClaimingEnvelope("m-2", text="/help")
    replies = await demo_app.engine.handle(said(SENDER, "/nonsense"), envelope)
    assert "/nonsense" not in "\n".join(reply.text for reply in replies)


async def test_a_failing_message_rolls_back_what_the_envelope_wrote(demo_app: App) -> None:
    envelope = ClaimingEnvelope("m-3", text="x" * 5000)  # refused: too long, changes nothing
    await demo_app.engine.handle(said(SENDER, "/menu"), envelope)
    assert await count(demo_app, InboundReceipt) == 1  # a refusal is an answer: claimed

    class Broken(ClaimingEnvelope):
        async def closing(self, session: AsyncSession, replies: Sequence[Reply]) -> None:
            raise RuntimeError("the adapter broke at the end")

    replies = await demo_app.engine.handle(said(SENDER, "/menu", language_hint="en"), Broken("m-4"))
    assert replies[0].text == SOMETHING_WENT_WRONG_EN
    assert await count(demo_app, InboundReceipt) == 1  # m-4's claim went with the failure
