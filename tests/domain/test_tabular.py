"""Reading and writing spreadsheets: encodings, headers, row numbers, and files that are garbage."""

from __future__ import annotations

import contextlib
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from domain.tabular import (
    FileProblem,
    TableRefused,
    normalise_header,
    read_table,
    write_table,
)


@dataclass(frozen=True)
class Col:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False


# tmp_path is shared by the examples of one test; each example overwrites its file.
FIXTURE_PER_TEST = HealthCheck.function_scoped_fixture

COLUMNS = (
    Col("code", ("编码",), required=True),
    Col("name", ("名称",), required=True),
    Col("grade", ("等级",)),
)


def refused(path: Path, columns: tuple[Col, ...] = COLUMNS, **kwargs: int) -> FileProblem:
    with pytest.raises(TableRefused) as caught:
        read_table(path, columns, **kwargs)
    return caught.value.problem


def xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


# -- encodings and headers ----------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_csv_in_each_encoding_excel_saves(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes("编码,名称,等级\r\nD1,华南商贸,A\r\n".encode(encoding))
    table = read_table(path, COLUMNS)
    assert [row.cells for row in table.rows] == [{"code": "D1", "name": "华南商贸", "grade": "A"}]
    assert table.headers == {"code": "编码", "name": "名称", "grade": "等级"}


def test_headers_match_whatever_their_case_spacing_or_width(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(" CODE ,Name*, ｇｒａｄｅ ,notes\nD1,x,B,call back\n", encoding="utf-8")
    table = read_table(path, COLUMNS)
    assert table.rows[0].cells == {"code": "D1", "name": "x", "grade": "B"}
    assert table.ignored == ("notes",)
    assert normalise_header("Parent Code") == normalise_header("parent_code") == "parent_code"


def test_row_numbers_are_the_ones_excel_shows(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        '经销商名单 2026\n\ncode,name\nD1,a\n,\nD2,"two\nlines"\nD3,c\n', encoding="utf-8"
    )
    table = read_table(path, COLUMNS)
    assert [(row.number, row.cells["code"]) for row in table.rows] == [
        (4, "D1"),
        (6, "D2"),
        (7, "D3"),
    ]
    assert "grade" not in table.rows[0].cells
    assert table.rows[0].get("grade") is None


def test_xlsx_rows_keep_their_numbers_and_cells_read_as_typed(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "list.xlsx",
        [
            ["Title"],
            [],
            ["code", "name", "grade", "phone"],
            [1001, 13800138000.0, datetime(2024, 3, 18), True],
            [],
            ["D2", "  spaced  ", date(2024, 1, 2), 2.5],
        ],
    )
    columns = (*COLUMNS, Col("phone"))
    table = read_table(path, columns)
    assert [row.number for row in table.rows] == [4, 6]
    assert table.rows[0].cells == {
        "code": "1001",
        "name": "13800138000",
        "grade": "2024-03-18",
        "phone": "yes",
    }
    assert table.rows[1].cells["name"] == "spaced"
    assert table.rows[1].cells["phone"] == "2.5"


def test_semicolon_and_tab_separated_files_are_understood(tmp_path: Path) -> None:
    for separator in (";", "\t"):
        path = tmp_path / "list.csv"
        path.write_text(f"code{separator}name\nD1{separator}a,b\n", encoding="utf-8")
        assert read_table(path, COLUMNS).rows[0].cells == {"code": "D1", "name": "a,b"}


# -- writing ------------------------------------------------------------------------------------


def test_csv_is_written_with_a_bom_and_formulas_are_defused(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    rows: list[list[str | int | date | None]] = [
        ['=HYPERLINK("x")', "+86 138", 7],
        ["'=already", "-dash", None],
        ["@mention", date(2024, 3, 18), "普通"],
    ]
    assert write_table(path, ["code", "name", "grade"], rows) == 3
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert "'=HYPERLINK" in data.decode("utf-8-sig")
    table = read_table(path, COLUMNS)
    assert [list(row.cells.values()) for row in table.rows] == [
        ['=HYPERLINK("x")', "+86 138", "7"],
        ["'=already", "-dash", ""],
        ["@mention", "2024-03-18", "普通"],
    ]


def test_xlsx_keeps_text_as_text(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_table(path, ["code", "name", "grade"], [["007", "=1+1", 5], ["D2", "ok", None]])
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    assert (sheet["A2"].value, sheet["A2"].data_type) == ("007", "s")
    assert (sheet["B2"].value, sheet["B2"].data_type) == ("=1+1", "s")
    assert sheet["C2"].value == 5
    assert sheet["A1"].font.bold
    rows = read_table(path, COLUMNS).rows
    assert rows[0].cells == {"code": "007", "name": "=1+1", "grade": "5"}


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(TableRefused) as caught:
        write_table(tmp_path / "missing" / "out.csv", ["code"], [["x"]])
    assert caught.value.problem is FileProblem.CANNOT_WRITE
    with pytest.raises(TableRefused) as caught:
        write_table(tmp_path / "out.xls", ["code"], [["x"]])
    assert caught.value.problem is FileProblem.UNSUPPORTED_EXTENSION
    assert list(tmp_path.iterdir()) == []


# -- garbage ------------------------------------------------------------------------------------


def test_unusable_files_are_refused_with_a_reason(tmp_path: Path) -> None:
    cases: dict[str, tuple[bytes, FileProblem]] = {
        "empty.csv": (b"", FileProblem.EMPTY),
        "blank.csv": (b"\xef\xbb\xbf \r\n,,\r\n", FileProblem.EMPTY),
        "binary.csv": (bytes(range(256)) * 4, FileProblem.NOT_TEXT),
        "latin.csv": (b"code,name\n\xff\xfe\xfa,\xff\xff\n", FileProblem.UNKNOWN_ENCODING),
        "quote.csv": (b'code,name\nD1,"never closed\n' + b"x" * 200_000, FileProblem.MALFORMED_CSV),
        "empty.xlsx": (b"", FileProblem.EMPTY),
        "text.xlsx": (b"code,name\nD1,a\n", FileProblem.CORRUPT_XLSX),
        "random.xlsx": (bytes(range(256)) * 8, FileProblem.CORRUPT_XLSX),
        "old.xls": (b"\xd0\xcf\x11\xe0", FileProblem.UNSUPPORTED_EXTENSION),
        "notes.txt": (b"code,name\n", FileProblem.UNSUPPORTED_EXTENSION),
        "noext": (b"code,name\n", FileProblem.UNSUPPORTED_EXTENSION),
        "columns.csv": (b"code,grade\nD1,A\n", FileProblem.MISSING_COLUMNS),
        "twice.csv": ("code,编码,name\nD1,D1,a\n".encode(), FileProblem.DUPLICATE_COLUMN),
    }
    for name, (data, problem) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert refused(path) is problem, name


def test_a_zip_that_is_no_workbook_and_a_truncated_workbook_are_corrupt(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    (tmp_path / "zip.xlsx").write_bytes(buffer.getvalue())
    assert refused(tmp_path / "zip.xlsx") is FileProblem.CORRUPT_XLSX
    good = xlsx(tmp_path / "good.xlsx", [["code", "name"], ["D1", "a"]])
    (tmp_path / "cut.xlsx").write_bytes(good.read_bytes()[:-300])
    assert refused(tmp_path / "cut.xlsx") is FileProblem.CORRUPT_XLSX


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("grade,notes\nA,x\n", encoding="utf-8")
    with pytest.raises(TableRefused) as caught:
        read_table(path, COLUMNS)
    assert caught.value.params["columns"] == "code, name"


def test_missing_paths_and_folders(tmp_path: Path) -> None:
    assert refused(tmp_path / "nowhere.csv") is FileProblem.NOT_FOUND
    (tmp_path / "folder.csv").mkdir()
    assert refused(tmp_path / "folder.csv") is FileProblem.NOT_A_FILE


def test_too_many_rows_is_refused_before_reading_them_all(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("code,name\n" + "D,x\n" * 101, encoding="utf-8")
    assert refused(path, max_rows=100) is FileProblem.TOO_MANY_ROWS
    assert len(read_table(path, COLUMNS, max_rows=101).rows) == 101


def test_a_header_only_file_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "header.xlsx"
    xlsx(path, [["code", "name"]])
    assert read_table(path, COLUMNS).rows == ()


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=4000), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_random_bytes_are_read_or_refused_never_crash(
    tmp_path: Path, data: bytes, suffix: str
) -> None:
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    with contextlib.suppress(TableRefused):
        read_table(path, COLUMNS)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cells=st.lists(
        st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=20), max_size=5),
        max_size=8,
    )
)
def test_any_text_survives_a_csv_and_xlsx_round_trip(
    tmp_path: Path, cells: list[list[str]]
) -> None:
    """Whatever the cells hold, what is written reads back the same (trimmed; XLSX drops the
    control characters it cannot store)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    rows = [[*row, "", ""][:2] for row in cells]
    expected = [[cell.strip() for cell in row] for row in rows if any(c.strip() for c in row)]
    for suffix in (".csv", ".xlsx"):
        path = tmp_path / f"round{suffix}"
        write_table(path, ["code", "name"], rows)  # type: ignore[arg-type]
        try:
            table = read_table(path, COLUMNS)
        except TableRefused as refused:
            problem = refused.problem
        else:
            problem = None
        if problem is not None:
            # A cell full of control characters makes the CSV look binary; that is a refusal.
            assert (suffix, problem) == (".csv", FileProblem.NOT_TEXT)
            continue
        got = [[row.cells["code"], row.cells["name"]] for row in table.rows]
        if suffix == ".csv":
            assert got == expected
        else:
            # XML reads a carriage return as a line feed.
            cleaned = [
                [
                    ILLEGAL_CHARACTERS_RE.sub("", cell)
                    .replace("\r\n", "\n")
                    .replace("\r", "\n")
                    .strip()
                    for cell in row
                ]
                for row in rows
            ]
            assert got == [row for row in cleaned if any(row)]
