"""Units of sale (case, bottle, bag…): their names in each language and the words people type."""

from __future__ import annotations

from domain.enums import Unit
from handlers.i18n import N_, Translate

UNIT_NAMES: dict[str, str] = {
    Unit.CASE: N_("case"),
    Unit.PIECE: N_("piece"),
    Unit.BOTTLE: N_("bottle"),
    Unit.BAG: N_("bag"),
    Unit.BOX: N_("box"),
}

UNIT_PLURALS: dict[str, str] = {
    Unit.CASE: N_("cases"),
    Unit.PIECE: N_("pieces"),
    Unit.BOTTLE: N_("bottles"),
    Unit.BAG: N_("bags"),
    Unit.BOX: N_("boxes"),
}

# What people write after a number for each unit (casefolded, after NFKC). "件" is a piece here:
# the catalogue says which unit a product is sold in, and 20件 of a case product is refused.
UNIT_WORDS: dict[str, frozenset[str]] = {
    Unit.CASE: frozenset({"case", "cases", "箱", "ctn", "ctns", "carton", "cartons"}),
    Unit.PIECE: frozenset({"piece", "pieces", "pc", "pcs", "件"}),
    Unit.BOTTLE: frozenset({"bottle", "bottles", "btl", "瓶"}),
    Unit.BAG: frozenset({"bag", "bags", "袋", "包"}),
    Unit.BOX: frozenset({"box", "boxes", "盒"}),
}


def unit_name(t: Translate, unit: str, count: int = 1) -> str:
    """The unit in the reader's language ("cases" for 5 in English, 箱 in Chinese)."""
    names = UNIT_NAMES if count == 1 else UNIT_PLURALS
    message = names.get(unit)
    return t(message) if message else unit


def unit_of_word(word: str) -> str | None:
    """The unit code a typed word stands for ("箱", "Cases" → "case"), if any."""
    folded = word.strip().casefold()
    for unit, words in UNIT_WORDS.items():
        if folded in words or folded == unit:
            return str(unit)
    return None
