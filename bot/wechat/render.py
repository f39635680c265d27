"""How replies read in WeChat, which has no inline keyboards: numbered options in the text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from handlers.types import Choice, Reply

# WeChat cuts text messages at 2048 bytes; keep a margin.
MAX_TEXT_BYTES = 2000


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One WeChat message: text (with its options), or an image or a file to upload as media."""

    text: str = ""
    choices: tuple[Choice, ...] = ()
    numbered: bool = True  # a typed number picks an option (else it means a quantity)
    image: bytes | None = None
    image_name: str = ""
    document: bytes | None = None
    document_name: str = ""

    @property
    def full_text(self) -> str:
        """The text with its options listed under it, as a text message shows them."""
        return "\n".join([self.text, *choice_lines(self.choices, self.numbered)]).strip("\n")


def choice_lines(choices: Sequence[Choice], numbered: bool) -> list[str]:
    """ "1. 我的资料" where a typed number picks the option; "· 我的资料" where a number
    means a quantity (the label still works)."""
    if numbered:
        return [f"{n}. {choice.label}" for n, choice in enumerate(choices, 1)]
    return [f"· {choice.label}" for choice in choices]


def split_text(text: str, limit: int = MAX_TEXT_BYTES) -> list[str]:
    """Pieces of at most `limit` UTF-8 bytes, cut at line breaks where possible."""
    if len(text.encode("utf-8")) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode("utf-8")) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while len(line.encode("utf-8")) > limit:
            cut = limit // 4  # a character is at most 4 bytes: this many always fit
            while cut < len(line) and len(line[: cut + 1].encode("utf-8")) <= limit:
                cut += 1
            pieces.append(line[:cut])
            line = line[cut:]
        current = line
    if current:
        pieces.append(current)
    return pieces


def render_reply(reply: Reply) -> list[Outgoing]:
    """A reply as WeChat messages: its text (split when long, the options on the last piece),
    then its image and its file."""
    lines_size = len("\n".join(choice_lines(reply.choices, reply.takes_numbers)).encode("utf-8"))
    pieces = [
        piece for piece in split_text(reply.text, max(MAX_TEXT_BYTES - lines_size, 500)) if piece
    ]
    out = [Outgoing(text=piece) for piece in pieces[:-1]]
    if pieces or reply.choices:
        last = pieces[-1] if pieces else ""
        out.append(Outgoing(text=last, choices=reply.choices, numbered=reply.takes_numbers))
    if reply.image is not None:
        out.append(Outgoing(image=reply.image.content, image_name=reply.image.filename))
    if reply.document is not None:
        out.append(Outgoing(document=reply.document.content, document_name=reply.document.filename))
    return out


def render_replies(replies: Sequence[Reply]) -> list[Outgoing]:
    return [message for reply in replies for message in render_reply(reply)]
