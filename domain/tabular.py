"""Spreadsheets in and out: CSV and XLSX tables whose rows keep the numbers a person sees in Excel.

The person who keeps the distributor list works in Chinese Excel, which saves CSV as GB18030
(or UTF-8 with a BOM when asked for "CSV UTF-8") and numbers rows from 1 with the header on top.
Every way a file can be unusable ends in `TableRefused` with a reason code, never a traceback.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tempfile
import unicodedata
import warnings
import zipfile
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Protocol

MAX_FILE_BYTES = 50 * 1024 * 1024
# An XLSX is a zip: refuse one that would unpack to far more than any real sheet (a zip bomb).
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
MAX_ROWS = 50_000
# A title line or two above the header is common; the header is looked for this far down.
HEADER_SEARCH_ROWS = 10

CellValue = str | int | date | None


class TableFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class FileProblem(StrEnum):
    NOT_FOUND = "not_found"
    NOT_A_FILE = "not_a_file"
    UNREADABLE = "unreadable"
    UNSUPPORTED_EXTENSION = "unsupported_extension"
    TOO_LARGE = "too_large"
    EMPTY = "empty"
    NOT_TEXT = "not_text"
    UNKNOWN_ENCODING = "unknown_encoding"
    MALFORMED_CSV = "malformed_csv"
    CORRUPT_XLSX = "corrupt_xlsx"
    MISSING_COLUMNS = "missing_columns"
    DUPLICATE_COLUMN = "duplicate_column"
    TOO_MANY_ROWS = "too_many_rows"
    CANNOT_WRITE = "cannot_write"


class TableRefused(Exception):
    """The file as a whole cannot be used; `params` fill the translated explanation."""

    def __init__(self, problem: FileProblem, **params: str | int) -> None:
        super().__init__(problem.value, params)
        self.problem = problem
        self.params: Mapping[str, str | int] = params


class HeaderSpec(Protocol):
    """What reading needs of a column: its name, its other spellings, whether it must be there."""

    @property
    def name(self) -> str: ...

    @property
    def aliases(self) -> Sequence[str]: ...

    @property
    def required(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class TableRow:
    number: int  # the spreadsheet's row number, header included (the first data row is often 2)
    cells: Mapping[str, str]  # column name -> trimmed text; only the columns the file has

    def get(self, column: str) -> str | None:
        """The cell's text ("" when blank), or None when the file has no such column."""
        return self.cells.get(column)


@dataclass(frozen=True, slots=True)
class Table:
    headers: Mapping[str, str]  # column name -> the header as written in the file
    ignored: tuple[str, ...]  # headers that name no known column
    rows: tuple[TableRow, ...]

    def has(self, column: str) -> bool:
        return column in self.headers


def normalise_header(text: str) -> str:
    """`Parent Code`, ` parent_code `, `PARENT-CODE*` and `ｐａｒｅｎｔ＿ｃｏｄｅ` are one."""
    folded = unicodedata.normalize("NFKC", text).strip().rstrip("*").strip().casefold()
    return "_".join(folded.replace("-", " ").replace("_", " ").split())


def table_format(path: Path) -> TableFormat:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return TableFormat.CSV
    if suffix == ".xlsx":
        return TableFormat.XLSX
    raise TableRefused(FileProblem.UNSUPPORTED_EXTENSION, path=str(path), extension=suffix or "")


# -- reading ------------------------------------------------------------------------------------


def read_table(path: Path, columns: Sequence[HeaderSpec], *, max_rows: int = MAX_ROWS) -> Table:
    """The rows of the file's first sheet under the header that names the required columns."""
    fmt = table_format(path)
    data = _read_bytes(path)
    records = _csv_records(data, path) if fmt is TableFormat.CSV else _xlsx_records(path, data)
    return _tabulate(records, columns, max_rows, path)


def _read_bytes(path: Path) -> bytes:
    try:
        if not path.exists():
            raise TableRefused(FileProblem.NOT_FOUND, path=str(path))
        if not path.is_file():
            raise TableRefused(FileProblem.NOT_A_FILE, path=str(path))
        if path.stat().st_size > MAX_FILE_BYTES:
            raise TableRefused(
                FileProblem.TOO_LARGE, path=str(path), max_mb=MAX_FILE_BYTES // (1024 * 1024)
            )
        data = path.read_bytes()
    except OSError:
        raise TableRefused(FileProblem.UNREADABLE, path=str(path)) from None
    if not data.strip():
        raise TableRefused(FileProblem.EMPTY, path=str(path))
    return data


def _decode(data: bytes, path: Path) -> str:
    if data.startswith(codecs.BOM_UTF8):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)  # Excel's "Unicode text"
    elif b"\x00" in data:
        raise TableRefused(FileProblem.NOT_TEXT, path=str(path))
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableRefused(FileProblem.UNKNOWN_ENCODING, path=str(path))


# Control characters other than tab and line ends: a few are typing accidents, many mean binary.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    return len(_CONTROL.findall(text)) > max(8, len(text) // 100)


def _delimiter(text: str) -> str:
    """Comma, unless the first line says semicolon (European Excel) or tab (Excel's text)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > counts[","] else ","


# Excel runs a CSV cell that starts with one of these as a formula; export guards such cells with
# a leading apostrophe, and reading takes one apostrophe off again so a round trip is exact.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _escape_formula(text: str) -> str:
    return "'" + text if text.lstrip("'").startswith(_FORMULA_STARTS) else text


def _unescape_formula(text: str) -> str:
    if text.startswith("'") and text.lstrip("'").startswith(_FORMULA_STARTS):
        return text[1:]
    return text


def _csv_records(data: bytes, path: Path) -> Generator[tuple[int, list[str]], None, None]:
    text = _decode(data, path)
    if _looks_binary(text):
        raise TableRefused(FileProblem.NOT_TEXT, path=str(path))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            yield number, [_unescape_formula(cell) for cell in record]
    except csv.Error:
        raise TableRefused(FileProblem.MALFORMED_CSV, row=number + 1) from None


def _cell_text(value: object) -> str:
    """An XLSX cell as the text a person would type for it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral_value() else str(value)
    return str(value)


def _xlsx_records(path: Path, data: bytes) -> Generator[tuple[int, list[str]], None, None]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, RuntimeError, EOFError):
        raise TableRefused(FileProblem.CORRUPT_XLSX, path=str(path)) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise TableRefused(
            FileProblem.TOO_LARGE, path=str(path), max_mb=MAX_FILE_BYTES // (1024 * 1024)
        )
    from openpyxl import load_workbook  # a heavy import, needed only here

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; none matter for values.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheets = workbook.worksheets
                if not sheets:
                    raise TableRefused(FileProblem.EMPTY, path=str(path))
                sheet = sheets[0]
                if hasattr(sheet, "reset_dimensions"):
                    sheet.reset_dimensions()  # some writers record a wrong sheet size
                # reset_dimensions makes the rows start at 1, gaps included.
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                    yield number, [_cell_text(value) for value in values]
            finally:
                workbook.close()
    except TableRefused:
        raise
    except Exception:  # openpyxl and the XML and zip layers raise many kinds on damaged files
        raise TableRefused(FileProblem.CORRUPT_XLSX, path=str(path)) from None


def _is_blank(cells: Sequence[str]) -> bool:
    return all(not cell.strip() for cell in cells)


def _header_positions(
    cells: Sequence[str], known: Mapping[str, str]
) -> tuple[dict[str, int], list[str], tuple[str, str, str] | None]:
    """Column name -> position, unknown headers, and the first column named twice (if any)."""
    positions: dict[str, int] = {}
    ignored: list[str] = []
    duplicate: tuple[str, str, str] | None = None
    for index, header in enumerate(cells):
        if not header.strip():
            continue
        name = known.get(normalise_header(header))
        if name is None:
            ignored.append(header.strip())
        elif name in positions:
            if duplicate is None:
                duplicate = (cells[positions[name]].strip(), header.strip(), name)
        else:
            positions[name] = index
    return positions, ignored, duplicate


def _tabulate(
    records: Generator[tuple[int, list[str]], None, None],
    columns: Sequence[HeaderSpec],
    max_rows: int,
    path: Path,
) -> Table:
    known: dict[str, str] = {}
    for column in columns:
        for spelling in (column.name, *column.aliases):
            known.setdefault(normalise_header(spelling), column.name)
    required = [column.name for column in columns if column.required]

    try:
        candidates: list[tuple[int, list[str]]] = []
        header: tuple[int, list[str]] | None = None
        for number, cells in records:
            if _is_blank(cells):
                continue
            candidates.append((number, cells))
            positions, _, _ = _header_positions(cells, known)
            if all(name in positions for name in required):
                header = (number, cells)
                break
            if len(candidates) >= HEADER_SEARCH_ROWS:
                break
        if not candidates:
            raise TableRefused(FileProblem.EMPTY, path=str(path))
        if header is None:
            positions, _, _ = _header_positions(candidates[0][1], known)
            missing = [name for name in required if name not in positions]
            raise TableRefused(
                FileProblem.MISSING_COLUMNS, path=str(path), columns=", ".join(missing)
            )
        positions, ignored, duplicate = _header_positions(header[1], known)
        if duplicate is not None:
            first, second, name = duplicate
            raise TableRefused(
                FileProblem.DUPLICATE_COLUMN,
                path=str(path),
                first=first,
                second=second,
                column=name,
            )
        rows: list[TableRow] = []
        for number, cells in records:
            known_cells = {
                name: cells[index].strip() if index < len(cells) else ""
                for name, index in positions.items()
            }
            if not any(known_cells.values()):
                continue  # blank, or only notes in columns that are not ours
            if len(rows) >= max_rows:
                raise TableRefused(FileProblem.TOO_MANY_ROWS, path=str(path), max=max_rows)
            rows.append(TableRow(number, known_cells))
    finally:
        records.close()
    headers = {name: header[1][index].strip() for name, index in positions.items()}
    return Table(headers, tuple(ignored), tuple(rows))


# -- writing ------------------------------------------------------------------------------------


def write_table(path: Path, headers: Sequence[str], rows: Iterable[Sequence[CellValue]]) -> int:
    """Write the rows under the headers; the file appears whole or not at all. Returns the count."""
    fmt = table_format(path)
    materialised = [list(row) for row in rows]
    directory = path.parent if str(path.parent) else Path(".")
    try:
        if path.is_dir():
            raise TableRefused(FileProblem.NOT_A_FILE, path=str(path))
        handle, temporary = tempfile.mkstemp(
            dir=directory, prefix=f".{path.stem}-", suffix=path.suffix
        )
        os.close(handle)
        try:
            if fmt is TableFormat.CSV:
                _write_csv(Path(temporary), headers, materialised)
            else:
                _write_xlsx(Path(temporary), headers, materialised)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        raise TableRefused(FileProblem.CANNOT_WRITE, path=str(path)) from None
    return len(materialised)


def _csv_text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return _escape_formula(value)


def _write_csv(path: Path, headers: Sequence[str], rows: Sequence[Sequence[CellValue]]) -> None:
    # The BOM is what makes Excel read the file as UTF-8 rather than the system code page.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([_csv_text(value) for value in row])


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _write_xlsx(path: Path, headers: Sequence[str], rows: Sequence[Sequence[CellValue]]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    widths = [_display_width(header) for header in headers]
    for row in rows:
        for index, value in enumerate(row[: len(widths)]):
            widths[index] = max(widths[index], _display_width(_csv_text(value)))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
                cell.data_type = "s"  # text stays text: "=1+1" is no formula, "007" no number
            else:
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    workbook.save(path)
