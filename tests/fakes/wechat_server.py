"""A fake WeChat API server on 127.0.0.1: Official Account and WeCom, recording every call.

It implements what partnerbot calls: `token` and `stable_token` (Official Account access
tokens), `message/custom/send` (customer-service messages), `message/template/send`,
`media/upload`, `menu/create`, and WeCom's `gettoken` and `message/send`. Tokens are checked
like the real server does: an unknown or revoked token answers errcode 40001.

Misbehaviour on request:
- `token_delay` holds every token answer that many seconds (to make refreshes overlap);
- `revoke_tokens()` makes every token issued so far invalid (40001);
- `custom_errors[openid] = (errcode, errmsg)` answers customer-service sends with that error;
- `unfollowed` OpenIDs answer 43004 to customer-service and template messages;
- `msgmenu_error = (errcode, errmsg)` refuses msgmenu customer-service messages.

Usage:

    async with FakeWeChat() as api:
        settings = Settings(wechat_api_url=api.base_url, wecom_api_url=api.base_url, ...)
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

MP_APP_ID = "wx2c2769f8efd9abc2"  # the official sample's AppID
MP_SECRET = "mp-secret"
WECOM_CORP_ID = "wx49f0ab532d5d035a"  # wechatpy's WeCom test corp
WECOM_SECRET = "wecom-secret"


@dataclass(frozen=True, slots=True)
class Call:
    path: str
    query: dict[str, str]
    body: Any  # parsed JSON, or {"filename": ..., "size": ...} for an upload


@dataclass
class FakeWeChat:
    token_delay: float = 0.0
    expires_in: int = 7200
    calls: list[Call] = field(default_factory=list)
    custom_errors: dict[str, tuple[int, str]] = field(default_factory=dict)
    unfollowed: set[str] = field(default_factory=set)
    msgmenu_error: tuple[int, str] | None = None
    _valid: set[str] = field(default_factory=set)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    base_url: str = ""

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> FakeWeChat:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/stable_token", self._stable_token)
        app.router.add_post("/cgi-bin/message/custom/send", self._custom_send)
        app.router.add_post("/cgi-bin/message/template/send", self._template_send)
        app.router.add_post("/cgi-bin/media/upload", self._media_upload)
        app.router.add_post("/cgi-bin/menu/create", self._menu_create)
        app.router.add_get("/cgi-bin/gettoken", self._wecom_token)
        app.router.add_post("/cgi-bin/message/send", self._wecom_send)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeWeChat:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- what tests read -------------------------------------------------------------------------

    def calls_to(self, path: str) -> list[Call]:
        return [call for call in self.calls if call.path == path]

    @property
    def token_fetches(self) -> list[Call]:
        return [
            call
            for call in self.calls
            if call.path in ("/cgi-bin/token", "/cgi-bin/stable_token", "/cgi-bin/gettoken")
        ]

    @property
    def sent(self) -> list[Call]:
        """Customer-service and WeCom application messages, in order."""
        return [
            call
            for call in self.calls
            if call.path in ("/cgi-bin/message/custom/send", "/cgi-bin/message/send")
        ]

    def texts_to(self, user: str) -> list[str]:
        """What one person was sent through the API, as text (msgmenu flattened)."""
        texts = []
        for call in self.sent:
            if call.body.get("touser") != user:
                continue
            if call.body.get("msgtype") == "text":
                texts.append(call.body["text"]["content"])
            elif call.body.get("msgtype") == "msgmenu":
                menu = call.body["msgmenu"]
                options = [f"{item['id']}. {item['content']}" for item in menu["list"]]
                texts.append("\n".join([menu["head_content"], *options]))
        return texts

    async def wait_for_sent(self, count: int, within: float = 10.0) -> list[Call]:
        """Wait (polling, bounded) until at least `count` messages were sent."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(self.sent) < count:
            if loop.time() > deadline:
                raise AssertionError(f"expected {count} sent messages, got {len(self.sent)}")
            await asyncio.sleep(0.01)
        return self.sent

    def revoke_tokens(self) -> None:
        self._valid.clear()

    # -- handlers --------------------------------------------------------------------------------

    def _record(self, request: web.Request, body: Any) -> None:
        self.calls.append(Call(request.path, dict(request.query), body))

    async def _issue(self, prefix: str) -> web.Response:
        if self.token_delay:
            await asyncio.sleep(self.token_delay)
        token = f"{prefix}-token-{next(self._counter)}"
        self._valid.add(token)
        return web.json_response({"access_token": token, "expires_in": self.expires_in})

    async def _token(self, request: web.Request) -> web.Response:
        self._record(request, None)
        query = request.query
        if query.get("appid") != MP_APP_ID or query.get("secret") != MP_SECRET:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        return await self._issue("mp")

    async def _stable_token(self, request: web.Request) -> web.Response:
        body = await request.json()
        self._record(request, body)
        if body.get("appid") != MP_APP_ID or body.get("secret") != MP_SECRET:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        return await self._issue("mp")

    async def _wecom_token(self, request: web.Request) -> web.Response:
        self._record(request, None)
        query = request.query
        if query.get("corpid") != WECOM_CORP_ID or query.get("corpsecret") != WECOM_SECRET:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        return await self._issue("wecom")

    def _token_error(self, request: web.Request) -> web.Response | None:
        if request.query.get("access_token") not in self._valid:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        return None

    async def _custom_send(self, request: web.Request) -> web.Response:
        body = await request.json()
        if (refused := self._token_error(request)) is not None:
            return refused
        openid = body.get("touser", "")
        if openid in self.unfollowed:
            return web.json_response({"errcode": 43004, "errmsg": "require subscribe"})
        if openid in self.custom_errors:
            errcode, errmsg = self.custom_errors[openid]
            return web.json_response({"errcode": errcode, "errmsg": errmsg})
        if body.get("msgtype") == "msgmenu" and self.msgmenu_error is not None:
            errcode, errmsg = self.msgmenu_error
            return web.json_response({"errcode": errcode, "errmsg": errmsg})
        self._record(request, body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _template_send(self, request: web.Request) -> web.Response:
        body = await request.json()
        if (refused := self._token_error(request)) is not None:
            return refused
        if body.get("touser") in self.unfollowed:
            return web.json_response({"errcode": 43004, "errmsg": "require subscribe"})
        self._record(request, body)
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": next(self._counter)})

    async def _media_upload(self, request: web.Request) -> web.Response:
        if (refused := self._token_error(request)) is not None:
            return refused
        form = await request.post()
        media = form.get("media")
        if not isinstance(media, web.FileField):
            return web.json_response({"errcode": 41005, "errmsg": "media data missing"})
        size = len(media.file.read())
        self._record(request, {"filename": media.filename, "size": size})
        kind = request.query.get("type", "image")
        media_id = f"MEDIA-{next(self._counter)}"
        return web.json_response({"type": kind, "media_id": media_id, "created_at": 1})

    async def _menu_create(self, request: web.Request) -> web.Response:
        body = json.loads(await request.text())
        if (refused := self._token_error(request)) is not None:
            return refused
        self._record(request, body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _wecom_send(self, request: web.Request) -> web.Response:
        body = await request.json()
        if (refused := self._token_error(request)) is not None:
            return refused
        self._record(request, body)
        return web.json_response({"errcode": 0, "errmsg": "ok", "invaliduser": ""})
