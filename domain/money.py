"""Money in yuan to the fen: one way to read it from people and files, one way to show it."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")

# The largest amount a money column holds (NUMERIC(14, 2) / whole fen); anything above is a typo.
MONEY_LIMIT = Decimal("999999999999.99")

# "12", "12.5", "12,345.60": digits with optional, correctly placed thousands separators.
_AMOUNT = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+")
_CURRENCY_PREFIXES = ("¥", "rmb", "cny")
_CURRENCY_SUFFIXES = ("元", "rmb", "cny", "yuan")
_MAX_TEXT = 64


def to_fen(amount: Decimal) -> Decimal:
    """An amount quantised to the fen, rounding halves away from zero as cashiers do."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal) -> str:
    """¥1,234.50; negative amounts as -¥12.00."""
    value = to_fen(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value):,.2f}"


def parse_money(text: str) -> Decimal | None:
    """A non-negative amount to the fen from what a person or a spreadsheet wrote, or None.

    Accepts "12.5", "¥12.50", "￥12.50", "12,345.6", "12元", full-width digits and spaces around.
    Refuses more than two decimals, negatives, NaN and infinities, and amounts a money column
    cannot hold.
    """
    if not isinstance(text, str) or len(text) > _MAX_TEXT:
        return None
    folded = unicodedata.normalize("NFKC", text).strip().casefold()
    for prefix in _CURRENCY_PREFIXES:
        if folded.startswith(prefix):
            folded = folded[len(prefix) :].strip()
            break
    for suffix in _CURRENCY_SUFFIXES:
        if folded.endswith(suffix):
            folded = folded[: -len(suffix)].strip()
            break
    if not _AMOUNT.fullmatch(folded):
        return None
    _, _, decimals = folded.partition(".")
    if len(decimals) > 2:
        return None
    try:
        value = Decimal(folded.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        return None
    if not value.is_finite() or value > MONEY_LIMIT:
        return None
    return to_fen(value)
