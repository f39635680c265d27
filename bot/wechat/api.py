"""The WeChat and WeCom HTTP APIs over aiohttp, with one access token shared by all processes.

Nothing here blocks the event loop (wechatpy's own client uses `requests`, so it is not used).
A token is refreshed ahead of expiry by whichever process wins the database lease, and once more
when the platform rejects it (40001, 42001, 40014); everyone else keeps using the current one.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from domain.access_tokens import cached_token, release_lease, store_token, take_refresh_lease
from domain.clock import Clock
from domain.db import Database

log = logging.getLogger(__name__)

TOKEN_REJECTED = frozenset({40001, 40014, 42001})  # invalid, malformed, expired
BUSY = frozenset({-1, 45009, 45011})  # system busy; API call or frequency limit reached


class ApiUnavailable(Exception):
    """The platform could not be reached or answered with something that is not its JSON."""


class TokenUnavailable(ApiUnavailable):
    """No access token: the platform refused our credentials, or the lease holder vanished."""


@dataclass(frozen=True, slots=True)
class ApiResult:
    errcode: int
    errmsg: str
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.errcode == 0


def _result(body: Any) -> ApiResult:
    if not isinstance(body, dict):
        raise ApiUnavailable("the platform answered something that is not a JSON object")
    try:
        errcode = int(body.get("errcode", 0))
    except (TypeError, ValueError) as exc:
        raise ApiUnavailable("the platform answered a malformed errcode") from exc
    return ApiResult(errcode, str(body.get("errmsg", "")), body)


class Http:
    """One aiohttp session per platform base URL, opened on first use inside the event loop."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        data: aiohttp.FormData | None = None,
    ) -> ApiResult:
        url = f"{self.base_url}{path}"
        try:
            async with self._open().request(
                method, url, params=params, json=json, data=data
            ) as response:
                if response.status >= 400:
                    raise ApiUnavailable(f"{path} answered HTTP {response.status}")
                return _result(await response.json(content_type=None))
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise ApiUnavailable(f"{path}: {type(exc).__name__}: {exc}") from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


FetchToken = Callable[[bool], Awaitable[tuple[str, int]]]  # force refresh -> (token, expires_in)


class SharedToken:
    """An access token cached in the database for every process, refreshed by one at a time."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        app: str,
        fetch: FetchToken,
        *,
        refresh_ahead: timedelta = timedelta(minutes=5),
        lease: timedelta = timedelta(seconds=30),
        poll_seconds: float = 0.05,
        max_wait_seconds: float = 15.0,
    ) -> None:
        self.db = db
        self.clock = clock
        self.app = app
        self._fetch = fetch
        self._ahead = refresh_ahead
        self._lease = lease
        self._poll = poll_seconds
        self._max_wait = max_wait_seconds
        self._owner = uuid.uuid4().hex[:16]
        self._memory: tuple[str, datetime] | None = None
        self._lock = asyncio.Lock()  # one refresh attempt per process at a time
        self._failed_at: float | None = None  # loop time of the last failed fetch
        self.retry_after_failure = 5.0  # seconds: a failing token endpoint is not hammered

    def _remembered(self, stale: str | None) -> str | None:
        if self._memory is None:
            return None
        token, expires_at = self._memory
        if token != stale and expires_at > self.clock.now() + self._ahead:
            return token
        return None

    async def get(self, *, stale: str | None = None) -> str:
        """A valid token; `stale` is one the platform just rejected, refreshed at most once."""
        token = self._remembered(stale)
        if token is not None:
            return token
        async with self._lock:
            loop = asyncio.get_running_loop()
            if (
                self._failed_at is not None
                and loop.time() - self._failed_at < self.retry_after_failure
            ):
                raise TokenUnavailable(f"no access token for {self.app}: the last fetch failed")
            try:
                return await self._get_shared(stale)
            except ApiUnavailable:
                self._failed_at = loop.time()
                raise

    async def _get_shared(self, stale: str | None) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._max_wait
        while True:
            now = self.clock.now()
            async with self.db.transaction() as session:
                cached = await cached_token(session, self.app)
            if cached.usable(now + self._ahead) and cached.token != stale:
                return self._keep(cached.token, cached.expires_at)
            async with self.db.transaction() as session:
                won = await take_refresh_lease(
                    session,
                    self.app,
                    self._owner,
                    now,
                    now + self._lease,
                    refresh_before=now + self._ahead,
                    stale_token=stale,
                )
            if won:
                return await self._refresh(force=stale is not None)
            # Another process is refreshing (or just did): the current token still works.
            if cached.usable(now) and cached.token != stale:
                return self._keep(cached.token, cached.expires_at)
            if loop.time() > deadline:
                raise TokenUnavailable(f"no access token for {self.app}: the refresh stalled")
            await asyncio.sleep(self._poll)

    async def _refresh(self, *, force: bool) -> str:
        try:
            token, expires_in = await self._fetch(force)
        except BaseException:
            async with self.db.transaction() as session:
                await release_lease(session, self.app, self._owner)
            raise
        now = self.clock.now()
        expires_at = now + timedelta(seconds=max(expires_in, 60))
        async with self.db.transaction() as session:
            await store_token(session, self.app, self._owner, token, expires_at, now)
        self._failed_at = None
        log.info("refreshed the access token of %s", self.app)
        return self._keep(token, expires_at)

    def _keep(self, token: str | None, expires_at: datetime | None) -> str:
        assert token is not None
        assert expires_at is not None
        self._memory = (token, expires_at)
        return token


def _token_from(result: ApiResult, what: str) -> tuple[str, int]:
    token = result.body.get("access_token")
    if not result.ok or not isinstance(token, str) or not token:
        raise TokenUnavailable(f"{what} refused: {result.errcode} {result.errmsg}")
    try:
        expires_in = int(result.body.get("expires_in", 7200))
    except (TypeError, ValueError):
        expires_in = 7200
    return token, expires_in


class TokenApi:
    """Calls that carry `access_token`, retried once with a fresh token when it is rejected."""

    def __init__(self, http: Http, token: SharedToken) -> None:
        self.http = http
        self.token = token

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        form: Callable[[], aiohttp.FormData] | None = None,
    ) -> ApiResult:
        token = await self.token.get()
        for attempt in range(2):
            query = {**(params or {}), "access_token": token}
            result = await self.http.request(
                method, path, params=query, json=json, data=form() if form else None
            )
            if result.errcode not in TOKEN_REJECTED or attempt:
                return result
            log.warning("%s rejected the access token (%s); refreshing once", path, result.errcode)
            token = await self.token.get(stale=token)
        return result  # pragma: no cover - the loop always returns

    async def upload_media(
        self, kind: str, filename: str, content: bytes, media_type: str
    ) -> ApiResult:
        """A temporary media file (both APIs: the same path and form)."""
        return await self.call(
            "POST",
            "/cgi-bin/media/upload",
            params={"type": kind},
            form=self.media_form(filename, content, media_type),
        )

    @staticmethod
    def media_form(
        filename: str, content: bytes, media_type: str
    ) -> Callable[[], aiohttp.FormData]:
        def build() -> aiohttp.FormData:
            form = aiohttp.FormData()
            form.add_field("media", content, filename=filename, content_type=media_type)
            return form

        return build


class OfficialAccountApi(TokenApi):
    """The Official Account (公众号) API: customer-service and template messages, media, menu."""

    @staticmethod
    def token_fetcher(http: Http, app_id: str, secret: str) -> FetchToken:
        async def fetch(force: bool) -> tuple[str, int]:
            result = await http.request(
                "POST",
                "/cgi-bin/stable_token",
                json={
                    "grant_type": "client_credential",
                    "appid": app_id,
                    "secret": secret,
                    "force_refresh": force,
                },
            )
            return _token_from(result, "stable_token")

        return fetch

    async def send_custom(self, openid: str, message: dict[str, Any]) -> ApiResult:
        return await self.call(
            "POST", "/cgi-bin/message/custom/send", json={"touser": openid, **message}
        )

    async def send_template(
        self, openid: str, template_id: str, data: dict[str, dict[str, str]]
    ) -> ApiResult:
        body = {"touser": openid, "template_id": template_id, "data": data}
        return await self.call("POST", "/cgi-bin/message/template/send", json=body)

    async def create_menu(self, menu: dict[str, Any]) -> ApiResult:
        return await self.call("POST", "/cgi-bin/menu/create", json=menu)


class WeComApi(TokenApi):
    """A WeCom (企业微信) application: messages to members, media, the application menu."""

    def __init__(self, http: Http, token: SharedToken, agent_id: int) -> None:
        super().__init__(http, token)
        self.agent_id = agent_id

    @staticmethod
    def token_fetcher(http: Http, corp_id: str, secret: str) -> FetchToken:
        async def fetch(force: bool) -> tuple[str, int]:
            result = await http.request(
                "GET", "/cgi-bin/gettoken", params={"corpid": corp_id, "corpsecret": secret}
            )
            return _token_from(result, "gettoken")

        return fetch

    async def send_message(self, userid: str, message: dict[str, Any]) -> ApiResult:
        body = {"touser": userid, "agentid": self.agent_id, **message}
        return await self.call("POST", "/cgi-bin/message/send", json=body)

    async def create_menu(self, menu: dict[str, Any]) -> ApiResult:
        return await self.call(
            "POST", "/cgi-bin/menu/create", params={"agentid": str(self.agent_id)}, json=menu
        )
