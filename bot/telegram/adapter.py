"""The Telegram adapter: updates in as `Incoming`, replies out as messages and edited menus.

One update goes: translate (text, /cmd@bot, button, photo, document, location, contact) →
fetch files → the engine, in one transaction that also claims the update's receipt, resolves
its button token and keeps the menus of the replies (exactly one effect; see exactly_once.py)
→ render and send, through the rate limiter, editing the pressed menu in place → refresh the
person's command menu.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    CallbackQuery,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import ExtBot
from telegram.request import BaseRequest, HTTPXRequest

from bot.config import ConfigError
from bot.telegram.exactly_once import (
    PLATFORM,
    Standing,
    UpdateEnvelope,
    keep_menus,
    standing_of,
)
from bot.telegram.intake import ChatQueues
from bot.telegram.limiter import ChatRateLimiter, Limits, retry_after_seconds
from bot.telegram.render import (
    MAX_CAPTION,
    MAX_TEXT,
    parse_callback_data,
    split_text,
    telegram_length,
)
from domain.button_menus import prune_menus
from domain.db import Database
from domain.enums import SUPPORTED_LOCALES, Role
from domain.reachability import mark_reachable, mark_unreachable
from domain.receipts import prune_receipts
from handlers.engine import Engine
from handlers.i18n import resolve_locale
from handlers.types import Attachment, Incoming, Location, Reply

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)

T = TypeVar("T")
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET_CHARS = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
TELEGRAM_LANGUAGE = {"zh_CN": "zh", "en": "en"}


class RedactToken(logging.Filter):
    """Keeps the bot token out of every log line (PTB and httpx log URLs that contain it)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg = message.replace(self.token, "<token>")
            record.args = None
        if record.exc_info and not record.exc_text:
            trace = logging.Formatter().formatException(record.exc_info)
            if self.token in trace:  # handlers print exc_text when it is set
                record.exc_text = trace.replace(self.token, "<token>")
        return True


class TelegramConfigError(ConfigError):
    """A Telegram setting cannot work; the message names the variable (never the token)."""


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    token: str = field(repr=False)
    api_url: str | None = None  # a self-hosted Bot API server, e.g. http://127.0.0.1:8081
    webhook_url: str | None = None  # full public URL of POST /telegram/webhook
    webhook_secret: str | None = field(default=None, repr=False)  # derived when not given
    limits: Limits = field(default_factory=Limits)
    max_file_bytes: int = 10 * 1024 * 1024
    concurrency: int = 32
    poll_timeout: int = 30
    network_retries: int = 3
    retry_base: float = 0.5  # seconds; doubled on each network retry
    menu_ttl: timedelta = timedelta(days=30)  # notice buttons may be pressed days later
    receipt_ttl: timedelta = timedelta(days=7)  # Telegram keeps unconfirmed updates for a day
    housekeeping_every: float = 3600.0

    @property
    def base_url(self) -> str:
        return f"{self._root()}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self._root()}/file/bot"

    def _root(self) -> str:
        root = (self.api_url or "https://api.telegram.org").rstrip("/")
        return root.removesuffix("/bot")

    @property
    def secret(self) -> str:
        """What Telegram puts in X-Telegram-Bot-Api-Secret-Token; every process agrees on it."""
        if self.webhook_secret:
            return self.webhook_secret
        return hashlib.sha256(f"partnerbot-webhook:{self.token}".encode()).hexdigest()

    def check(self) -> None:
        if not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", self.token):
            raise TelegramConfigError(
                "PARTNERBOT_TELEGRAM_TOKEN does not look like a bot token (123456:ABC-...)"
            )
        if self.webhook_secret is not None and not SECRET_CHARS.match(self.webhook_secret):
            raise TelegramConfigError(
                "PARTNERBOT_TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, "
                "_ and -"
            )


@dataclass(frozen=True, slots=True)
class FileRef:
    kind: str  # "image" | "document"
    file_id: str
    filename: str
    media_type: str
    size: int | None


@dataclass(frozen=True, slots=True)
class TelegramEvent:
    """An update as the adapter needs it: the Incoming to be, plus Telegram's handles."""

    update_id: int
    chat_id: int
    incoming: Incoming
    button: tuple[str, int] | None = None  # (token, index) of a pressed button
    pressed: bool = False  # a callback query, even one whose data we cannot read
    callback: CallbackQuery | None = None
    menu_message_id: int | None = None  # the message whose button was pressed
    files: tuple[FileRef, ...] = ()
    oversized: bool = False


class FileTooLarge(Exception):
    pass


def _largest_photo_within(message: Message, limit: int) -> FileRef | None:
    sizes = sorted(message.photo, key=lambda p: (p.file_size or 0, p.width * p.height))
    fitting = [p for p in sizes if (p.file_size or 0) <= limit]
    if not fitting:
        return None
    photo = fitting[-1]
    return FileRef(
        "image", photo.file_id, f"{photo.file_unique_id}.jpg", "image/jpeg", photo.file_size
    )


def translate(update: Update, bot_username: str, max_file_bytes: int) -> TelegramEvent | None:
    """The update as an Incoming, or None when it is nothing for the engine."""
    query = update.callback_query
    message = update.message
    sender = query.from_user if query else (message.from_user if message else None)
    if sender is None or sender.is_bot:
        return None
    if query is not None:
        shown = query.message
        chat_id = shown.chat.id if shown is not None else sender.id
        menu_id = shown.message_id if shown is not None and shown.is_accessible else None
        incoming = Incoming(
            platform=PLATFORM,
            user_ref=str(sender.id),
            chat_ref=str(chat_id),
            display_name=sender.full_name,
            language_hint=sender.language_code,
            message_id=str(menu_id) if menu_id is not None else None,
        )
        return TelegramEvent(
            update.update_id,
            chat_id,
            incoming,
            button=parse_callback_data(query.data),
            pressed=True,
            callback=query,
            menu_message_id=menu_id,
        )
    if message is None:
        return None  # edited messages, channel posts: nothing to answer
    text = message.text or message.caption or ""
    if message.text and message.text.startswith("/"):
        head = message.text.split(maxsplit=1)[0]
        _, at, addressee = head.partition("@")
        if at and addressee.lower() != bot_username.lower():
            return None  # "/help@otherbot" in a group is for the other bot
        if at:
            text = message.text.replace(f"@{addressee}", "", 1)
    files: list[FileRef] = []
    oversized = False
    if message.photo:
        photo = _largest_photo_within(message, max_file_bytes)
        if photo is None:
            oversized = True
        else:
            files.append(photo)
    if message.document:
        document = message.document
        if document.file_size and document.file_size > max_file_bytes:
            oversized = True
        else:
            files.append(
                FileRef(
                    "document",
                    document.file_id,
                    document.file_name or f"{document.file_unique_id}",
                    document.mime_type or "application/octet-stream",
                    document.file_size,
                )
            )
    location = (
        Location(message.location.latitude, message.location.longitude)
        if message.location
        else None
    )
    if message.contact and not text:
        text = message.contact.phone_number
    incoming = Incoming(
        platform=PLATFORM,
        user_ref=str(sender.id),
        chat_ref=str(message.chat.id),
        text=text,
        location=location,
        message_id=str(message.message_id),
        display_name=sender.full_name,
        language_hint=sender.language_code,
    )
    return TelegramEvent(
        update.update_id, message.chat.id, incoming, files=tuple(files), oversized=oversized
    )


def _chat_of(update: Update) -> int:
    chat = update.effective_chat
    if chat is not None:
        return chat.id
    user = update.effective_user
    return user.id if user is not None else 0


class TelegramAdapter:
    """One bot token: polling or webhook, the engine behind it, and sends for the outbox."""

    platform = PLATFORM

    def __init__(
        self,
        app: App,
        config: TelegramConfig,
        *,
        request: BaseRequest | None = None,
        get_updates_request: BaseRequest | None = None,
    ) -> None:
        config.check()
        # Time periods as timedelta: without this, PTB 22 warns on every RetryAfter it raises.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        self._redactor = RedactToken(config.token)
        self._redact_logs()  # before the bot exists: PTB logs its URLs, token included
        self.app = app
        self.config = config
        self.db: Database = app.db
        self.clock = app.clock
        self.translator = app.translator
        self.default_locale = app.settings.default_locale
        self.engine: Engine = app.engine
        self.limiter = ChatRateLimiter(config.limits, max_retries=3)
        self.bot: ExtBot[Any] = ExtBot(
            config.token,
            base_url=config.base_url,
            base_file_url=config.base_file_url,
            request=request
            or HTTPXRequest(connection_pool_size=config.concurrency + 4, read_timeout=15),
            get_updates_request=get_updates_request
            or HTTPXRequest(connection_pool_size=2, read_timeout=10),
            rate_limiter=self.limiter,
        )
        self.intake: ChatQueues[Update] = ChatQueues(self.handle_update, config.concurrency)
        self._commands_shown: dict[int, Standing | None] = {}

        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.username = ""

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def webhook_mode(self) -> bool:
        return self.config.webhook_url is not None

    async def start(self) -> None:
        """getMe, command menus, then polling or setWebhook; housekeeping in the background."""
        self._stop.clear()
        self._redact_logs()
        await self.bot.initialize()
        self.username = self.bot.username
        await self.install_default_commands()
        if self.webhook_mode:
            await self.bot.set_webhook(
                url=self.config.webhook_url or "",
                secret_token=self.config.secret,
                allowed_updates=list(ALLOWED_UPDATES),
                max_connections=40,
                drop_pending_updates=False,
            )
            log.info("Telegram webhook set; updates arrive at POST /telegram/webhook")
        else:
            await self.bot.delete_webhook(drop_pending_updates=False)
            self._tasks.append(asyncio.create_task(self.poll(), name="telegram-polling"))
            log.info("Telegram: polling for updates as @%s", self.username)
        self._tasks.append(asyncio.create_task(self._housekeeping(), name="telegram-housekeeping"))

    async def stop(self) -> None:
        """Stop taking updates, finish the ones in flight, then close the connections."""
        self._stop.set()
        for task in self._tasks:
            if task.get_name() == "telegram-housekeeping":
                task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.intake.drain()
        await self.bot.shutdown()
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self._redactor)

    def _redact_logs(self) -> None:
        # httpx logs every request URL at INFO, and the URL holds the token: keep it quieter.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        for handler in logging.getLogger().handlers:
            handler.addFilter(self._redactor)

    def routes(self) -> list[web.RouteDef]:
        """The HTTP routes this adapter serves on the project's app (the webhook, if used)."""
        from bot.telegram.webhook import webhook_routes

        return webhook_routes(self) if self.webhook_mode else []

    async def lifespan(self, _web_app: object) -> AsyncIterator[None]:
        """For aiohttp's cleanup_ctx: runs while the HTTP server runs."""
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    # -- taking updates --------------------------------------------------------------------------

    def submit(self, update: Update) -> asyncio.Future[bool]:
        return self.intake.submit(_chat_of(update), update)

    async def poll(self) -> None:
        """getUpdates until stopped. The offset moves past a batch only once it is handled, so
        a crash loses nothing; receipts make the redelivered part change nothing."""
        offset = 0
        backoff = 1.0
        stopping = asyncio.create_task(self._stop.wait())
        try:
            while not self._stop.is_set():
                fetch = asyncio.create_task(
                    self.bot.get_updates(
                        offset=offset,
                        timeout=self.config.poll_timeout,
                        allowed_updates=list(ALLOWED_UPDATES),
                    )
                )
                await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not fetch.done():
                    fetch.cancel()
                    with contextlib.suppress(asyncio.CancelledError, TelegramError):
                        await fetch
                    break
                try:
                    updates = fetch.result()
                except (InvalidToken, Forbidden):
                    log.error("Telegram refused the bot token; polling stops")
                    return
                except Conflict:
                    log.error(
                        "Telegram reports a conflict: another process polls with this token, or "
                        "a webhook is set; retrying in %.0fs",
                        backoff,
                    )
                    await self._pause(backoff)
                    backoff = min(backoff * 2, 60)
                    continue
                except RetryAfter as exc:
                    await self._pause(retry_after_seconds(exc))
                    continue
                except TelegramError as exc:
                    log.warning(
                        "getUpdates failed (%s); retrying in %.0fs", type(exc).__name__, backoff
                    )
                    await self._pause(backoff)
                    backoff = min(backoff * 2, 60)
                    continue
                backoff = 1.0
                if not updates:
                    continue
                settled = await asyncio.gather(*(self.submit(u) for u in updates))
                failed = [u.update_id for u, ok in zip(updates, settled, strict=True) if not ok]
                if failed:
                    offset = min(failed)  # the rest were handled and will be recognised
                    log.warning("%d updates will be fetched again", len(failed))
                    await self._pause(backoff)
                    backoff = min(backoff * 2, 60)
                else:
                    offset = updates[-1].update_id + 1
            if offset:  # tell Telegram what we handled, so a restart does not see it again
                with contextlib.suppress(TelegramError):
                    await self.bot.get_updates(offset=offset, timeout=0, limit=1)
        finally:
            stopping.cancel()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _housekeeping(self) -> None:
        while True:
            try:
                now = self.clock.now()
                async with self.db.transaction() as session:
                    menus = await prune_menus(session, now - self.config.menu_ttl)
                    receipts = await prune_receipts(
                        session, PLATFORM, now - self.config.receipt_ttl
                    )
                if menus or receipts:
                    log.info("pruned %d old button menus and %d receipts", menus, receipts)
            except Exception:
                log.exception("Telegram housekeeping failed; trying again later")
            await asyncio.sleep(self.config.housekeeping_every)

    # -- one update ------------------------------------------------------------------------------

    async def handle_update(self, update: Update) -> bool:
        """Handle one update; False when it should be delivered again (nothing was done)."""
        if update.my_chat_member is not None:
            return await self._membership_changed(update)
        event = translate(update, self.username, self.config.max_file_bytes)
        if event is None:
            if update.callback_query is not None:
                await self._answer(update.callback_query)
            return True
        if event.callback is not None:
            await self._answer(event.callback)  # the spinner stops now, whatever happens next
        incoming = event.incoming
        if event.oversized:
            await self._say_too_large(event)
            return True
        if event.files:
            try:
                attachments = tuple([await self._fetch(ref) for ref in event.files])
            except FileTooLarge:
                await self._say_too_large(event)
                return True
            incoming = replace(incoming, attachments=attachments)
        envelope = UpdateEnvelope(
            event.update_id,
            event.chat_id,
            incoming.user_ref,
            self.clock.now(),
            button=event.button,
            pressed=event.pressed,
        )
        replies = await self.engine.handle(incoming, envelope)
        if envelope.duplicate:
            log.info("Telegram update %s was already handled", event.update_id)
            return True
        # The pressed menu is replaced only when it was this person's own, live or stale;
        # a button we cannot read gets its answer in a new message.
        menu = event.menu_message_id if envelope.button_found else None
        markups = envelope.markups_for(replies)
        await self.deliver(event.chat_id, incoming.user_ref, replies, menu, markups)
        await self.refresh_commands(event.chat_id, envelope.standing)
        return True

    async def _answer(self, query: CallbackQuery) -> None:
        try:
            await self._with_retries(lambda: query.answer())
        except TelegramError as exc:  # too old, already answered: nothing left to stop
            log.debug("could not answer a callback query: %s", exc)

    async def _fetch(self, ref: FileRef) -> Attachment:
        limit = self.config.max_file_bytes
        if ref.size is not None and ref.size > limit:
            raise FileTooLarge
        try:
            found = await self._with_retries(lambda: self.bot.get_file(ref.file_id))
            if found.file_size is not None and found.file_size > limit:
                raise FileTooLarge
            content = bytes(await self._with_retries(lambda: found.download_as_bytearray()))
        except TelegramError as exc:
            log.warning("could not fetch a file from Telegram: %s", type(exc).__name__)
            return Attachment(ref.kind, ref.filename, b"", ref.media_type, ref=ref.file_id)
        if len(content) > limit:
            raise FileTooLarge
        return Attachment(ref.kind, ref.filename, content, ref.media_type, ref=ref.file_id)

    async def _say_too_large(self, event: TelegramEvent) -> None:
        try:
            async with self.db.transaction() as session:
                standing = await standing_of(session, PLATFORM, event.incoming.user_ref)
        except Exception:
            log.exception("could not look up who sent a file that is too large")
            standing = None
        locale = (
            standing.locale
            if standing
            else resolve_locale(event.incoming.language_hint, self.default_locale)
        )
        t = self.translator.bind(locale)
        text = t(
            "That file is too large for me. Please send photos and documents of at most "
            "{limit} MB.",
            limit=self.config.max_file_bytes // (1024 * 1024),
        )
        await self.deliver(event.chat_id, event.incoming.user_ref, [Reply(text)])

    async def _membership_changed(self, update: Update) -> bool:
        change = update.my_chat_member
        assert change is not None
        if change.chat.type != "private":
            return True
        status = change.new_chat_member.status
        user_ref = str(change.from_user.id)
        try:
            async with self.db.transaction() as session:
                if status in ("kicked", "left"):
                    if await mark_unreachable(session, PLATFORM, user_ref, self.clock.now()):
                        log.info("a Telegram user blocked the bot; marked unreachable")
                else:
                    await mark_reachable(session, PLATFORM, user_ref)
        except Exception:
            log.exception("could not record that a Telegram user (un)blocked the bot")
            return False
        self._commands_shown.pop(change.chat.id, None)
        return True

    # -- sending ---------------------------------------------------------------------------------

    async def _with_retries(self, call: Callable[[], Awaitable[T]]) -> T:
        """Network errors are tried again with backoff; Telegram's answers are not."""
        attempt = 0
        while True:
            try:
                return await call()
            except (BadRequest, ChatMigrated):
                raise
            except NetworkError as exc:  # includes TimedOut; BadRequest is handled above
                if attempt >= self.config.network_retries:
                    raise
                delay = self.config.retry_base * 2**attempt
                attempt += 1
                log.warning(
                    "network error talking to Telegram (%s); retry %d in %.1fs",
                    type(exc).__name__,
                    attempt,
                    delay,
                )
                await asyncio.sleep(delay)

    async def save_menus(
        self, chat_id: int, user_ref: str, replies: Sequence[Reply]
    ) -> list[InlineKeyboardMarkup | None]:
        if not any(reply.choices for reply in replies):
            return [None] * len(replies)
        async with self.db.transaction() as session:
            return await keep_menus(session, chat_id, user_ref, replies, self.clock.now())

    async def deliver(
        self,
        chat_id: int,
        user_ref: str,
        replies: Sequence[Reply],
        edit_message_id: int | None = None,
        markups: Sequence[InlineKeyboardMarkup | None] | None = None,
    ) -> None:
        """Send direct replies with their keyboards (kept now, unless `markups` were kept in
        the message's transaction); the first may replace the menu that was pressed. Failures
        are logged, and a person who blocked the bot is marked unreachable."""
        try:
            if markups is None:
                markups = await self.save_menus(chat_id, user_ref, replies)
            shown = [
                (reply, markup)
                for reply, markup in zip(replies, markups, strict=True)
                if reply.text.strip() or reply.image or reply.document or reply.choices
            ]
            for index, (reply, markup) in enumerate(shown):
                await self.send_reply(
                    chat_id, reply, markup, edit_message_id if index == 0 else None
                )
        except Forbidden:
            await self.mark_unreachable_user(user_ref)
        except RetryAfter as exc:
            log.warning("Telegram kept asking to slow down; a reply was dropped: %s", exc)
        except TelegramError as exc:
            log.error("a reply could not be sent to Telegram: %s: %s", type(exc).__name__, exc)
        except Exception:
            log.exception("a reply could not be sent to Telegram")

    async def send_reply(
        self,
        chat_id: int,
        reply: Reply,
        markup: InlineKeyboardMarkup | None,
        edit_message_id: int | None = None,
        *,
        rate_limit_retries: int | None = None,
    ) -> None:
        """One Reply as Telegram messages, plain text (no parse mode: names need no escaping)."""
        limit_args: dict[str, Any] = (
            {} if rate_limit_retries is None else {"rate_limit_args": rate_limit_retries}
        )
        text = reply.text.strip() or ("…" if markup else "")
        attachment = reply.image or reply.document
        if attachment is not None:
            caption = text if telegram_length(text) <= MAX_CAPTION else ""
            upload: InputFile | str = (
                InputFile(attachment.content, filename=attachment.filename)
                if attachment.content
                else (attachment.ref or "")
            )
            send = self.bot.send_photo if reply.image is not None else self.bot.send_document
            file_markup = markup if caption or not text else None
            await self._with_retries(
                partial(
                    send,
                    chat_id,
                    upload,
                    caption=caption or None,
                    reply_markup=file_markup,
                    **limit_args,
                )
            )
            if caption or not text:
                return
            edit_message_id = None
        chunks = split_text(text, MAX_TEXT)
        for position, chunk in enumerate(chunks):
            last = position == len(chunks) - 1
            chunk_markup = markup if last else None
            edited = (
                position == 0
                and edit_message_id is not None
                and await self._edit(chat_id, edit_message_id, chunk, chunk_markup, limit_args)
            )
            if edited:
                continue
            await self._with_retries(
                partial(
                    self.bot.send_message, chat_id, chunk, reply_markup=chunk_markup, **limit_args
                )
            )

    async def _edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None,
        limit_args: dict[str, Any],
    ) -> bool:
        """Replace the pressed menu; False when Telegram will not edit it (then send anew)."""
        try:
            await self._with_retries(
                partial(
                    self.bot.edit_message_text,
                    text,
                    chat_id=chat_id,
                    message_id=message_id,
                    reply_markup=markup,
                    **limit_args,
                )
            )
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return True
            log.info("could not edit a menu (%s); sending a new message", exc.message)
            return False
        return True

    async def mark_unreachable_user(self, user_ref: str) -> None:
        try:
            async with self.db.transaction() as session:
                await mark_unreachable(session, PLATFORM, user_ref, self.clock.now())
        except Exception:
            log.exception("could not mark a Telegram user unreachable")
        else:
            log.info("a Telegram user has blocked the bot; marked unreachable")

    # -- command menus ---------------------------------------------------------------------------

    def commands_for(self, locale: str, role: Role | None) -> list[BotCommand]:
        """The commands a role (or a stranger) may use, described in a language."""
        found = []
        for name, command in self.engine.commands.items():
            allowed = command.route.guest if role is None else role in command.route.roles
            if not allowed or not COMMAND_NAME.match(name):
                continue
            description = self.translator.gettext(locale, command.description)[:256]
            found.append(BotCommand(name, description or name))
        return found

    async def install_default_commands(self) -> None:
        """What strangers see before joining, in Chinese and English by their app language."""
        try:
            for locale in SUPPORTED_LOCALES:
                await self.bot.set_my_commands(
                    self.commands_for(locale, None),
                    scope=BotCommandScopeDefault(),
                    language_code=TELEGRAM_LANGUAGE.get(locale, locale),
                )
            await self.bot.set_my_commands(
                self.commands_for(self.default_locale, None), scope=BotCommandScopeDefault()
            )
        except TelegramError as exc:
            log.warning("could not set the default command menu: %s", exc)

    async def refresh_commands(self, chat_id: int, standing: Standing | None) -> None:
        """A bound person's chat shows their role's commands in the language they chose here
        (a chat scope without language_code, so /lang decides, not the app's language)."""
        if chat_id in self._commands_shown and self._commands_shown[chat_id] == standing:
            return
        if standing is None and chat_id not in self._commands_shown:
            self._commands_shown[chat_id] = None  # a stranger: the default menu is right
            return
        try:
            scope = BotCommandScopeChat(chat_id)
            if standing is None:
                await self.bot.delete_my_commands(scope=scope)
            else:
                await self.bot.set_my_commands(
                    self.commands_for(standing.locale, standing.role), scope=scope
                )
        except TelegramError as exc:
            log.warning("could not set a chat's command menu: %s", exc)
            return
        if len(self._commands_shown) > 100_000:
            self._commands_shown.clear()
        self._commands_shown[chat_id] = standing


def telegram_from_settings(app: App) -> TelegramAdapter | None:
    """The adapter for PARTNERBOT_TELEGRAM_* settings, or None when no token is set."""
    settings = app.settings
    if settings.telegram_token is None:
        return None
    secret = settings.telegram_webhook_secret
    config = TelegramConfig(
        token=settings.telegram_token.get_secret_value(),
        api_url=settings.telegram_api_url,
        webhook_url=settings.telegram_webhook_url,
        webhook_secret=secret.get_secret_value() if secret else None,
    )
    return TelegramAdapter(app, config)
