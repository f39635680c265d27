"""The webhooks WeChat calls: verify, de-duplicate, run the engine, and answer within 5 seconds.

WeChat waits 5 seconds for an answer and then retries (three times in all). The engine runs in
a task: when it finishes within the reply budget (about 4.5 s) the first message goes back
passively in the HTTP answer and the rest through the customer-service (or WeCom application)
API; otherwise the webhook answers "success" at once and every reply goes through the API
when it is ready. A message's receipt is claimed in the same database transaction as its
effect (`MessageEnvelope`), so retries and other processes change nothing twice, and a
process that dies halfway leaves nothing claimed: WeChat's retry is then handled afresh.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from wechatpy.crypto import PrpCrypto as OfficialAccountCipher
from wechatpy.crypto import WeChatCrypto as OfficialAccountCrypto
from wechatpy.enterprise.crypto import PrpCrypto as WeComCipher
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto
from wechatpy.enterprise.parser import parse_message as parse_wecom_message
from wechatpy.enterprise.replies import TextReply as WeComTextReply
from wechatpy.parser import parse_message as parse_official_account_message
from wechatpy.replies import TextReply

from bot.wechat.api import ApiResult, ApiUnavailable
from bot.wechat.inbound import InboundMessage, menu_command, read_message
from bot.wechat.render import Outgoing, render_replies
from bot.wechat.security import (
    MAX_BODY,
    MAX_SKEW,
    Query,
    Refused,
    cdata_safe,
    check_signature,
    check_timestamp,
    decrypt,
    parse_envelope,
    read_body,
    text_field,
)
from domain.clock import Clock
from domain.db import Database
from domain.enums import Platform
from domain.inbound import claim_message, note_contact
from domain.receipts import prune_receipts
from handlers.engine import Envelope
from handlers.types import Attachment, Incoming, Location, Reply

log = logging.getLogger(__name__)

SUCCESS = "success"  # WeChat's "received, nothing to say"
REPLY_BUDGET = 4.5  # seconds; WeChat gives up (and retries) at 5
DRAIN_SECONDS = 10.0
MAX_SCENE = 64
KEEP_RECEIPTS = timedelta(days=2)
PRUNE_EVERY = timedelta(hours=1)


class Conversations(Protocol):
    async def handle(self, incoming: Incoming, envelope: Envelope | None = None) -> list[Reply]: ...


@dataclass(frozen=True, slots=True)
class MessageEnvelope:
    """One message's receipt and contact note, inside the engine's transaction."""

    platform: Platform
    message: InboundMessage
    now: datetime

    async def opening(self, session: AsyncSession, incoming: Incoming) -> Incoming | None:
        if not await claim_message(session, self.platform, self.message.dedupe_key, self.now):
            return None  # a retry of a message already handled: no answer, just "success"
        await _note_contact(session, self.platform, self.message, self.now)
        return incoming

    async def closing(self, session: AsyncSession, replies: Sequence[Reply]) -> None:
        pass


async def _note_contact(
    session: AsyncSession, platform: Platform, message: InboundMessage, now: datetime
) -> None:
    """Writing (or following) reopens the reply window; unfollowing closes it."""
    left = message.kind == "event" and message.event == "unsubscribe"
    await note_contact(session, platform, message.sender, now, unfollowed=left)


class ReplySender(Protocol):
    async def send(self, to: str, out: Outgoing) -> ApiResult: ...


def success() -> web.Response:
    return web.Response(text=SUCCESS, content_type="text/plain")


class Webhook(ABC):
    platform: ClassVar[Platform]

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        engine: Conversations,
        sender: ReplySender,
        reply_budget: float = REPLY_BUDGET,
    ) -> None:
        self.db = db
        self.clock = clock
        self.engine = engine
        self.sender = sender
        self.reply_budget = reply_budget
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pruned_at: datetime | None = None

    # -- what each platform does differently -------------------------------------------------

    @abstractmethod
    def _echo(self, query: Query) -> str:
        """The answer to the URL check (GET), after verifying it."""

    @abstractmethod
    def _read(self, body: bytes, query: Query) -> InboundMessage:
        """Verify and decrypt a POST body into one message."""

    @abstractmethod
    def _passive(self, message: InboundMessage, text: str, query: Query) -> web.Response:
        """The HTTP answer that carries one text reply."""

    def _event_text(self, message: InboundMessage) -> str | None:
        """What an event means as typed text, or None when it asks for no answer."""
        if message.event in ("subscribe", "subscribe_scan", "scan"):
            scene = "" if message.event == "subscribe" else message.event_key.strip()
            if message.event == "scan" and not scene:
                return None
            if scene and len(scene) <= MAX_SCENE and scene.isprintable():
                return f"/start {scene}"  # a QR code can carry an invitation code
            return "/start"
        if message.event == "click":
            return menu_command(message.event_key)
        return None

    # -- the routes ------------------------------------------------------------------------------

    async def get(self, request: web.Request) -> web.Response:
        try:
            query = Query.of(request)
            check_timestamp(query.timestamp, self.clock.now())
            echo = self._echo(query)
        except Refused as refused:
            return self._refuse(request, refused)
        return web.Response(text=echo, content_type="text/plain")

    async def post(self, request: web.Request) -> web.StreamResponse:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            query = Query.of(request)
            check_timestamp(query.timestamp, self.clock.now())
            body = await read_body(request)
            message = self._read(body, query)
        except Refused as refused:
            return self._refuse(request, refused)
        incoming = self._incoming(message)
        try:
            await self._prune_receipts_now_and_then()
            if incoming is None:  # an event with nothing to say: only its receipt and contact
                await self._claim(message)
                return success()
        except (SQLAlchemyError, OSError):
            log.exception("could not record a %s message; WeChat will retry", self.platform)
            return web.Response(status=503, text="try again")
        envelope = MessageEnvelope(self.platform, message, self.clock.now())
        task = asyncio.create_task(self.engine.handle(incoming, envelope))
        self._keep(task)
        remaining = self.reply_budget - (loop.time() - started)
        done, _ = await asyncio.wait({task}, timeout=max(remaining, 0.0))
        if not done:
            log.info("a %s reply is late; it will go through the API", self.platform)
            self._spawn(self._deliver_when_ready(message.sender, task))
            return success()
        try:
            outgoing = render_replies(task.result())
        except Exception:
            log.exception("handling a %s message failed", self.platform)
            return success()
        if not outgoing:
            return success()
        first, rest = outgoing[0], outgoing[1:]
        if first.image is not None or first.document is not None:
            self._spawn(self._deliver(message.sender, outgoing))
            return success()
        try:
            response = self._passive(message, first.full_text, query)
        except Exception:  # a reply wechatpy cannot render still reaches the person
            log.exception("could not render a passive %s reply", self.platform)
            self._spawn(self._deliver(message.sender, outgoing))
            return success()
        if rest:
            # Finish the passive answer first, so it arrives before the API messages.
            await response.prepare(request)
            await response.write_eof()
            self._spawn(self._deliver(message.sender, rest))
        return response

    # -- helpers -------------------------------------------------------------------------------

    def _refuse(self, request: web.Request, refused: Refused) -> web.Response:
        log.info(
            "refused a %s %s from %s: %s",
            self.platform,
            request.method,
            request.remote,
            refused.reason,
        )
        return web.Response(status=refused.status, text=refused.reason)

    async def _claim(self, message: InboundMessage) -> None:
        now = self.clock.now()
        async with self.db.transaction() as session:
            if await claim_message(session, self.platform, message.dedupe_key, now):
                await _note_contact(session, self.platform, message, now)

    async def _prune_receipts_now_and_then(self) -> None:
        """WeChat retries within seconds; a receipt older than two days only takes room."""
        now = self.clock.now()
        if self._pruned_at is not None and now - self._pruned_at <= PRUNE_EVERY:
            return
        self._pruned_at = now
        async with self.db.transaction() as session:
            await prune_receipts(session, self.platform, now - KEEP_RECEIPTS)

    def _incoming(self, message: InboundMessage) -> Incoming | None:
        text = message.text
        attachments: tuple[Attachment, ...] = ()
        location = None
        if message.kind == "event":
            event_text = self._event_text(message)
            if event_text is None:
                return None
            text = event_text
        elif message.kind == "image" and message.media_id:
            attachments = (
                Attachment(
                    "image",
                    f"{message.media_id}.jpg",
                    media_type="image/jpeg",
                    ref=message.media_id,
                ),
            )
        elif message.kind == "location" and None not in (message.latitude, message.longitude):
            assert message.latitude is not None
            assert message.longitude is not None
            location = Location(message.latitude, message.longitude)
        return Incoming(
            platform=self.platform,
            user_ref=message.sender,
            chat_ref=message.sender,
            text=text,
            attachments=attachments,
            location=location,
            message_id=message.dedupe_key,
        )

    def _keep(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        self._keep(asyncio.create_task(work))

    async def _deliver_when_ready(self, to: str, task: asyncio.Task[list[Reply]]) -> None:
        try:
            replies = await task
        except Exception:
            log.exception("handling a late %s message failed", self.platform)
            return
        await self._deliver(to, render_replies(replies))

    async def _deliver(self, to: str, outgoing: Sequence[Outgoing]) -> None:
        for message in outgoing:
            try:
                result = await self.sender.send(to, message)
            except ApiUnavailable as exc:
                log.warning("a %s reply was not delivered: %s", self.platform, exc)
                return
            except Exception:
                log.exception("a %s reply was not delivered", self.platform)
                return
            if not result.ok:
                log.warning(
                    "a %s reply was refused: %s %s", self.platform, result.errcode, result.errmsg
                )
                return

    async def drain(self, within: float = DRAIN_SECONDS) -> None:
        """Let replies in flight finish (on shutdown, and in tests); cancel what is left."""
        pending = set(self._tasks)
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=within)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)
        if self._tasks - pending:  # delivery tasks spawned by the tasks just finished
            await self.drain(within)

    def _now(self) -> int:
        return int(self.clock.now().timestamp())


class OfficialAccountWebhook(Webhook):
    """`/wechat/mp`: the Official Account, in plaintext mode or safe mode (encrypted)."""

    platform = Platform.WECHAT_MP

    def __init__(self, *, token: str, app_id: str, aes_key: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.token = token
        self.app_id = app_id
        self.crypto = OfficialAccountCrypto(token, aes_key, app_id) if aes_key else None
        self._plain_seen: dict[str, tuple[float, bytes]] = {}

    def _echo(self, query: Query) -> str:
        check_signature(query.signature, self.token, query.timestamp, query.nonce)
        if not query.echostr:
            raise Refused(400, "echostr missing")
        return query.echostr

    def _read(self, body: bytes, query: Query) -> InboundMessage:
        if self.crypto is None:
            if query.encrypt_type not in ("", "raw"):
                raise Refused(400, "safe mode is not configured here")
            check_signature(query.signature, self.token, query.timestamp, query.nonce)
            self._refuse_reused_signature(query.signature, body)
            return read_message(parse_official_account_message, body)
        if query.encrypt_type != "aes":  # no downgrade to plaintext when safe mode is on
            raise Refused(403, "this account only accepts safe mode")
        encrypt = text_field(parse_envelope(body), "Encrypt")
        check_signature(query.msg_signature, self.token, query.timestamp, query.nonce, encrypt)
        cipher = OfficialAccountCipher(self.crypto.key)
        plain = decrypt(lambda text: str(cipher.decrypt(text, self.app_id)), encrypt)
        return read_message(parse_official_account_message, plain)

    def _refuse_reused_signature(self, signature: str, body: bytes) -> None:
        """In plaintext mode the signature does not cover the body: within the timestamp
        window, one signature may come back only with the same body (a retry)."""
        now = time.monotonic()
        if len(self._plain_seen) > 4096:
            self._plain_seen = {
                key: seen for key, seen in self._plain_seen.items() if now - seen[0] < 2 * MAX_SKEW
            }
        digest = hashlib.sha256(body).digest()
        seen = self._plain_seen.get(signature)
        if seen is not None and now - seen[0] < 2 * MAX_SKEW and seen[1] != digest:
            raise Refused(403, "signature reused on a different body")
        self._plain_seen[signature] = (now, digest)

    def _passive(self, message: InboundMessage, text: str, query: Query) -> web.Response:
        now = self._now()
        xml = TextReply(
            source=message.account, target=message.sender, content=cdata_safe(text), time=now
        ).render()
        if self.crypto is not None:
            xml = self.crypto.encrypt_message(xml, query.nonce, str(now))
        return web.Response(text=xml, content_type="application/xml")


class WeComWebhook(Webhook):
    """`/wechat/work`: a WeCom application (always encrypted)."""

    platform = Platform.WECOM

    def __init__(
        self, *, token: str, corp_id: str, aes_key: str, agent_id: int, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.token = token
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.crypto = WeComCrypto(token, aes_key, corp_id)

    def _decrypt(self, encrypt: str) -> str:
        cipher = WeComCipher(self.crypto.key)
        return decrypt(lambda text: str(cipher.decrypt(text, self.corp_id)), encrypt)

    def _echo(self, query: Query) -> str:
        if not query.echostr:
            raise Refused(400, "echostr missing")
        echostr = query.echostr
        if " " in echostr:  # base64 "+" sent without percent-encoding reads as a space
            echostr = echostr.replace(" ", "+")
        check_signature(query.msg_signature, self.token, query.timestamp, query.nonce, echostr)
        return self._decrypt(echostr)

    def _read(self, body: bytes, query: Query) -> InboundMessage:
        encrypt = text_field(parse_envelope(body), "Encrypt")
        if len(encrypt) > MAX_BODY:
            raise Refused(413, "Encrypt too large")
        check_signature(query.msg_signature, self.token, query.timestamp, query.nonce, encrypt)
        return read_message(parse_wecom_message, self._decrypt(encrypt))

    def _event_text(self, message: InboundMessage) -> str | None:
        if message.event == "enter_agent":
            return None
        return super()._event_text(message)

    def _passive(self, message: InboundMessage, text: str, query: Query) -> web.Response:
        now = self._now()
        xml = WeComTextReply(
            source=self.corp_id,
            target=message.sender,
            content=cdata_safe(text),
            agent=self.agent_id,
            time=now,
        ).render()
        return web.Response(
            text=self.crypto.encrypt_message(xml, query.nonce, str(now)),
            content_type="application/xml",
        )
