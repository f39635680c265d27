"""A WeChat message or event, read with wechatpy's parser into one frozen value we trust."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.wechat.security import MAX_FIELD, Refused, xml_text

MAX_CONTENT = 8192
COMMAND_KEY = re.compile(r"^cmd:([a-z_]{1,32})$")


@dataclass(frozen=True, slots=True)
class InboundMessage:
    kind: str  # text, image, voice, location, event, or another WeChat MsgType
    sender: str  # FromUserName: an OpenID (Official Account) or a member's UserID (WeCom)
    account: str  # ToUserName: our account
    created: int  # CreateTime, seconds
    msg_id: str  # MsgId, "" for events
    text: str = ""
    event: str = ""  # lowercased Event, for kind == "event"
    event_key: str = ""
    media_id: str = ""
    latitude: float | None = None
    longitude: float | None = None

    @property
    def dedupe_key(self) -> str:
        """MsgId for messages; FromUserName + CreateTime + Event for events (WeChat's advice)."""
        if self.msg_id and self.msg_id != "0":
            return f"m:{self.msg_id}"
        return f"e:{self.sender}:{self.created}:{self.event or self.kind}"


def _text(value: Any, name: str, *, limit: int = MAX_FIELD, required: bool = False) -> str:
    if value is None or value == "":
        if required:
            raise Refused(400, f"{name} missing")
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise Refused(400, f"{name} malformed")
    return value


def _coordinate(value: Any) -> float | None:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if -180.0 <= number <= 180.0 else None


def read_message(parse: Callable[[str], Any], plain: str | bytes) -> InboundMessage:
    """Parse with wechatpy's `parse_message` (Official Account or WeCom flavour), refusing
    anything that does not read as one well-formed message."""
    text = xml_text(plain)
    try:
        message = parse(text)
        fields: dict[str, Any] = message._data if message is not None else {}
    except Refused:
        raise
    except Exception as exc:  # ExpatError, KeyError, AttributeError, ValueError...
        raise Refused(400, "malformed message") from exc
    if not isinstance(fields, dict):
        raise Refused(400, "malformed message")
    kind = _text(fields.get("MsgType"), "MsgType", limit=32, required=True).lower()
    created_raw = _text(fields.get("CreateTime"), "CreateTime", limit=12, required=True)
    if not created_raw.isascii() or not created_raw.isdigit():
        raise Refused(400, "CreateTime malformed")
    msg_id = _text(fields.get("MsgId"), "MsgId", limit=32)
    if msg_id and not (msg_id.isascii() and msg_id.isdigit()):
        raise Refused(400, "MsgId malformed")
    event = ""
    if kind == "event":
        event = _text(fields.get("Event"), "Event", limit=64, required=True).lower()
    text_value = ""
    if kind == "text":
        text_value = _text(fields.get("Content"), "Content", limit=MAX_CONTENT)
    elif kind == "voice":  # speech recognition, where the account has it switched on
        text_value = _text(fields.get("Recognition"), "Recognition", limit=MAX_CONTENT)
    latitude = longitude = None
    if kind == "location":
        latitude = _coordinate(fields.get("Location_X"))
        longitude = _coordinate(fields.get("Location_Y"))
    return InboundMessage(
        kind=kind,
        sender=_text(fields.get("FromUserName"), "FromUserName", required=True),
        account=_text(fields.get("ToUserName"), "ToUserName", required=True),
        created=int(created_raw),
        msg_id=msg_id,
        text=text_value,
        event=event,
        event_key=_text(fields.get("EventKey"), "EventKey", limit=512),
        media_id=_text(fields.get("MediaId"), "MediaId", limit=256),
        latitude=latitude,
        longitude=longitude,
    )


def menu_command(event_key: str) -> str | None:
    """A menu click's EventKey `cmd:NAME` stands for the command /NAME."""
    found = COMMAND_KEY.match(event_key)
    return f"/{found.group(1)}" if found else None
