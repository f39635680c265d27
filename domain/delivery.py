"""The contract between the outbox sender and the chat platforms that deliver for it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from domain.enums import Platform


class DeliveryOutcome(StrEnum):
    DELIVERED = "delivered"
    RETRY_AFTER = "retry_after"  # the platform asked us to slow down; try again later
    UNREACHABLE = "unreachable"  # blocked the bot, unsubscribed, outside the reply window
    FAILED = "failed"  # anything else; retried with backoff until dead-lettered


@dataclass(frozen=True, slots=True)
class Delivery:
    outcome: DeliveryOutcome
    retry_after: float | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: int
    platform: Platform
    external_id: str
    chat_ref: str
    locale: str


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A notice ready to send: text in the recipient's language and optional choices.

    Choice payloads of notices start with "n:" (see domain.outbox): they are not bound to the
    recipient's conversation state, and the handlers behind them check everything again.
    """

    kind: str
    text: str
    choices: tuple[tuple[str, str], ...] = ()
    image: bytes | None = None
    image_name: str | None = None
    document: bytes | None = None
    document_name: str | None = None


class Messenger(Protocol):
    platform: Platform

    async def send(self, recipient: Recipient, message: OutgoingMessage) -> Delivery: ...
