"""What every import/export kind shares: columns and their parsers, row errors, results.

A kind declares its columns (name, Chinese aliases, how a cell is read, what a blank cell means);
`parse_rows` turns a table into typed values and row errors; the kind then checks what needs the
database and writes only when no row is bad.
"""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum, StrEnum
from functools import cache
from typing import Any, ClassVar, Final, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.tabular import CellValue, Table


class Problem(StrEnum):
    """Why one cell (or one row) is refused; the command line words each one."""

    REQUIRED = "required"
    TOO_LONG = "too_long"
    CONTROL_CHARACTERS = "control_characters"
    INVALID_CODE = "invalid_code"
    NOT_AN_INTEGER = "not_an_integer"
    NOT_POSITIVE = "not_positive"
    TOO_LARGE = "too_large"
    INVALID_TIER = "invalid_tier"
    INVALID_GRADE = "invalid_grade"
    INVALID_STATUS = "invalid_status"
    INVALID_ROLE = "invalid_role"
    INVALID_LOCALE = "invalid_locale"
    INVALID_TIMEZONE = "invalid_timezone"
    INVALID_UNIT = "invalid_unit"
    INVALID_BOOLEAN = "invalid_boolean"
    INVALID_DATE = "invalid_date"
    INVALID_PHONE = "invalid_phone"
    DUPLICATE_CODE = "duplicate_code"
    UNKNOWN_PARENT = "unknown_parent"
    PARENT_NOT_TIER1 = "parent_not_tier1"
    TIER1_WITH_PARENT = "tier1_with_parent"
    STILL_HAS_TIER2 = "still_has_tier2"
    UNKNOWN_REP = "unknown_rep"
    NOT_A_FIELD_REP = "not_a_field_rep"
    UNKNOWN_DISTRIBUTOR = "unknown_distributor"
    DISTRIBUTOR_REQUIRED = "distributor_required"
    DISTRIBUTOR_NOT_ALLOWED = "distributor_not_allowed"
    WRONG_TIER_FOR_ROLE = "wrong_tier_for_role"
    REP_STILL_ASSIGNED = "rep_still_assigned"
    CATEGORY_EN_REQUIRED = "category_en_required"
    CATEGORY_EN_CONFLICT = "category_en_conflict"
    MIN_ORDER_NOT_MULTIPLE = "min_order_not_multiple"
    INVALID_OCCASION = "invalid_occasion"  # greetings
    UNMATCHED_BRACE = "unmatched_brace"
    UNKNOWN_PLACEHOLDER = "unknown_placeholder"
    # prices
    INVALID_PRICE_KIND = "invalid_price_kind"
    INVALID_PRICE = "invalid_price"
    UNKNOWN_PRODUCT = "unknown_product"
    REQUIRED_FOR_KIND = "required_for_kind"
    NOT_FOR_KIND = "not_for_kind"
    ENDS_BEFORE_START = "ends_before_start"
    PRICE_LIST_CONFLICT = "price_list_conflict"


class SideEffect(StrEnum):
    """Changes an import makes beyond the rows it counts, reported so nothing happens unseen."""

    CATEGORIES_CREATED = "categories_created"
    CATEGORIES_RENAMED = "categories_renamed"
    STAFF_ROLES_CHANGED = "staff_roles_changed"
    PRICE_LISTS_CREATED = "price_lists_created"
    PRICE_LISTS_CHANGED = "price_lists_changed"


Params = Mapping[str, str | int]


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # the spreadsheet's row number
    column: str | None  # the column's name; None when the row as a whole is refused
    problem: Problem
    params: Params = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImportContext:
    clock: Clock
    default_locale: str
    default_timezone: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    side_effects: Mapping[SideEffect, int] = field(default_factory=dict)
    errors: tuple[RowError, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # column -> header as in the file
    ignored_columns: tuple[str, ...] = ()

    @property
    def written(self) -> bool:
        return not self.errors


# -- reading one cell ---------------------------------------------------------------------------


class CellProblem(Exception):
    """Raised by a parser; becomes a RowError for the cell."""

    def __init__(self, problem: Problem, **params: str | int) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.params: Params = params


Parser = Callable[[str], Any]


class _Required(Enum):
    REQUIRED = "required"


REQUIRED: Final = _Required.REQUIRED
MAX_QUANTITY = 1_000_000
_SHOWN_VALUE = 40  # long cell values are shortened in messages


def shown(text: str) -> str:
    return text if len(text) <= _SHOWN_VALUE else text[: _SHOWN_VALUE - 1] + "…"


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def text(max_length: int) -> Parser:
    """Free text (names, places) as written; line breaks and control characters are refused."""

    def parse(cell: str) -> str:
        if _has_control_characters(cell):
            raise CellProblem(Problem.CONTROL_CHARACTERS)
        if len(cell) > max_length:
            raise CellProblem(Problem.TOO_LONG, max=max_length, length=len(cell))
        return cell

    return parse


_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")


def code(max_length: int = 32) -> Parser:
    """A code people type on a phone: letters, digits, '-', '_' and '.'; full-width is folded."""

    def parse(cell: str) -> str:
        value = _folded(cell)
        if not _CODE.fullmatch(value):
            raise CellProblem(Problem.INVALID_CODE, value=shown(cell))
        if len(value) > max_length:
            raise CellProblem(Problem.TOO_LONG, max=max_length, length=len(value))
        return value

    return parse


def _choice_key(text: str) -> str:
    return "".join(ch for ch in _folded(text).casefold() if not ch.isspace() and ch not in "_-")


T = TypeVar("T")


def choice(options: Mapping[str, T], problem: Problem) -> Parser:
    """One of a closed set, spelled any way in `options`; case, spaces, '_' and '-' do not count."""
    keyed = {_choice_key(spelling): value for spelling, value in options.items()}

    def parse(cell: str) -> T:
        try:
            return keyed[_choice_key(cell)]
        except KeyError:
            raise CellProblem(problem, value=shown(cell)) from None

    return parse


_INTEGER = re.compile(r"[+-]?\d+(\.0*)?")


def positive_int(maximum: int = MAX_QUANTITY) -> Parser:
    def parse(cell: str) -> int:
        value = _folded(cell).replace(",", "")
        if not _INTEGER.fullmatch(value):
            raise CellProblem(Problem.NOT_AN_INTEGER, value=shown(cell))
        number = int(value.split(".")[0])
        if number <= 0:
            raise CellProblem(Problem.NOT_POSITIVE, value=shown(cell))
        if number > maximum:
            raise CellProblem(Problem.TOO_LARGE, value=shown(cell), max=maximum)
        return number

    return parse


_DATE = re.compile(
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_COMPACT_DATE = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})")


def day(cell: str) -> date:
    """2024-03-18, 2024/3/18, 2024.3.18, 2024年3月18日 or 20240318 (a time of day is ignored)."""
    value = _folded(cell)
    found = _DATE.fullmatch(value) or _COMPACT_DATE.fullmatch(value)
    if found:
        try:
            parsed = date(int(found["y"]), int(found["m"]), int(found["d"]))
        except ValueError:
            pass
        else:
            if 1900 <= parsed.year <= 2100:
                return parsed
    raise CellProblem(Problem.INVALID_DATE, value=shown(cell))


def boolean(cell: str) -> bool:
    key = _choice_key(cell)
    if key in ("yes", "y", "true", "1", "on", "是", "启用", "有效", "上架"):
        return True
    if key in ("no", "n", "false", "0", "off", "否", "停用", "无效", "下架"):
        return False
    raise CellProblem(Problem.INVALID_BOOLEAN, value=shown(cell))


def yes_no(value: bool) -> str:
    """How export writes a boolean (import reads it back, and the Chinese 是/否 too)."""
    return "yes" if value else "no"


@cache
def _time_zones() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def timezone(cell: str) -> str:
    """An IANA name such as Asia/Shanghai, in its canonical spelling."""
    value = _folded(cell)
    canonical = _time_zones().get(value.casefold())
    if canonical is None:
        # No tz database listing on this machine: ask zoneinfo itself.
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise CellProblem(Problem.INVALID_TIMEZONE, value=shown(cell)) from None
        canonical = value
    return canonical


_PHONE = re.compile(r"\+?[0-9(][0-9 ()\-]*")


def phone(cell: str) -> str:
    value = _folded(cell)
    digits = sum(ch.isdigit() for ch in value)
    if not _PHONE.fullmatch(value) or digits < 5 or len(value) > 32:
        raise CellProblem(Problem.INVALID_PHONE, value=shown(cell))
    return value


# -- columns and rows ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a kind's file: import reads it, export writes it, under `name`."""

    name: str
    aliases: tuple[str, ...]
    parse: Parser
    required: bool = False  # the file must have this column
    blank: object = REQUIRED  # what an empty cell means; REQUIRED: an empty cell is an error


@dataclass(slots=True)
class StagedRow:
    """One row, read: the values of its good cells by column name, for the file's columns only."""

    number: int
    key: str | None  # the row's code; None when that cell is bad
    values: dict[str, Any]

    def has(self, column: str) -> bool:
        """The file sets this column and the cell is good (its value may be None: blank)."""
        return column in self.values

    def get(self, column: str) -> Any:
        return self.values.get(column)


class RowErrors:
    """Every problem of every row, so the person fixes the file once."""

    def __init__(self, columns: Sequence[Column]) -> None:
        self._order = {column.name: index for index, column in enumerate(columns)}
        self._items: list[RowError] = []
        self._bad: set[tuple[int, str | None]] = set()

    def add(self, row: int, column: str | None, problem: Problem, **params: str | int) -> None:
        self._items.append(RowError(row, column, problem, params))
        self._bad.add((row, column))

    def bad(self, row: int, column: str) -> bool:
        return (row, column) in self._bad

    def __bool__(self) -> bool:
        return bool(self._items)

    def sorted(self) -> tuple[RowError, ...]:
        def position(error: RowError) -> tuple[int, int]:
            return error.row, self._order.get(error.column or "", -1)

        return tuple(sorted(self._items, key=position))


def parse_rows(columns: Sequence[Column], table: Table, errors: RowErrors) -> list[StagedRow]:
    """Typed values of every row; the first column is the key, and a key may appear only once."""
    key_column = columns[0].name
    first_row: dict[str, int] = {}
    staged: list[StagedRow] = []
    for row in table.rows:
        values: dict[str, Any] = {}
        for column in columns:
            cell = row.get(column.name)
            if cell is None:
                continue
            if cell == "":
                if column.blank is REQUIRED:
                    errors.add(row.number, column.name, Problem.REQUIRED)
                else:
                    values[column.name] = column.blank
                continue
            try:
                values[column.name] = column.parse(cell)
            except CellProblem as problem:
                errors.add(row.number, column.name, problem.problem, **problem.params)
        key = values.get(key_column)
        if isinstance(key, str):
            if key in first_row:
                errors.add(
                    row.number,
                    key_column,
                    Problem.DUPLICATE_CODE,
                    value=key,
                    first_row=first_row[key],
                )
                continue  # the first occurrence is the one checked further
            first_row[key] = row.number
        staged.append(StagedRow(row.number, key if isinstance(key, str) else None, values))
    return staged


def assign(target: object, values: Mapping[str, object]) -> bool:
    """Set the attributes that differ; True when anything changed."""
    changed = False
    for attribute, value in values.items():
        if getattr(target, attribute) != value:
            setattr(target, attribute, value)
            changed = True
    return changed


@dataclass(slots=True)
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    side_effects: dict[SideEffect, int] = field(default_factory=dict)

    def count(self, *, new: bool, changed: bool) -> None:
        if new:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1

    def note(self, effect: SideEffect, count: int) -> None:
        if count:
            self.side_effects[effect] = self.side_effects.get(effect, 0) + count


class ExportKind(ABC):
    """One kind of spreadsheet that `partnerbot export` writes: its columns and its rows."""

    name: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]
    importable: ClassVar[bool] = False

    @abstractmethod
    async def export(self, session: AsyncSession) -> Iterable[Mapping[str, CellValue]]:
        """Rows by column name, with the values import reads back unchanged."""

    async def export_rows(
        self, session: AsyncSession, context: ImportContext
    ) -> Iterable[Mapping[str, CellValue]]:
        """What export writes; kinds that show local times override this to use the context."""
        return await self.export(session)


class TransferKind(ExportKind):
    """A kind that is imported too: how its rows are upserted.

    The first column is the key rows are upserted by. Adding a kind: a module with a subclass,
    listed once in `domain.transfer.KINDS`; new problems go in `Problem` (and get words in
    bot/transfer.py).
    """

    importable: ClassVar[bool] = True

    @abstractmethod
    async def upsert(
        self,
        session: AsyncSession,
        rows: Sequence[StagedRow],
        context: ImportContext,
        errors: RowErrors,
    ) -> Tally:
        """Check what needs the database, adding to `errors`; write only if `errors` is empty."""


class ReportKind(ExportKind):
    """A kind that is exported only (orders, broadcast reports), with times in the business's
    time zone: subclasses write `report(session, timezone, now)`."""

    async def export(self, session: AsyncSession) -> Iterable[Mapping[str, CellValue]]:
        return await self.report(session, "UTC", None)

    async def export_rows(
        self, session: AsyncSession, context: ImportContext
    ) -> Iterable[Mapping[str, CellValue]]:
        return await self.report(session, context.default_timezone, context.clock.now())

    @abstractmethod
    async def report(
        self, session: AsyncSession, timezone: str, now: datetime | None
    ) -> Iterable[Mapping[str, CellValue]]:
        """The rows, times shown in `timezone`."""
