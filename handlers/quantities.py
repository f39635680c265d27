"""Quantities as people type them (20, ２０, 二十, 20箱, x20) read strictly, with a reason if not.

`parse_quantity` reads one quantity for one product; `parse_quick_order` splits a one-message
order ("A100 20箱, B200 5") into (SKU, quantity text) pairs for it. Neither ever raises.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

import cn2an

from handlers.i18n import Translate
from handlers.units import unit_name, unit_of_word

MAX_QUANTITY = 100_000
_MAX_TEXT = 100
_MAX_DIGITS = 15  # longer numbers are only "too large"; int() on huge digit strings is slow

CHINESE_NUMERALS = frozenset(
    "零〇一二两兩三四五六七八九十百千万萬亿億壹贰貳叁參肆伍陆陸柒捌玖拾佰仟廿卅"
)
_MINUS = ("-", "−", "–", "负", "負")
_MULTIPLY = ("x", "×", "*")
_ASCII_NUMBER = re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]+))?")
_ASCII_FRACTION = re.compile(r"[0-9]+\s*/\s*[0-9]+|\.[0-9]+|[0-9]+\.")
_MIXED_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?[十百千万萬亿億]+")
# A unit word after the number: English letters, or one of the Chinese measure words.
_UNIT_SUFFIX = re.compile(r"(?P<number>.*?)\s*(?P<word>[a-z]+|[箱件瓶袋盒包])")


class RejectionReason(StrEnum):
    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"
    ZERO = "zero"
    NEGATIVE = "negative"
    FRACTION = "fraction"
    TOO_LARGE = "too_large"
    BELOW_MINIMUM = "below_minimum"
    NOT_PACK_MULTIPLE = "not_pack_multiple"
    WRONG_UNIT = "wrong_unit"


@dataclass(frozen=True, slots=True)
class Quantity:
    """A valid order quantity: positive, at least the minimum, a multiple of the pack."""

    value: int
    unit: str


@dataclass(frozen=True, slots=True)
class QuantityRejection:
    """Why a quantity was refused, with the numbers needed to explain it."""

    reason: RejectionReason
    unit: str
    minimum: int
    pack_multiple: int
    given: int | None = None  # the whole number read, when one was read
    given_unit: str | None = None  # WRONG_UNIT: the unit code the person typed
    limit: int = MAX_QUANTITY
    lower: int | None = None  # NOT_PACK_MULTIPLE: the valid quantity just below, if any
    upper: int | None = None  # NOT_PACK_MULTIPLE: the valid quantity just above

    @property
    def example(self) -> int:
        """The smallest quantity that would be accepted."""
        return smallest_valid(self.minimum, self.pack_multiple)


def smallest_valid(minimum: int, pack_multiple: int) -> int:
    """The least quantity that is at least the minimum and a multiple of the pack."""
    pack = max(pack_multiple, 1)
    return -(-max(minimum, 1) // pack) * pack


class _NotANumber(Exception):
    pass


class _Fraction(Exception):
    pass


def _read_number(text: str) -> int | None:
    """A whole number from ASCII digits (1,000 allowed) or Chinese numerals (二十, 两百, 2万).

    Raises _Fraction for 2.5 / 一点五 / 1/2 / 半, _NotANumber for anything else unreadable.
    Numbers too long to be worth reading come back as None: they are only "too large".
    """
    if not text:
        raise _NotANumber
    found = _ASCII_NUMBER.fullmatch(text)
    if found:
        whole, decimals = found.group(1).replace(",", ""), found.group(2)
        if decimals and decimals.strip("0"):
            raise _Fraction
        whole = whole.lstrip("0") or "0"
        return None if len(whole) > _MAX_DIGITS else int(whole)
    if _ASCII_FRACTION.fullmatch(text):
        raise _Fraction
    if "半" in text:
        raise _Fraction
    if text.endswith(("点", "點")):
        raise _NotANumber
    chinese = all(ch in CHINESE_NUMERALS or ch in "点點" for ch in text)
    if not (chinese or _MIXED_NUMBER.fullmatch(text)) or len(text) > 20:
        raise _NotANumber
    try:
        value = cn2an.cn2an(text, "normal" if chinese else "smart")
    except Exception as exc:  # cn2an raises ValueError and friends on malformed numerals
        raise _NotANumber from exc
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _NotANumber
        if not value.is_integer():
            raise _Fraction
        value = int(value)
    if not isinstance(value, int) or value < 0:
        raise _NotANumber
    return value


def parse_quantity(
    text: str, *, unit: str, pack_multiple: int, min_order_qty: int
) -> Quantity | QuantityRejection:
    """Read one order quantity of a product sold in `unit`; never raises.

    Accepts 20, ２０, 二十, 两百, 一千零五, 1,000, 20箱, 20 cases, x20, ×20 — a unit word only when
    it is the product's unit. Refuses, with a reason: nothing, non-numbers, zero, negatives,
    fractions, more than MAX_QUANTITY, less than the minimum order, not a pack multiple.
    """
    pack = max(1, pack_multiple)
    minimum = max(1, min_order_qty)

    def refuse(
        reason: RejectionReason,
        given: int | None = None,
        given_unit: str | None = None,
        lower: int | None = None,
        upper: int | None = None,
    ) -> QuantityRejection:
        return QuantityRejection(
            reason, unit, minimum, pack, given, given_unit, lower=lower, upper=upper
        )

    if len(text) > _MAX_TEXT:
        return refuse(RejectionReason.NOT_A_NUMBER)
    folded = unicodedata.normalize("NFKC", text).casefold().strip().rstrip("。！!").strip()
    if not folded:
        return refuse(RejectionReason.EMPTY)
    if folded.startswith(_MULTIPLY):
        folded = folded[1:].lstrip()
    given_unit: str | None = None
    suffix = _UNIT_SUFFIX.fullmatch(folded)
    if suffix and suffix.group("number"):
        given_unit = unit_of_word(suffix.group("word"))
        if given_unit is None:
            return refuse(RejectionReason.NOT_A_NUMBER)
        folded = suffix.group("number").strip()
    negative = folded.startswith(_MINUS)
    if negative or folded.startswith("+"):
        folded = folded[1:].lstrip()
    try:
        value = _read_number(folded)
    except _Fraction:
        return refuse(RejectionReason.NEGATIVE if negative else RejectionReason.FRACTION)
    except _NotANumber:
        return refuse(RejectionReason.NOT_A_NUMBER)
    if given_unit is not None and given_unit != unit:
        return refuse(RejectionReason.WRONG_UNIT, given=value, given_unit=given_unit)
    if value is None:
        return refuse(RejectionReason.NEGATIVE if negative else RejectionReason.TOO_LARGE)
    if value == 0:
        return refuse(RejectionReason.ZERO, given=0)
    if negative:
        return refuse(RejectionReason.NEGATIVE, given=-value)
    if value > MAX_QUANTITY:
        return refuse(RejectionReason.TOO_LARGE, given=value)
    if value < minimum:
        return refuse(RejectionReason.BELOW_MINIMUM, given=value)
    if value % pack:
        below = value // pack * pack
        return refuse(
            RejectionReason.NOT_PACK_MULTIPLE,
            given=value,
            lower=below if below >= minimum else None,
            upper=below + pack,
        )
    return Quantity(value, unit)


def rejection_text(
    t: Translate, rejection: QuantityRejection, unit_label: str | None = None
) -> str:
    """The translated explanation of a refused quantity.

    `unit_label` overrides the unit's name; by default (or when it is the unit's singular name)
    the name is chosen per number, so English reads "5 cases" and "1 case".
    """
    singular = unit_name(t, rejection.unit)

    def unit_for(count: int) -> str:
        if unit_label is None or unit_label == singular:
            return unit_name(t, rejection.unit, count)
        return unit_label

    many = unit_for(2)
    match rejection.reason:
        case RejectionReason.EMPTY:
            return t(
                "Please send how many {unit} you want, for example {example}.",
                unit=many,
                example=rejection.example,
            )
        case RejectionReason.NOT_A_NUMBER:
            return t(
                "I couldn't read that as a quantity. Please send a whole number, "
                "for example {example}.",
                example=rejection.example,
            )
        case RejectionReason.ZERO:
            return t("The quantity must be more than zero.")
        case RejectionReason.NEGATIVE:
            return t("The quantity cannot be negative.")
        case RejectionReason.FRACTION:
            return t("Please order whole {unit}, without fractions.", unit=many)
        case RejectionReason.TOO_LARGE:
            return t(
                "That is more than {limit} {unit}, the most one order line can hold. "
                "Please check the number.",
                limit=format(rejection.limit, ","),
                unit=many,
            )
        case RejectionReason.BELOW_MINIMUM:
            return t(
                "The minimum order for this product is {minimum} {unit}.",
                minimum=rejection.minimum,
                unit=unit_for(rejection.minimum),
            )
        case RejectionReason.NOT_PACK_MULTIPLE:
            upper = rejection.upper or rejection.example
            if rejection.lower is not None:
                return t(
                    "This product is sold in multiples of {pack} {unit}: try {lower} or {upper}.",
                    pack=rejection.pack_multiple,
                    unit=unit_for(rejection.pack_multiple),
                    lower=rejection.lower,
                    upper=upper,
                )
            return t(
                "This product is sold in multiples of {pack} {unit}: try {upper}.",
                pack=rejection.pack_multiple,
                unit=unit_for(rejection.pack_multiple),
                upper=upper,
            )
        case RejectionReason.WRONG_UNIT:
            given_unit = rejection.given_unit or ""
            return t(
                "This product is ordered in {unit}, not {given_unit}. "
                "Send just the number, for example {example}.",
                unit=many,
                given_unit=unit_name(t, given_unit, 2),
                example=rejection.example,
            )


# -- quick orders: "A100 20箱, B200 5" -------------------------------------------------------

_SKU = r"[a-z]{1,6}-?[0-9]{1,10}(?:-[a-z0-9]{1,10})?"
_CN = "零〇一二两兩三四五六七八九十百千万萬亿億壹贰貳叁參肆伍陆陸柒捌玖拾佰仟廿卅点點半"
_NUMERAL = rf"[-+]?(?:[0-9]+(?:\.[0-9]+)?[{_CN}]*|[{_CN}]+)"
_UNIT_WORD = r"(?:\s*(?:[a-z]+(?![a-z0-9-])|[箱件瓶袋盒包]))?"
_QUICK_LINE = re.compile(
    rf"\s*(?P<sku>{_SKU})(?:\s*[x×*]\s*|\s+|(?=[-+]?[^a-z0-9-]))"
    rf"(?P<quantity>{_NUMERAL}{_UNIT_WORD})\s*"
)
_LONE_SKU = re.compile(rf"\s*(?P<sku>{_SKU})\s*")
_SEPARATORS = re.compile(r"[,，;；、\n]+")
_MAX_QUICK_TEXT = 2000


def parse_quick_order(text: str) -> list[tuple[str, str]] | None:
    """(SKU, quantity text) pairs from "A100 20箱, B200 5" / "A100×20，B200 x5" / "A100*20;B200 5".

    None when the text does not look like a quick order, so it can fall through to search and
    the other free-text routes. SKUs come back upper-cased; quantities as typed (after width
    folding), for `parse_quantity`. A lone SKU among ordered ones comes back with an empty
    quantity, so the answer can ask for it.
    """
    if not text or len(text) > _MAX_QUICK_TEXT:
        return None
    folded = unicodedata.normalize("NFKC", text).casefold().strip()
    pairs: list[tuple[str, str]] = []
    missing = 0
    for piece in _SEPARATORS.split(folded):
        if not piece.strip():
            continue
        position = 0
        found_any = False
        while position < len(piece):
            line = _QUICK_LINE.match(piece, position)
            if line is None:
                break
            pairs.append((line.group("sku").upper(), line.group("quantity").strip()))
            position = line.end()
            found_any = True
        if position == len(piece) and found_any:
            continue
        if not found_any and _LONE_SKU.fullmatch(piece):
            pairs.append((piece.strip().upper(), ""))
            missing += 1
            continue
        return None
    if not pairs or missing == len(pairs):
        return None
    return pairs
