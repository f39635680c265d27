"""A person in WeChat, for tests: builds the signed (and encrypted) requests WeChat would post.

The keys are the public sample vectors: the Official Account's from WeChat's own
WXBizMsgCrypt sample (token "spamtest"), WeCom's from wechatpy's test suite (token "123456").
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any

import xmltodict
from aiohttp.test_utils import TestClient
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto

from domain.clock import FixedClock
from tests.fakes.wechat_server import MP_APP_ID, WECOM_CORP_ID

MP_TOKEN = "spamtest"
MP_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
MP_ACCOUNT = "gh_10f6c3c3ac5a"
WECOM_TOKEN = "123456"
WECOM_AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
WECOM_AGENT_ID = 1

_msg_ids = itertools.count(6054768590064713728)


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: str
    text: str  # the passive reply's Content ("" for "success" and refusals)


@dataclass
class WeChatPerson:
    """Someone typing into the Official Account (`route="/wechat/mp"`) or a WeCom app."""

    client: TestClient[Any, Any]
    clock: FixedClock
    user: str
    route: str = "/wechat/mp"
    encrypted: bool = True
    token: str = MP_TOKEN
    nonces: itertools.count[int] = field(default_factory=lambda: itertools.count(1320562132))

    @property
    def wecom(self) -> bool:
        return self.route == "/wechat/work"

    @property
    def crypto(self) -> WeChatCrypto | WeComCrypto:
        if self.wecom:
            return WeComCrypto(WECOM_TOKEN, WECOM_AES_KEY, WECOM_CORP_ID)
        return WeChatCrypto(MP_TOKEN, MP_AES_KEY, MP_APP_ID)

    # -- building messages -----------------------------------------------------------------------

    def _envelope(self, fields: str, created: int | None = None) -> str:
        account = WECOM_CORP_ID if self.wecom else MP_ACCOUNT
        created = created if created is not None else int(self.clock.now().timestamp())
        agent = f"<AgentID>{WECOM_AGENT_ID}</AgentID>" if self.wecom else ""
        return (
            f"<xml><ToUserName>{cdata(account)}</ToUserName>"
            f"<FromUserName>{cdata(self.user)}</FromUserName>"
            f"<CreateTime>{created}</CreateTime>{fields}{agent}</xml>"
        )

    def text_xml(self, content: str, msg_id: int | None = None) -> str:
        msg_id = msg_id if msg_id is not None else next(_msg_ids)
        return self._envelope(
            f"<MsgType>{cdata('text')}</MsgType><Content>{cdata(content)}</Content>"
            f"<MsgId>{msg_id}</MsgId>"
        )

    def event_xml(self, event: str, key: str = "", created: int | None = None) -> str:
        fields = f"<MsgType>{cdata('event')}</MsgType><Event>{cdata(event)}</Event>"
        if key:
            fields += f"<EventKey>{cdata(key)}</EventKey>"
        return self._envelope(fields, created)

    # -- signing -------------------------------------------------------------------------------

    def signed(self, xml: str, *, timestamp: int | None = None) -> tuple[dict[str, str], str]:
        """The query and body WeChat would post for this plaintext message."""
        stamp = str(timestamp if timestamp is not None else int(self.clock.now().timestamp()))
        nonce = str(next(self.nonces))
        query = {"timestamp": stamp, "nonce": nonce}
        if not self.encrypted:
            query["signature"] = sha1_signature(self.token, stamp, nonce)
            query["openid"] = self.user
            return query, xml
        encrypted = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, stamp))["xml"]
        body = (
            f"<xml><ToUserName>{cdata(MP_ACCOUNT)}</ToUserName>"
            f"<Encrypt>{cdata(encrypted['Encrypt'])}</Encrypt></xml>"
        )
        query["msg_signature"] = encrypted["MsgSignature"]
        if not self.wecom:
            query["signature"] = sha1_signature(MP_TOKEN, stamp, nonce)
            query["encrypt_type"] = "aes"
            query["openid"] = self.user
        return query, body

    # -- talking ---------------------------------------------------------------------------------

    async def post(self, query: dict[str, str], body: str | bytes) -> Answer:
        response = await self.client.post(self.route, params=query, data=body)
        text = await response.text()
        return Answer(response.status, text, self.read_reply(text, query))

    def read_reply(self, body: str, query: dict[str, str]) -> str:
        """The passive reply's text, after checking its signature and decrypting it."""
        if not body.startswith("<xml>"):
            return ""
        fields = xmltodict.parse(body)["xml"]
        if self.encrypted:
            assert fields["Nonce"] == query["nonce"]
            plain = self.crypto.decrypt_message(
                body, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"]
            )
            fields = xmltodict.parse(plain)["xml"]
        assert fields["ToUserName"] == self.user
        assert fields["MsgType"] == "text"
        return str(fields["Content"])

    async def say(self, text: str) -> str:
        answer = await self.post(*self.signed(self.text_xml(text)))
        assert answer.status == 200, answer
        return answer.text

    async def event(self, event: str, key: str = "") -> str:
        answer = await self.post(*self.signed(self.event_xml(event, key)))
        assert answer.status == 200, answer
        return answer.text


def numbered_option(text: str, label: str) -> str:
    """The number in front of the option that starts with `label` in a reply's options."""
    for line in text.splitlines():
        number, dot, rest = line.partition(". ")
        if dot and number.isdigit() and rest.strip().startswith(label):
            return number
    raise AssertionError(f"{label!r} is not an option in:\n{text}")
