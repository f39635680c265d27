"""Greeting texts: one row per occasion, a column per language; blank keeps what is there.

`default` (or 默认) in a cell goes back to the built-in wording of the catalogs. Placeholders
{name}, {distributor} and {years} are filled in for each recipient.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from domain.greetings import (
    MAX_TEXT,
    PLACEHOLDERS,
    Occasion,
    TextProblem,
    greeting_overrides,
    set_greeting_text,
    text_problem,
)
from domain.tabular import CellValue
from domain.transfer.base import (
    CellProblem,
    Column,
    ImportContext,
    Parser,
    Problem,
    RowErrors,
    StagedRow,
    Tally,
    TransferKind,
    choice,
    text,
)

OCCASIONS: Mapping[str, Occasion] = {
    **{occasion.value: occasion for occasion in Occasion},
    "春节": Occasion.SPRING_FESTIVAL,
    "除夕": Occasion.SPRING_FESTIVAL,
    "元宵": Occasion.LANTERN,
    "元宵节": Occasion.LANTERN,
    "端午": Occasion.DRAGON_BOAT,
    "端午节": Occasion.DRAGON_BOAT,
    "七夕": Occasion.QIXI,
    "中秋": Occasion.MID_AUTUMN,
    "中秋节": Occasion.MID_AUTUMN,
    "国庆": Occasion.NATIONAL_DAY,
    "国庆节": Occasion.NATIONAL_DAY,
    "元旦": Occasion.NEW_YEAR,
    "合作周年": Occasion.ANNIVERSARY,
    "周年": Occasion.ANNIVERSARY,
}
BACK_TO_DEFAULT = ("default", "默认")
LANGUAGE_COLUMNS = {"text_zh_CN": "zh_CN", "text_en": "en"}


class _Default:
    """The cell asks for the catalog's wording again."""


DEFAULT = _Default()


def greeting_text(cell: str) -> str | _Default:
    if cell.strip().casefold() in BACK_TO_DEFAULT:
        return DEFAULT
    value: str = text(MAX_TEXT)(cell.strip())
    problem = text_problem(value)
    if problem is not None:
        kind, placeholder = problem
        if kind is TextProblem.UNMATCHED_BRACE:
            raise CellProblem(Problem.UNMATCHED_BRACE, example="{name}")
        known = ", ".join("{" + name + "}" for name in sorted(PLACEHOLDERS))
        raise CellProblem(Problem.UNKNOWN_PLACEHOLDER, value=placeholder, known=known)
    return value


_GREETING_TEXT: Parser = greeting_text


class Greetings(TransferKind):
    name = "greetings"
    columns: ClassVar[tuple[Column, ...]] = (
        Column(
            "occasion",
            ("节日", "场合"),
            choice(OCCASIONS, Problem.INVALID_OCCASION),
            required=True,
        ),
        Column("text_zh_CN", ("zh_CN", "中文", "中文祝福"), _GREETING_TEXT, blank=None),
        Column("text_en", ("en", "English", "英文", "英文祝福"), _GREETING_TEXT, blank=None),
    )

    async def upsert(
        self,
        session: AsyncSession,
        rows: Sequence[StagedRow],
        context: ImportContext,
        errors: RowErrors,
    ) -> Tally:
        if errors:
            return Tally()
        now = context.clock.now()
        tally = Tally()
        for row in rows:
            occasion: Occasion | None = row.get("occasion")
            if occasion is None:
                continue
            changed = False
            for column, locale in LANGUAGE_COLUMNS.items():
                if not row.has(column) or row.get(column) is None:
                    continue
                value = row.get(column)
                words = None if isinstance(value, _Default) else str(value)
                changed = await set_greeting_text(session, occasion, locale, words, now) or changed
            tally.count(new=False, changed=changed)
        await session.flush()
        return tally

    async def export(self, session: AsyncSession) -> Iterable[Mapping[str, CellValue]]:
        overrides = await greeting_overrides(session)
        return [
            {
                "occasion": occasion.value,
                **{
                    column: overrides.get((occasion.value, locale))
                    for column, locale in LANGUAGE_COLUMNS.items()
                },
            }
            for occasion in Occasion
        ]
