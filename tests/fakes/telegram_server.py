"""A fake Telegram Bot API server on 127.0.0.1 that the real python-telegram-bot talks to in tests.

It implements the methods partnerbot uses (getMe, getUpdates, setWebhook, deleteWebhook,
getWebhookInfo, sendMessage, editMessageText, answerCallbackQuery, sendPhoto, sendDocument,
getFile and file downloads, setMyCommands, getMyCommands, deleteMyCommands), records every call
with a monotonic timestamp, and misbehaves on request:

- `limits=True` answers 429 with `retry_after` when one chat gets more than `per_chat`
  messages within `per_chat_period` seconds, or the bot more than `overall` within
  `overall_period` (Telegram: 1/s per chat, 30/s overall). `tolerance` forgives that much
  network jitter at the edge of a window.
- `blocked` chats answer 403 "bot was blocked by the user".
- `fail_next(method, status, ...)` scripts the next answers of a method (a 429, a 500 ...).

Updates for polling come from a queue the test fills (`push`); in webhook mode `post_webhook`
delivers them to the URL the bot registered with setWebhook, with its secret header, the way
Telegram does. Builders (`text_update`, `callback_update`, ...) make realistic update JSON.

Usage:

    async with FakeBotApi() as api:
        bot = ExtBot(api.token, base_url=api.base_url, base_file_url=api.base_file_url)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import ClientSession, web

TOKEN = "123456:TEST-fake-token_for-partnerbot"
BOT_ID = 123456
BOT_USERNAME = "partnerbot_test_bot"

MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageReplyMarkup",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
    }
)
INT_FIELDS = frozenset({"chat_id", "message_id", "offset", "limit", "timeout", "user_id"})
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One request the bot made, as the server saw it, and how the server answered."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]]
    at: float  # time.monotonic() when the request arrived
    status: int

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return value if isinstance(value, int) else None

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str


@dataclass
class BotMessage:
    """A message the bot sent, as the chat shows it now (edits applied)."""

    chat_id: int
    message_id: int
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    photo: tuple[str, bytes] | None = None
    document: tuple[str, bytes] | None = None
    edits: int = 0

    @property
    def flat_buttons(self) -> list[Button]:
        return [button for row in self.buttons for button in row]

    def button(self, label_part: str) -> Button:
        for button in self.flat_buttons:
            if label_part in button.label:
                return button
        raise LookupError(f"no button with {label_part!r} in {self.flat_buttons}")


@dataclass(frozen=True, slots=True)
class TelegramUser:
    """A person on Telegram; in a private chat the chat id is the user id."""

    id: int
    first_name: str
    language_code: str | None = "zh-hans"
    username: str | None = None
    last_name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            found["last_name"] = self.last_name
        if self.username:
            found["username"] = self.username
        if self.language_code:
            found["language_code"] = self.language_code
        return found

    def private_chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None


@dataclass(frozen=True, slots=True)
class StoredFile:
    file_id: str
    file_path: str
    content: bytes
    declared_size: int


class FakeBotApi:
    def __init__(
        self,
        *,
        token: str = TOKEN,
        limits: bool = False,
        per_chat: int = 1,
        per_chat_period: float = 1.0,
        overall: int = 30,
        overall_period: float = 1.0,
        tolerance: float = 0.05,
        max_poll_wait: float = 1.0,
    ) -> None:
        self.token = token
        self.limits = limits
        self.per_chat = per_chat
        self.per_chat_period = per_chat_period
        self.overall = overall
        self.overall_period = overall_period
        self.tolerance = tolerance
        self.max_poll_wait = max_poll_wait  # long polls end sooner than asked, so tests stay quick
        self.blocked: set[int] = set()
        self.calls: list[ApiCall] = []
        self.messages: dict[tuple[int, int], BotMessage] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhook_allowed_updates: list[str] | None = None
        self.files: dict[str, StoredFile] = {}
        self._updates: deque[dict[str, Any]] = deque()
        self._confirmed_offset = 0
        self._failures: dict[str, deque[_Failure]] = {}
        self._sent_at: dict[int, deque[float]] = {}
        self._overall_sent_at: deque[float] = deque()
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._file_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self.port = 0

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> FakeBotApi:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        async with self._changed:  # end long polls now rather than at their timeout
            self._closing = True
            self._changed.notify_all()
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What python-telegram-bot takes as `base_url` (it appends the token)."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.root_url}/file/bot"

    # -- scripting -----------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        description: str = "",
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` answer `status` (e.g. 429 with retry_after)."""
        default = {
            400: "Bad Request",
            403: "Forbidden: bot was blocked by the user",
            429: f"Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }.get(status, "Error")
        queue = self._failures.setdefault(method, deque())
        for _ in range(times):
            queue.append(_Failure(status, description or default, retry_after))

    def add_file(self, content: bytes, file_path: str, *, declared_size: int | None = None) -> str:
        """Store a file a user sent; returns its file_id. `declared_size` may lie, as in life."""
        file_id = f"file-{next(self._file_ids)}"
        size = len(content) if declared_size is None else declared_size
        self.files[file_id] = StoredFile(file_id, file_path, content, size)
        return file_id

    # -- updates: builders, polling queue and webhook delivery ---------------------------------

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _user_message(self, user: TelegramUser, chat: dict[str, Any] | None) -> dict[str, Any]:
        chat = chat or user.private_chat()
        return {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": user.as_dict(),
        }

    def text_update(
        self, user: TelegramUser, text: str, *, chat: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        message = self._user_message(user, chat)
        message["text"] = text
        if text.startswith("/"):
            length = len(text.split(" ", 1)[0].encode("utf-16-le")) // 2
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"update_id": self.next_update_id(), "message": message}

    def callback_update(
        self, user: TelegramUser, message_id: int, data: str, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        chat_id = chat_id if chat_id is not None else user.id
        shown = self.messages.get((chat_id, message_id))
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "partnerbot"},
            "text": shown.text if shown else "",
        }
        return {
            "update_id": self.next_update_id(),
            "callback_query": {
                "id": f"cq-{self.next_update_id()}",
                "from": user.as_dict(),
                "chat_instance": f"ci-{chat_id}",
                "message": message,
                "data": data,
            },
        }

    def photo_update(
        self, user: TelegramUser, file_id: str, *, caption: str = "", size: int | None = None
    ) -> dict[str, Any]:
        stored = self.files[file_id]
        message = self._user_message(user, None)
        message["photo"] = [
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "width": 800,
                "height": 600,
                "file_size": stored.declared_size if size is None else size,
            }
        ]
        if caption:
            message["caption"] = caption
        return {"update_id": self.next_update_id(), "message": message}

    def document_update(
        self,
        user: TelegramUser,
        file_id: str,
        *,
        file_name: str,
        mime_type: str = "application/octet-stream",
    ) -> dict[str, Any]:
        stored = self.files[file_id]
        message = self._user_message(user, None)
        message["document"] = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": stored.declared_size,
        }
        return {"update_id": self.next_update_id(), "message": message}

    def location_update(
        self, user: TelegramUser, latitude: float, longitude: float
    ) -> dict[str, Any]:
        message = self._user_message(user, None)
        message["location"] = {"latitude": latitude, "longitude": longitude}
        return {"update_id": self.next_update_id(), "message": message}

    def contact_update(
        self, user: TelegramUser, phone_number: str, *, own: bool = True
    ) -> dict[str, Any]:
        message = self._user_message(user, None)
        message["contact"] = {
            "phone_number": phone_number,
            "first_name": user.first_name,
            **({"user_id": user.id} if own else {}),
        }
        return {"update_id": self.next_update_id(), "message": message}

    def member_update(self, user: TelegramUser, status: str) -> dict[str, Any]:
        """The user blocked ("kicked") or unblocked ("member") the bot in their private chat."""
        bot = {"id": BOT_ID, "is_bot": True, "first_name": "partnerbot"}
        old = "member" if status == "kicked" else "kicked"
        return {
            "update_id": self.next_update_id(),
            "my_chat_member": {
                "chat": user.private_chat(),
                "from": user.as_dict(),
                "date": int(time.time()),
                "old_chat_member": {"status": old, "user": bot, "until_date": 0}
                if old == "kicked"
                else {"status": old, "user": bot},
                "new_chat_member": {"status": status, "user": bot, "until_date": 0}
                if status == "kicked"
                else {"status": status, "user": bot},
            },
        }

    async def push(self, *updates: dict[str, Any]) -> None:
        """Queue updates for getUpdates."""
        async with self._changed:
            self._updates.extend(updates)
            self._changed.notify_all()

    def confirmed(self, update_id: int) -> bool:
        """Whether the bot asked for updates past this one (Telegram then forgets it)."""
        return self._confirmed_offset > update_id

    async def wait_confirmed(self, update_id: int, within: float = 10) -> None:
        await self.wait_until(lambda: self.confirmed(update_id), within)

    async def post_webhook(
        self, update: dict[str, Any], *, secret: str | None = None, body: bytes | None = None
    ) -> int:
        """Deliver an update to the registered webhook, as Telegram does; returns the status."""
        if self.webhook_url is None:
            raise AssertionError("no webhook was set")
        if self._client is None:
            self._client = ClientSession()
        headers = {"Content-Type": "application/json"}
        secret = self.webhook_secret if secret is None else secret
        if secret:
            headers[SECRET_HEADER] = secret
        data = body if body is not None else json.dumps(update).encode()
        async with self._client.post(self.webhook_url, data=data, headers=headers) as response:
            await response.read()
            return response.status

    # -- what the tests look at ----------------------------------------------------------------

    async def wait_until(self, condition: Callable[[], bool], within: float = 10) -> None:
        """Wait (event-driven, no polling sleeps) until a condition over the calls holds."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(condition)

    def calls_of(self, method: str, chat_id: int | None = None) -> list[ApiCall]:
        return [
            call
            for call in self.calls
            if call.method == method and (chat_id is None or call.chat_id == chat_id)
        ]

    def sent(self, chat_id: int | None = None) -> list[ApiCall]:
        """Accepted message calls (sends and edits), in order."""
        return [
            call
            for call in self.calls
            if call.method in MESSAGE_METHODS
            and call.ok
            and (chat_id is None or call.chat_id == chat_id)
        ]

    def rejected(self, status: int = 429) -> list[ApiCall]:
        return [call for call in self.calls if call.status == status]

    def chat(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in a chat as the person sees them now, oldest first."""
        return [m for (chat, _), m in sorted(self.messages.items()) if chat == chat_id]

    def last_message(self, chat_id: int) -> BotMessage:
        shown = self.chat(chat_id)
        if not shown:
            raise LookupError(f"the bot has sent nothing to chat {chat_id}")
        return shown[-1]

    def commands_for(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[str]:
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        return [command["command"] for command in self.commands.get(key, [])]

    # -- the HTTP side -------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Any]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, tuple[str, bytes]] = {}
        if request.content_type == "application/json":
            body = await request.read()
            if body:
                params.update(json.loads(body))
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = (value.filename, value.file.read())
                else:
                    params[key] = value
        for key, value in list(params.items()):
            if isinstance(value, str) and value[:1] in ("{", "[", '"'):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(value)
            if key in INT_FIELDS and isinstance(params[key], str):
                with contextlib.suppress(ValueError):
                    params[key] = int(params[key])
            if isinstance(params[key], str) and params[key].startswith("attach://"):
                params[key] = files.get(params[key][len("attach://") :], params[key])
        return params, files

    async def _record(
        self, method: str, params: dict[str, Any], files: dict[str, Any], status: int, at: float
    ) -> None:
        async with self._changed:
            self.calls.append(ApiCall(method, params, files, at, status))
            self._changed.notify_all()

    async def _api(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        params, files = await self._params(request)
        status, payload = await self._answer(method, params, files, at)
        await self._record(method, params, files, status, at)
        return web.json_response(payload, status=status)

    async def _answer(
        self, method: str, params: dict[str, Any], files: dict[str, Any], at: float
    ) -> tuple[int, dict[str, Any]]:
        failures = self._failures.get(method)
        if failures:
            failure = failures.popleft()
            return failure.status, _error_body(
                failure.status, failure.description, failure.retry_after
            )
        chat_id = params.get("chat_id")
        if method in MESSAGE_METHODS and isinstance(chat_id, int):
            if chat_id in self.blocked:
                return 403, _error_body(403, "Forbidden: bot was blocked by the user")
            wait = self._over_limit(chat_id, at) if self.limits else 0
            if wait:
                return 429, _error_body(429, f"Too Many Requests: retry after {wait}", wait)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return 404, _error_body(404, "Not Found: method not found")
        try:
            result = await handler(params, files)
        except _ApiError as exc:
            return exc.status, _error_body(exc.status, exc.description)
        if method in MESSAGE_METHODS and isinstance(chat_id, int):
            self._sent_at.setdefault(chat_id, deque()).append(at)
            self._overall_sent_at.append(at)
        return 200, {"ok": True, "result": result}

    def _over_limit(self, chat_id: int, at: float) -> int:
        """Seconds to wait if this message would break a limit; 0 when it may go."""
        for stamps, limit, period in (
            (self._sent_at.get(chat_id, deque()), self.per_chat, self.per_chat_period),
            (self._overall_sent_at, self.overall, self.overall_period),
        ):
            horizon = at - period + self.tolerance
            recent = [stamp for stamp in stamps if stamp > horizon]
            if len(recent) >= limit:
                return max(1, math.ceil(recent[-limit] - horizon))
        return 0

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(body=stored.content)
        return _error(404, "Not Found")

    # -- methods -------------------------------------------------------------------------------

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "partnerbot",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_getMe(self, params: dict[str, Any], files: dict[str, Any]) -> Any:  # noqa: N802
        return self._bot_user()

    async def _m_getUpdates(self, params: dict[str, Any], files: dict[str, Any]) -> Any:  # noqa: N802
        if self.webhook_url:
            raise _ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = min(float(params.get("timeout") or 0), self.max_poll_wait)
        async with self._changed:
            if offset:
                self._confirmed_offset = max(self._confirmed_offset, offset)
                while self._updates and self._updates[0]["update_id"] < offset:
                    self._updates.popleft()
            self._changed.notify_all()
            if not self._updates and timeout > 0:
                try:
                    async with asyncio.timeout(timeout):
                        await self._changed.wait_for(lambda: bool(self._updates) or self._closing)
                except TimeoutError:
                    pass
            return [u for u in self._updates if u["update_id"] >= offset][:limit]

    async def _m_setWebhook(self, params: dict[str, Any], files: dict[str, Any]) -> Any:  # noqa: N802
        url = params.get("url") or None
        self.webhook_url = url
        self.webhook_secret = params.get("secret_token") or None
        self.webhook_allowed_updates = params.get("allowed_updates")
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self._updates.clear()
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any], files: dict[str, Any]) -> Any:  # noqa: N802
        self.webhook_url = None
        self.webhook_secret = None
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self._updates.clear()
        return True

    async def _m_getWebhookInfo(self, params: dict[str, Any], files: dict[str, Any]) -> Any:  # noqa: N802
        return {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _message(self, chat_id: int, message_id: int, **content: Any) -> dict[str, Any]:
        found: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": self._bot_user(),
        }
        found.update(content)
        return found

    @staticmethod
    def _buttons(markup: Any) -> list[list[Button]]:
        if not isinstance(markup, dict):
            return []
        rows = markup.get("inline_keyboard") or []
        return [[Button(b["text"], b.get("callback_data", "")) for b in row] for row in rows]

    def _chat_id(self, params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise _ApiError(400, "Bad Request: chat not found")
        return chat_id

    async def _m_sendMessage(self, params: dict[str, Any], files: dict[str, Any]) -> Any:  # noqa: N802
        chat_id = self._chat_id(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        _check_markup(params.get("reply_markup"))
        message_id = self._next_message_id(chat_id)
        self.messages[(chat_id, message_id)] = BotMessage(
            chat_id, message_id, text, self._buttons(params.get("reply_markup"))
        )
        return self._message(
            chat_id, message_id, text=text, **_markup_field(params.get("reply_markup"))
        )

    async def _m_editMessageText(self, params: dict[str, Any], files: dict[str, Any]) -> Any:  # noqa: N802
        chat_id = self._chat_id(params)
        message_id = params.get("message_id")
        shown = self.messages.get((chat_id, message_id)) if isinstance(message_id, int) else None
        if shown is None or shown.photo or shown.document:
            raise _ApiError(400, "Bad Request: message to edit not found")
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        _check_markup(params.get("reply_markup"))
        buttons = self._buttons(params.get("reply_markup"))
        if text == shown.text and buttons == shown.buttons:
            raise _ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        shown.text = text
        shown.buttons = buttons
        shown.edits += 1
        return self._message(
            chat_id, shown.message_id, text=text, **_markup_field(params.get("reply_markup"))
        )

    async def _m_answerCallbackQuery(self, params: dict[str, Any], files: dict[str, Any]) -> Any:  # noqa: N802
        if not params.get("callback_query_id"):
            raise _ApiError(400, "Bad Request: query is too old and response timeout expired")
        return True

    async def _m_sendPhoto(self, params: dict[str, Any], files: dict[str, Any]) -> Any:  # noqa: N802
        chat_id = self._chat_id(params)
        photo = files.get("photo")
        if photo is None:
            raise _ApiError(400, "Bad Request: there is no photo in the request")
        message_id = self._next_message_id(chat_id)
        caption = str(params.get("caption") or "")
        self.messages[(chat_id, message_id)] = BotMessage(
            chat_id, message_id, caption, self._buttons(params.get("reply_markup")), photo=photo
        )
        size = {"file_id": f"sent-{message_id}", "file_unique_id": f"s{message_id}"}
        return self._message(
            chat_id,
            message_id,
            photo=[{**size, "width": 800, "height": 600}],
            **({"caption": caption} if caption else {}),
        )

    async def _m_sendDocument(self, params: dict[str, Any], files: dict[str, Any]) -> Any:  # noqa: N802
        chat_id = self._chat_id(params)
        document = files.get("document")
        if document is None:
            raise _ApiError(400, "Bad Request: there is no document in the request")
        message_id = self._next_message_id(chat_id)
        caption = str(params.get("caption") or "")
        self.messages[(chat_id, message_id)] = BotMessage(
            chat_id,
            message_id,
            caption,
            self._buttons(params.get("reply_markup")),
            document=document,
        )
        return self._message(
            chat_id,
            message_id,
            document={
                "file_id": f"sent-{message_id}",
                "file_unique_id": f"s{message_id}",
                "file_name": document[0],
            },
            **({"caption": caption} if caption else {}),
        )

    async def _m_getFile(self, params: dict[str, Any], files: dict[str, Any]) -> Any:  # noqa: N802
        stored = self.files.get(str(params.get("file_id")))
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": f"u{stored.file_id}",
            "file_size": stored.declared_size,
            "file_path": stored.file_path,
        }

    def _scope_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    async def _m_setMyCommands(self, params: dict[str, Any], files: dict[str, Any]) -> Any:  # noqa: N802
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _ApiError(400, "Bad Request: commands must be a list of at most 100")
        for command in commands:
            name = command.get("command", "")
            description = command.get("description", "")
            if not (
                1 <= len(name) <= 32 and all(c.islower() or c.isdigit() or c == "_" for c in name)
            ):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _ApiError(400, "Bad Request: command description is invalid")
        self.commands[self._scope_key(params)] = commands
        return True

    async def _m_getMyCommands(self, params: dict[str, Any], files: dict[str, Any]) -> Any:  # noqa: N802
        return self.commands.get(self._scope_key(params), [])

    async def _m_deleteMyCommands(self, params: dict[str, Any], files: dict[str, Any]) -> Any:  # noqa: N802
        self.commands.pop(self._scope_key(params), None)
        return True

    async def _m_close(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        return True


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _check_markup(markup: Any) -> None:
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise _ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )


def _markup_field(markup: Any) -> dict[str, Any]:
    return {"reply_markup": markup} if isinstance(markup, dict) else {}


def _error_body(status: int, description: str, retry_after: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body


def _error(status: int, description: str) -> web.Response:
    return web.json_response(_error_body(status, description), status=status)


def texts(messages: Iterable[BotMessage]) -> list[str]:
    return [message.text for message in messages]
