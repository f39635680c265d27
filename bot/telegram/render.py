"""How a Reply looks on Telegram: text cut to Telegram's sizes, choices as an inline keyboard."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_TEXT = 4096  # UTF-16 code units, as Telegram counts them
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
MAX_BUTTON_LABEL = 120  # longer labels are cut; Telegram shows about a line anyway


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _cut(line: str, limit: int) -> list[str]:
    """A line longer than a message, cut at the limit without splitting a character."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for ch in line:
        width = 2 if ord(ch) > 0xFFFF else 1
        if size + width > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += width
    if current:
        pieces.append("".join(current))
    return pieces


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Messages of at most `limit`, cut at line ends where possible; joined with "\\n" they give
    back the text (a line longer than a message is cut inside)."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        pieces = _cut(line, limit) if telegram_length(line) > limit else [line]
        for piece in pieces:
            width = telegram_length(piece)
            extra = width + (1 if current else 0)
            if current and size + extra > limit:
                chunks.append("\n".join(current))
                current, size = [], 0
                extra = width
            current.append(piece)
            size += extra
    chunks.append("\n".join(current))
    return chunks


def keyboard(labels: Sequence[str], token: str, columns: int = 1) -> InlineKeyboardMarkup | None:
    """Buttons carrying "token:index"; the payloads stay in the database under the token."""
    if not labels:
        return None
    columns = max(1, min(columns, 8))
    buttons = [
        InlineKeyboardButton(_label(label), callback_data=f"{token}:{index}")
        for index, label in enumerate(labels)
    ]
    rows = [buttons[i : i + columns] for i in range(0, len(buttons), columns)]
    return InlineKeyboardMarkup(rows)


def _label(label: str) -> str:
    label = " ".join(label.split()) or "…"
    return label if len(label) <= MAX_BUTTON_LABEL else label[: MAX_BUTTON_LABEL - 1] + "…"


def parse_callback_data(data: str | None) -> tuple[str, int] | None:
    """("token", index) from "token:index"; None for anything we did not send."""
    if not data or len(data) > MAX_CALLBACK_DATA:
        return None
    token, sep, index = data.rpartition(":")
    if not sep or not token or not index.isdigit() or len(index) > 3:
        return None
    return token, int(index)
