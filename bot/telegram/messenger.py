"""The outbox sender's way to Telegram: one notice in, delivered / retry-after / unreachable out."""

from __future__ import annotations

import logging

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.telegram.adapter import TelegramAdapter
from bot.telegram.exactly_once import PLATFORM
from bot.telegram.limiter import NO_RETRY, retry_after_seconds
from domain.delivery import Delivery, DeliveryOutcome, OutgoingMessage, Recipient
from handlers.types import Attachment, Choice, Reply

log = logging.getLogger(__name__)

# Telegram's words for a chat that is gone for good (the user deleted their account, ...).
GONE = ("chat not found", "user is deactivated", "peer_id_invalid", "bot can't initiate")


def as_reply(message: OutgoingMessage) -> Reply:
    image = (
        Attachment("image", message.image_name or "image.png", message.image, "image/png")
        if message.image
        else None
    )
    document = (
        Attachment("document", message.document_name or "document", message.document)
        if message.document
        else None
    )
    return Reply(
        message.text,
        tuple(Choice(label, payload) for label, payload in message.choices),
        image=image,
        document=document,
    )


class TelegramMessenger:
    """Implements domain.delivery.Messenger. It does not retry a 429 itself: the sender paces
    and reschedules. Notice buttons get tokens bound to the recipient's chat, like replies."""

    platform = PLATFORM

    def __init__(self, adapter: TelegramAdapter) -> None:
        self.adapter = adapter

    async def send(self, recipient: Recipient, message: OutgoingMessage) -> Delivery:
        try:
            chat_id = int(recipient.chat_ref)
        except ValueError:
            return Delivery(DeliveryOutcome.UNREACHABLE, reason="not a Telegram chat id")
        reply = as_reply(message)
        try:
            (markup,) = await self.adapter.save_menus(chat_id, recipient.external_id, [reply])
            await self.adapter.send_reply(chat_id, reply, markup, rate_limit_retries=NO_RETRY)
        except RetryAfter as exc:
            return Delivery(DeliveryOutcome.RETRY_AFTER, retry_after_seconds(exc), "429")
        except Forbidden as exc:
            await self.adapter.mark_unreachable_user(recipient.external_id)
            return Delivery(DeliveryOutcome.UNREACHABLE, reason=exc.message[:200])
        except BadRequest as exc:
            if any(word in exc.message.lower() for word in GONE):
                await self.adapter.mark_unreachable_user(recipient.external_id)
                return Delivery(DeliveryOutcome.UNREACHABLE, reason=exc.message[:200])
            return Delivery(DeliveryOutcome.FAILED, reason=exc.message[:200])
        except TelegramError as exc:
            return Delivery(DeliveryOutcome.FAILED, reason=f"{type(exc).__name__}: {exc}"[:200])
        except Exception as exc:
            log.exception("a notice could not be sent to Telegram")
            return Delivery(DeliveryOutcome.FAILED, reason=type(exc).__name__)
        return Delivery(DeliveryOutcome.DELIVERED)
