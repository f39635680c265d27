"""Builds the WeChat channels from the settings: webhooks, API clients and messengers."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from aiohttp import web

from bot.config import ConfigError, Settings
from bot.wechat.api import Http, OfficialAccountApi, SharedToken, WeComApi
from bot.wechat.delivery import (
    OfficialAccountMessenger,
    OfficialAccountSender,
    TemplateSpec,
    WeComMessenger,
    WeComSender,
)
from bot.wechat.webhook import Conversations, OfficialAccountWebhook, WeComWebhook
from domain.clock import Clock
from domain.db import Database
from domain.delivery import Messenger


@dataclass
class OfficialAccount:
    webhook: OfficialAccountWebhook
    api: OfficialAccountApi
    messenger: OfficialAccountMessenger
    http: Http


@dataclass
class WeComApplication:
    webhook: WeComWebhook
    api: WeComApi
    messenger: WeComMessenger
    http: Http


@dataclass
class WeChat:
    official_account: OfficialAccount | None = None
    wecom: WeComApplication | None = None
    _closed: bool = field(default=False, repr=False)

    def add_routes(self, web_app: web.Application) -> None:
        if self.official_account is not None:
            webhook = self.official_account.webhook
            web_app.router.add_get("/wechat/mp", webhook.get)
            web_app.router.add_post("/wechat/mp", webhook.post)
        if self.wecom is not None:
            web_app.router.add_get("/wechat/work", self.wecom.webhook.get)
            web_app.router.add_post("/wechat/work", self.wecom.webhook.post)

    def messengers(self) -> list[Messenger]:
        """For the outbox sender: one per configured platform."""
        found: list[Messenger] = []
        if self.official_account is not None:
            found.append(self.official_account.messenger)
        if self.wecom is not None:
            found.append(self.wecom.messenger)
        return found

    async def drain(self) -> None:
        for channel in (self.official_account, self.wecom):
            if channel is not None:
                await channel.webhook.drain()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.drain()
        for channel in (self.official_account, self.wecom):
            if channel is not None:
                await channel.http.aclose()


def _secret(value: object) -> str | None:
    getter = getattr(value, "get_secret_value", None)
    return str(getter()) if getter is not None else None


def _aes_key(raw: str, variable: str) -> str:
    try:
        key = base64.b64decode(raw + "=", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(raw) != 43 or len(key) != 32:
        raise ConfigError(f"PARTNERBOT_{variable}: must be the 43-character EncodingAESKey")
    return raw


def _require(settings: Settings, names: list[str], feature: str) -> None:
    missing = [name for name in names if not getattr(settings, name)]
    if missing:
        wanted = ", ".join(f"PARTNERBOT_{name.upper()}" for name in missing)
        raise ConfigError(f"{feature} is half configured: set {wanted}")


def build_wechat(
    settings: Settings,
    db: Database,
    clock: Clock,
    engine: Conversations,
    *,
    reply_budget: float | None = None,
) -> WeChat | None:
    """The configured channels, or None when neither WeChat platform is configured."""
    wechat = WeChat()
    extra = {"reply_budget": reply_budget} if reply_budget is not None else {}
    if settings.wechat_app_id or settings.wechat_token:
        _require(
            settings,
            ["wechat_app_id", "wechat_app_secret", "wechat_token"],
            "The Official Account",
        )
        app_id = str(settings.wechat_app_id)
        aes_key = _secret(settings.wechat_aes_key)
        http = Http(settings.wechat_api_url)
        token = SharedToken(
            db,
            clock,
            f"wechat_mp:{app_id}",
            OfficialAccountApi.token_fetcher(
                http, app_id, _secret(settings.wechat_app_secret) or ""
            ),
        )
        api = OfficialAccountApi(http, token)
        sender = OfficialAccountSender(api)
        try:
            templates = {
                kind: TemplateSpec.parse(raw) for kind, raw in settings.wechat_templates.items()
            }
        except ValueError as exc:
            raise ConfigError(f"PARTNERBOT_WECHAT_TEMPLATES: {exc}") from None
        wechat.official_account = OfficialAccount(
            webhook=OfficialAccountWebhook(
                token=_secret(settings.wechat_token) or "",
                app_id=app_id,
                aes_key=_aes_key(aes_key, "WECHAT_AES_KEY") if aes_key else None,
                db=db,
                clock=clock,
                engine=engine,
                sender=sender,
                **extra,
            ),
            api=api,
            messenger=OfficialAccountMessenger(db, clock, sender, templates),
            http=http,
        )
    if settings.wecom_corp_id or settings.wecom_token:
        _require(
            settings,
            ["wecom_corp_id", "wecom_agent_id", "wecom_secret", "wecom_token", "wecom_aes_key"],
            "WeCom",
        )
        corp_id = str(settings.wecom_corp_id)
        try:
            agent_id = int(str(settings.wecom_agent_id))
        except ValueError:
            raise ConfigError("PARTNERBOT_WECOM_AGENT_ID: must be a number") from None
        http = Http(settings.wecom_api_url)
        token = SharedToken(
            db,
            clock,
            f"wecom:{corp_id}:{agent_id}",
            WeComApi.token_fetcher(http, corp_id, _secret(settings.wecom_secret) or ""),
        )
        api_wecom = WeComApi(http, token, agent_id)
        wecom_sender = WeComSender(api_wecom)
        wechat.wecom = WeComApplication(
            webhook=WeComWebhook(
                token=_secret(settings.wecom_token) or "",
                corp_id=corp_id,
                aes_key=_aes_key(_secret(settings.wecom_aes_key) or "", "WECOM_AES_KEY"),
                agent_id=agent_id,
                db=db,
                clock=clock,
                engine=engine,
                sender=wecom_sender,
                **extra,
            ),
            api=api_wecom,
            messenger=WeComMessenger(db, clock, wecom_sender),
            http=http,
        )
    if wechat.official_account is None and wechat.wecom is None:
        return None
    return wechat
