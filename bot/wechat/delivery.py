"""Sending through the WeChat APIs: late replies, and the outbox's notices (the Messengers).

The Official Account may send customer-service messages only within 48 hours of the person's
last message; outside that window a notice goes as a template message when one is configured
for its kind, and is otherwise reported undeliverable with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.wechat.api import (
    BUSY,
    TOKEN_REJECTED,
    ApiResult,
    ApiUnavailable,
    OfficialAccountApi,
    WeComApi,
)
from bot.wechat.render import Outgoing
from domain.clock import Clock
from domain.conversations import ConversationKey, offer_menu, open_conversation
from domain.db import Database
from domain.delivery import Delivery, DeliveryOutcome, OutgoingMessage, Recipient
from domain.enums import Platform
from domain.inbound import contact_of
from handlers.types import Choice

log = logging.getLogger(__name__)

REPLY_WINDOW = timedelta(hours=48)
WINDOW_MARGIN = timedelta(minutes=10)  # do not race the window's last minutes
WINDOW_CLOSED = frozenset({45015, 45047})  # reply time limit passed; too many unanswered
GONE = frozenset({40003, 43004, 43019, 60111, 81013})  # bad id, unfollowed, blocked, not a member
TEMPLATE_TEXT_LIMIT = 200
MSGMENU_MAX_HEAD = 1000  # characters; longer texts go as plain text with numbered lines
SETTLED = WINDOW_CLOSED | GONE | BUSY | TOKEN_REJECTED  # errors a text message would get too


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """A template message for one kind of notice: its id and the field that carries the text."""

    template_id: str
    field: str = "content"

    @classmethod
    def parse(cls, raw: str) -> TemplateSpec:
        template_id, _, field = raw.partition(":")
        if not template_id.strip():
            raise ValueError(f"no template id in {raw!r}")
        return cls(template_id.strip(), field.strip() or "content")


def failure(result: ApiResult) -> Delivery:
    reason = f"{result.errcode} {result.errmsg}".strip()
    if result.errcode in GONE:
        return Delivery(DeliveryOutcome.UNREACHABLE, reason=reason)
    if result.errcode in BUSY:
        wait = 3600.0 if result.errcode == 45009 else 60.0 if result.errcode == 45011 else 5.0
        return Delivery(DeliveryOutcome.RETRY_AFTER, retry_after=wait, reason=reason)
    return Delivery(DeliveryOutcome.FAILED, reason=reason)


def notice_outgoing(message: OutgoingMessage, numbered: bool) -> list[Outgoing]:
    choices = tuple(Choice(label, payload) for label, payload in message.choices)
    out = [Outgoing(text=message.text, choices=choices, numbered=numbered)]
    if message.image is not None:
        out.append(Outgoing(image=message.image, image_name=message.image_name or "chart.png"))
    if message.document is not None:
        out.append(
            Outgoing(document=message.document, document_name=message.document_name or "file")
        )
    return out


class OfficialAccountSender:
    """Customer-service messages to one OpenID: text, msgmenu for options, images as media."""

    def __init__(self, api: OfficialAccountApi, *, msgmenu: bool = True) -> None:
        self.api = api
        self.msgmenu = msgmenu

    async def send(self, openid: str, out: Outgoing) -> ApiResult:
        if out.image is not None:
            uploaded = await self.api.upload_media(
                "image", out.image_name or "image.png", out.image, "image/png"
            )
            media_id = uploaded.body.get("media_id")
            if not uploaded.ok or not isinstance(media_id, str):
                return uploaded
            return await self.api.send_custom(
                openid, {"msgtype": "image", "image": {"media_id": media_id}}
            )
        if out.document is not None:  # customer-service messages carry no files
            return await self._text(openid, f"[{out.document_name}]")
        if self.msgmenu and out.choices and out.numbered and len(out.text) <= MSGMENU_MAX_HEAD:
            menu = {
                "head_content": out.text,
                "list": [
                    {"id": str(n), "content": choice.label}
                    for n, choice in enumerate(out.choices, 1)
                ],
                "tail_content": "",
            }
            result = await self.api.send_custom(openid, {"msgtype": "msgmenu", "msgmenu": menu})
            if result.ok or result.errcode in SETTLED:
                return result
            # An account (or client) that does not take msgmenu still gets numbered lines.
            log.info("msgmenu refused (%s %s); sending text", result.errcode, result.errmsg)
        return await self._text(openid, out.full_text)

    async def _text(self, openid: str, text: str) -> ApiResult:
        return await self.api.send_custom(openid, {"msgtype": "text", "text": {"content": text}})


class WeComSender:
    """Application messages to one member: text, images and files as media."""

    def __init__(self, api: WeComApi) -> None:
        self.api = api

    async def send(self, userid: str, out: Outgoing) -> ApiResult:
        for kind, content, name, media_type in (
            ("image", out.image, out.image_name or "image.png", "image/png"),
            ("file", out.document, out.document_name or "file", "application/octet-stream"),
        ):
            if content is not None:
                uploaded = await self.api.upload_media(kind, name, content, media_type)
                media_id = uploaded.body.get("media_id")
                if not uploaded.ok or not isinstance(media_id, str):
                    return uploaded
                return await self.api.send_message(
                    userid, {"msgtype": kind, kind: {"media_id": media_id}}
                )
        result = await self.api.send_message(
            userid, {"msgtype": "text", "text": {"content": out.full_text}}
        )
        invalid = str(result.body.get("invaliduser", "") or "")
        if result.ok and userid in invalid.split("|"):
            return ApiResult(60111, "invalid user", result.body)
        return result


async def send_all(
    sender: OfficialAccountSender | WeComSender, to: str, out: Sequence[Outgoing]
) -> ApiResult:
    """Send in order, stopping at the first refusal; the last result tells how it went."""
    result = ApiResult(0, "ok")
    for message in out:
        result = await sender.send(to, message)
        if not result.ok:
            return result
    return result


async def offer_notice_choices(
    db: Database, clock: Clock, recipient: Recipient, message: OutgoingMessage
) -> bool:
    """Let a typed number or label answer a notice's options (their payloads start with "n:").

    Only when the person is not in the middle of something: a number typed there belongs to
    that conversation (an option or a quantity). Returns whether the options were offered.
    """
    if not message.choices:
        return False
    key = ConversationKey(recipient.platform, recipient.chat_ref, recipient.external_id)
    now = clock.now()
    async with db.transaction() as session:
        conversation = await open_conversation(session, key, now)
        if conversation.state is not None:
            return False
        await offer_menu(
            session, key, now, [[label, payload] for label, payload in message.choices]
        )
    return True


class OfficialAccountMessenger:
    """The outbox's way to an Official Account follower."""

    platform = Platform.WECHAT_MP

    def __init__(
        self,
        db: Database,
        clock: Clock,
        sender: OfficialAccountSender,
        templates: Mapping[str, TemplateSpec],
    ) -> None:
        self.db = db
        self.clock = clock
        self.sender = sender
        self.templates = dict(templates)

    async def send(self, recipient: Recipient, message: OutgoingMessage) -> Delivery:
        async with self.db.transaction() as session:
            contact = await contact_of(session, self.platform, recipient.external_id)
        if contact is not None and not contact.subscribed:
            return Delivery(DeliveryOutcome.UNREACHABLE, reason="unfollowed the Official Account")
        now = self.clock.now()
        if contact is not None and now - contact.last_inbound_at < REPLY_WINDOW - WINDOW_MARGIN:
            offered = await offer_notice_choices(self.db, self.clock, recipient, message)
            try:
                result = await send_all(
                    self.sender, recipient.external_id, notice_outgoing(message, offered)
                )
            except ApiUnavailable as exc:
                return Delivery(DeliveryOutcome.FAILED, reason=str(exc))
            if result.ok:
                return Delivery(DeliveryOutcome.DELIVERED)
            if result.errcode not in WINDOW_CLOSED:
                return failure(result)
        return await self._template(recipient, message)

    async def _template(self, recipient: Recipient, message: OutgoingMessage) -> Delivery:
        spec = self.templates.get(message.kind)
        if spec is None:
            return Delivery(
                DeliveryOutcome.UNREACHABLE,
                reason=(
                    "outside the 48-hour customer-service window and no template message is "
                    f"configured for {message.kind!r} notices"
                ),
            )
        text = message.text
        if len(text) > TEMPLATE_TEXT_LIMIT:
            text = text[: TEMPLATE_TEXT_LIMIT - 1] + "…"
        try:
            result = await self.sender.api.send_template(
                recipient.external_id, spec.template_id, {spec.field: {"value": text}}
            )
        except ApiUnavailable as exc:
            return Delivery(DeliveryOutcome.FAILED, reason=str(exc))
        return Delivery(DeliveryOutcome.DELIVERED) if result.ok else failure(result)


class WeComMessenger:
    """The outbox's way to a WeCom member, through the application."""

    platform = Platform.WECOM

    def __init__(self, db: Database, clock: Clock, sender: WeComSender) -> None:
        self.db = db
        self.clock = clock
        self.sender = sender

    async def send(self, recipient: Recipient, message: OutgoingMessage) -> Delivery:
        async with self.db.transaction() as session:
            contact = await contact_of(session, self.platform, recipient.external_id)
        if contact is not None and not contact.subscribed:
            return Delivery(DeliveryOutcome.UNREACHABLE, reason="left the WeCom application")
        offered = await offer_notice_choices(self.db, self.clock, recipient, message)
        try:
            result = await send_all(
                self.sender, recipient.external_id, notice_outgoing(message, offered)
            )
        except ApiUnavailable as exc:
            return Delivery(DeliveryOutcome.FAILED, reason=str(exc))
        return Delivery(DeliveryOutcome.DELIVERED) if result.ok else failure(result)
