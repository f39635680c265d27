"""What arrives from a chat platform and what goes back: the only types adapters share."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.enums import Platform


@dataclass(frozen=True, slots=True)
class Attachment:
    kind: str  # "image" | "document"
    filename: str
    content: bytes = b""
    media_type: str = "application/octet-stream"
    ref: str | None = None  # platform file id when the bytes are not fetched yet


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a person did in a chat: typed text, tapped a button, sent a file or place."""

    platform: Platform
    user_ref: str
    chat_ref: str
    text: str = ""
    payload: str | None = None
    attachments: tuple[Attachment, ...] = ()
    location: Location | None = None
    message_id: str | None = None
    display_name: str = ""
    language_hint: str | None = None


@dataclass(frozen=True, slots=True)
class Choice:
    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Reply:
    """One message back: text, optional choices (buttons or numbered options), a file."""

    text: str
    choices: tuple[Choice, ...] = ()
    columns: int = 1
    takes_numbers: bool = True  # False where a typed number means a quantity, not an option
    image: Attachment | None = None
    document: Attachment | None = None
    recipient_hint: str | None = field(default=None, compare=False)
