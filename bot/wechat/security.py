"""What a webhook checks before it believes a request came from WeChat, and how it reads it.

Every failure here is a `Refused` with a 4xx status: wechatpy lets ValueError, ExpatError,
binascii.Error and friends escape on bad input, so every decode and parse step is wrapped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import xmltodict
from aiohttp import web

MAX_BODY = 64 * 1024  # WeChat's own messages are a few KiB; anything larger is not WeChat
MAX_SKEW = 300  # seconds between WeChat's timestamp and our clock
MAX_FIELD = 128


class Refused(Exception):
    """A request we do not act on; `status` is what the webhook answers."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def signature(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the sorted parts, concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def check_signature(given: str, *parts: str) -> None:
    expected = signature(*parts).encode("ascii")
    if not given or not hmac.compare_digest(expected, given.encode("utf-8", "replace")):
        raise Refused(403, "bad signature")


def check_timestamp(raw: str, now: datetime) -> None:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise Refused(400, "bad timestamp")
    if abs(now.timestamp() - int(raw)) > MAX_SKEW:
        raise Refused(403, "timestamp outside the accepted window")


def query_value(request: web.Request, name: str, *, limit: int = 1024) -> str:
    value = request.query.get(name, "")
    if len(value) > limit:
        raise Refused(400, f"{name} too long")
    return value


async def read_body(request: web.Request) -> bytes:
    """The body, refused before reading when it is (or turns out to be) over MAX_BODY."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise Refused(413, "body too large")
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(MAX_BODY + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY:
            raise Refused(413, "body too large")
    return b"".join(chunks)


def xml_text(data: bytes | str) -> str:
    """The body as text, refused when it is not UTF-8 or declares anything (DTD, entities).

    WeChat never sends a DOCTYPE; refusing every markup declaration outside CDATA keeps
    entity expansion (billion laughs) and external entities (XXE) away from the parser.
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise Refused(400, "body is not UTF-8") from exc
    position = 0
    while True:
        found = text.find("<!", position)
        if found < 0:
            return text
        if not text.startswith("<![CDATA[", found):
            raise Refused(400, "markup declarations are not accepted")
        end = text.find("]]>", found + 9)
        if end < 0:
            raise Refused(400, "unterminated CDATA section")
        position = end + 3


def parse_envelope(data: bytes) -> dict[str, Any]:
    """The outer <xml> element as a dict of its children."""
    text = xml_text(data)
    try:
        parsed = xmltodict.parse(text)
    except Exception as exc:  # ExpatError, ValueError, and whatever else the parser raises
        raise Refused(400, "malformed XML") from exc
    root = parsed.get("xml") if isinstance(parsed, dict) else None
    if not isinstance(root, dict):
        raise Refused(400, "no <xml> element")
    return root


def text_field(fields: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = fields.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value:
        raise Refused(400, f"{name} missing or malformed")
    return value


def check_ciphertext(encrypt: str) -> None:
    """Strict base64 of whole AES blocks (wechatpy's decoder silently skips bad characters)."""
    try:
        raw = base64.b64decode(encrypt, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Refused(400, "Encrypt is not base64") from exc
    if not raw or len(raw) % 16:
        raise Refused(400, "Encrypt is not whole AES blocks")


def decrypt(decrypt_with: Callable[[str], str], encrypt: str) -> str:
    """Run wechatpy's decryption, turning whatever it raises into a refusal."""
    check_ciphertext(encrypt)
    try:
        plain = decrypt_with(encrypt)
    except Exception as exc:  # bad padding, wrong app id, bad lengths, bad UTF-8
        raise Refused(400, "cannot decrypt") from exc
    if not isinstance(plain, str) or not plain:
        raise Refused(400, "empty message")
    return plain


@dataclass(frozen=True, slots=True)
class Query:
    """The query parameters WeChat signs with."""

    timestamp: str
    nonce: str
    signature: str
    msg_signature: str
    encrypt_type: str
    echostr: str

    @classmethod
    def of(cls, request: web.Request) -> Query:
        return cls(
            timestamp=query_value(request, "timestamp", limit=16),
            nonce=query_value(request, "nonce", limit=64),
            signature=query_value(request, "signature", limit=64),
            msg_signature=query_value(request, "msg_signature", limit=64),
            encrypt_type=query_value(request, "encrypt_type", limit=16),
            echostr=query_value(request, "echostr", limit=1024),
        )


def cdata_safe(text: str) -> str:
    """Text that cannot close the CDATA section wechatpy wraps it in."""
    return text.replace("]]>", "]]]]><![CDATA[>")
