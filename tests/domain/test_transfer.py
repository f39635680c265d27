"""Import and export of distributors, users and products: round trips, checks, all-or-nothing."""

from __future__ import annotations

import asyncio
import csv
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select

from domain.clock import FixedClock
from domain.db import Database
from domain.demo import seed_demo_network
from domain.enums import Role
from domain.models import Category, Distributor, Product, User
from domain.tabular import TableRefused, read_table
from domain.transfer import (
    KINDS,
    ImportContext,
    ImportResult,
    Problem,
    SideEffect,
    export_file,
    import_file,
)
from tests.conftest import START

# The kinds tested here; other kinds (prices, greetings, ...) have their own tests.
NETWORK_KINDS = ("distributors", "users", "products")
HEADERS = {kind: [column.name for column in KINDS[kind].columns] for kind in NETWORK_KINDS}
Rows = Sequence[Mapping[str, object]]


def context(clock: FixedClock) -> ImportContext:
    return ImportContext(clock, "zh_CN", "Asia/Shanghai")


def write_csv(
    path: Path, header: Sequence[str], rows: Sequence[Sequence[object]], encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def write_rows(path: Path, kind: str, rows: Rows) -> Path:
    """Rows by column name, in the kind's own column order; absent names are blank cells."""
    header = HEADERS[kind]
    cells = [["" if row.get(name) is None else row.get(name) for name in header] for row in rows]
    if path.suffix == ".xlsx":
        return write_xlsx(path, header, cells)
    return write_csv(path, header, cells)


async def seeded(db: Database, clock: FixedClock) -> None:
    async with db.transaction() as session:
        await seed_demo_network(session, clock, "Asia/Shanghai")


async def exported(db: Database, kind: str) -> list[dict[str, object]]:
    async with db.sessions() as session:
        return [dict(row) for row in await KINDS[kind].export(session)]


async def everything(db: Database) -> dict[str, list[dict[str, object]]]:
    return {kind: await exported(db, kind) for kind in NETWORK_KINDS}


async def run_import(db: Database, clock: FixedClock, kind: str, path: Path) -> ImportResult:
    return await import_file(db, kind, path, context(clock))


def problems(result: ImportResult) -> list[tuple[int, str | None, Problem]]:
    return [(error.row, error.column, error.problem) for error in result.errors]


# -- round trips ----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("kind", NETWORK_KINDS)
async def test_export_then_import_changes_nothing(
    db: Database, clock: FixedClock, tmp_path: Path, kind: str, suffix: str
) -> None:
    await seeded(db, clock)
    before = await everything(db)
    path = tmp_path / f"{kind}{suffix}"
    assert await export_file(db, kind, path) == len(before[kind]) > 0
    result = await run_import(db, clock, kind, path)
    assert result.errors == ()
    assert (result.created, result.updated, result.unchanged) == (0, 0, len(before[kind]))
    assert result.side_effects == {}
    assert await everything(db) == before
    # The file holds exactly what import reads: the kind's columns, in order.
    assert list(read_table(path, KINDS[kind].columns).headers) == HEADERS[kind]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
async def test_exports_restore_an_empty_database(
    db: Database, clock: FixedClock, tmp_path: Path, suffix: str, sqlite_template: Path
) -> None:
    """The order documented for a new installation: products, brand people, distributors,
    everyone."""
    await seeded(db, clock)
    before = await everything(db)
    for kind in NETWORK_KINDS:
        await export_file(db, kind, tmp_path / f"{kind}{suffix}")
    brand = [row for row in before["users"] if Role(str(row["role"])).is_brand]
    write_rows(tmp_path / f"brand{suffix}", "users", brand)

    empty_path = tmp_path / "empty.db"
    shutil.copy(sqlite_template, empty_path)
    empty = Database(f"sqlite+aiosqlite:///{empty_path}")
    try:
        for kind, name in [
            ("products", "products"),
            ("users", "brand"),
            ("distributors", "distributors"),
            ("users", "users"),
        ]:
            result = await run_import(empty, clock, kind, tmp_path / f"{name}{suffix}")
            assert result.errors == (), (name, result.errors)
        assert await everything(empty) == before
    finally:
        await empty.dispose()


async def test_reimporting_a_file_is_idempotent(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    await seeded(db, clock)
    path = write_rows(
        tmp_path / "new.csv",
        "distributors",
        [
            {"code": "D3001", "name": "东莞新店", "tier": 2, "parent_code": "D1001",
             "province": "广东", "city": "东莞", "grade": "B", "rep_code": "R001",
             "joined_on": "2025-01-02"},
            {"code": "D2001", "name": "深圳鹏程商行（新址）", "tier": 2, "parent_code": "D1001",
             "province": "广东", "city": "深圳", "grade": "A", "status": "suspended",
             "rep_code": "R001", "joined_on": "2021-04-12"},
            {"code": "D1001", "name": "华南商贸有限公司", "tier": 1, "province": "广东",
             "city": "广州", "grade": "A", "rep_code": "R001", "joined_on": "2019-03-18"},
        ],
    )  # fmt: skip
    first = await run_import(db, clock, "distributors", path)
    assert (first.created, first.updated, first.unchanged) == (1, 1, 1)
    after_first = await everything(db)
    second = await run_import(db, clock, "distributors", path)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
    assert await everything(db) == after_first
    async with db.sessions() as session:
        moved = await session.scalar(select(Distributor).where(Distributor.code == "D2001"))
        assert moved is not None
        assert (moved.name, moved.grade, moved.status) == ("深圳鹏程商行（新址）", "A", "suspended")


async def test_gb18030_csv_with_chinese_headers_and_values(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    await seeded(db, clock)
    path = write_csv(
        tmp_path / "经销商.csv",
        [
            "编码",
            "名称",
            "级别",
            "上级编码",
            "省份",
            "城市",
            "等级",
            "状态",
            "业务员编码",
            "加入日期",
        ],
        [
            ["D3001", "东莞新店", "二级", "D1001", "广东", "东莞", "b", "暂停", "R001", "2025/1/2"],
            ["D1003", "华中商贸", "一级", "", "湖北", "武汉", "A", "正常", "", "2025年3月1日"],
        ],
        encoding="gb18030",
    )
    result = await run_import(db, clock, "distributors", path)
    assert result.errors == ()
    assert result.created == 2
    rows = {row["code"]: row for row in await exported(db, "distributors")}
    assert rows["D3001"]["status"] == "suspended"
    assert rows["D3001"]["grade"] == "B"
    assert rows["D3001"]["parent_code"] == "D1001"
    assert str(rows["D1003"]["joined_on"]) == "2025-03-01"
    assert rows["D1003"]["rep_code"] is None


async def test_users_and_products_from_chinese_xlsx(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    await seeded(db, clock)
    users = write_xlsx(
        tmp_path / "人员.xlsx",
        ["编码", "姓名", "角色", "经销商编码", "手机", "语言", "时区", "启用"],
        [
            ["S301", "周小红", "经销商员工", "D2002", 13800138000, "中文", "asia/shanghai", "是"],
            ["R002", "Tom Li", "业务员", None, "+86 139 0000 0000", "English", None, "否"],
        ],
    )
    result = await run_import(db, clock, "users", users)
    assert result.errors == ()
    assert result.created == 2
    rows = {row["code"]: row for row in await exported(db, "users")}
    assert rows["S301"] == {
        "code": "S301",
        "name": "周小红",
        "role": "distributor_staff",
        "distributor_code": "D2002",
        "phone": "13800138000",
        "locale": "zh_CN",
        "timezone": "Asia/Shanghai",
        "active": "yes",
    }
    assert (rows["R002"]["locale"], rows["R002"]["timezone"], rows["R002"]["active"]) == (
        "en",
        "Asia/Shanghai",
        "no",
    )

    products = write_xlsx(
        tmp_path / "产品.xlsx",
        ["SKU", "中文名", "英文名", "类别", "类别英文", "单位", "包装倍数", "起订量", "启用"],
        [
            ["D400", "酸奶 200ml×12", "Yogurt 200ml×12", "乳品", "Dairy", "箱", 1, 2, "是"],
            ["D401", "纯牛奶 250ml×24", "Milk 250ml×24", "乳品", None, "瓶", 6, 12, None],
            ["A100", "矿泉水 550ml×24", "Mineral water 550ml×24", "饮用水", None, "箱", 1, 6, "否"],
        ],
    )
    result = await run_import(db, clock, "products", products)
    assert result.errors == ()
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    assert result.side_effects == {SideEffect.CATEGORIES_CREATED: 1}
    rows = {row["sku"]: row for row in await exported(db, "products")}
    assert rows["D401"]["category_en"] == "Dairy"
    assert rows["D401"]["unit"] == "bottle"
    assert (rows["A100"]["min_order_qty"], rows["A100"]["active"]) == (6, "no")


async def test_absent_optional_columns_keep_what_is_stored(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    await seeded(db, clock)
    path = write_csv(
        tmp_path / "d.csv",
        ["code", "name", "tier", "province", "city", "grade", "joined_on"],
        [["D2001", "深圳鹏程商行", "2", "广东", "深圳", "C", "2021-04-12"]],
    )
    result = await run_import(db, clock, "distributors", path)
    assert (result.errors, result.updated) == ((), 1)
    row = next(r for r in await exported(db, "distributors") if r["code"] == "D2001")
    assert (row["parent_code"], row["rep_code"], row["status"], row["grade"]) == (
        "D1001",
        "R001",
        "active",
        "C",
    )


async def test_a_parent_may_come_later_in_the_same_file(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    path = write_rows(
        tmp_path / "d.csv",
        "distributors",
        [
            {"code": "X2", "name": "child", "tier": 2, "parent_code": "X1", "province": "p",
             "city": "c", "grade": "A", "joined_on": "2024-01-01"},
            {"code": "X1", "name": "parent", "tier": 1, "province": "p", "city": "c",
             "grade": "A", "joined_on": "2024-01-01"},
        ],
    )  # fmt: skip
    result = await run_import(db, clock, "distributors", path)
    assert (result.errors, result.created) == ((), 2)
    rows = {row["code"]: row for row in await exported(db, "distributors")}
    assert rows["X2"]["parent_code"] == "X1"


async def test_promoting_a_tier2_moves_its_staff_to_the_tier1_role(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    await seeded(db, clock)
    path = write_rows(
        tmp_path / "d.csv",
        "distributors",
        [{"code": "D2006", "name": "成都锦江分销", "tier": 1, "province": "四川", "city": "成都",
          "grade": "A", "rep_code": "R001", "joined_on": "2022-07-15"}],
    )  # fmt: skip
    result = await run_import(db, clock, "distributors", path)
    assert result.errors == ()
    assert result.side_effects == {SideEffect.STAFF_ROLES_CHANGED: 1}
    async with db.sessions() as session:
        staff = await session.scalar(select(User).where(User.code == "S206"))
        assert staff is not None
        assert staff.role == Role.TIER1_STAFF


async def test_category_english_name_is_updated_from_the_file(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    await seeded(db, clock)
    rows = await exported(db, "products")
    for row in rows:
        if row["category_zh"] == "休闲零食":
            row["category_en"] = "Snack foods"
    result = await run_import(
        db, clock, "products", write_rows(tmp_path / "p.csv", "products", rows)
    )
    assert result.errors == ()
    assert result.side_effects == {SideEffect.CATEGORIES_RENAMED: 1}
    assert (result.created, result.updated) == (0, 0)
    async with db.sessions() as session:
        names = set(await session.scalars(select(Category.name_en)))
        assert "Snack foods" in names
        assert "Snacks" not in names


async def test_excel_formulas_in_names_round_trip_as_text(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    await seeded(db, clock)
    async with db.transaction() as session:
        user = await session.scalar(select(User).where(User.code == "S201"))
        assert user is not None
        user.name = '=HYPERLINK("http://x","y")'
        user.phone = "+86 138 0013 8000"
    before = await everything(db)
    for suffix in (".csv", ".xlsx"):
        path = tmp_path / f"users{suffix}"
        await export_file(db, "users", path)
        result = await run_import(db, clock, "users", path)
        assert (result.errors, result.updated) == ((), 0)
        assert await everything(db) == before


# -- validation -----------------------------------------------------------------------------------

GOOD: dict[str, dict[str, object]] = {
    "distributors": {
        "code": "D3001", "name": "东莞新店", "tier": "2", "parent_code": "D1001",
        "province": "广东", "city": "东莞", "grade": "B", "status": "active",
        "rep_code": "R001", "joined_on": "2025-01-02",
    },
    "users": {
        "code": "S301", "name": "周小红", "role": "distributor_staff", "distributor_code": "D2002",
        "phone": "13800138000", "locale": "zh_CN", "timezone": "Asia/Shanghai", "active": "yes",
    },
    "products": {
        "sku": "D400", "name_zh": "酸奶 200ml×12", "name_en": "Yogurt 200ml×12",
        "category_zh": "乳品", "category_en": "Dairy", "unit": "case", "pack_multiple": "2",
        "min_order_qty": "4", "active": "yes",
    },
}  # fmt: skip

# A second good row, to show that good rows are not written either when one row is bad.
OTHER_GOOD: dict[str, dict[str, object]] = {
    "distributors": {
        **GOOD["distributors"],
        "code": "D3002",
        "name": "温州新店",
        "parent_code": "D1002",
        "province": "浙江",
        "city": "温州",
    },
    "users": {**GOOD["users"], "code": "S302", "name": "钱多多", "phone": ""},
    "products": {
        **GOOD["products"],
        "sku": "B299",
        "name_zh": "冰红茶",
        "name_en": "Iced tea",
        "category_zh": "饮料",
        "category_en": "",
    },
}

BAD_CELLS: list[tuple[str, dict[str, object], str, Problem]] = [
    ("distributors", {"code": ""}, "code", Problem.REQUIRED),
    ("distributors", {"code": "D 30"}, "code", Problem.INVALID_CODE),
    ("distributors", {"code": "D" * 33}, "code", Problem.TOO_LONG),
    ("distributors", {"name": ""}, "name", Problem.REQUIRED),
    ("distributors", {"name": "东莞\n新店"}, "name", Problem.CONTROL_CHARACTERS),
    ("distributors", {"name": "店" * 201}, "name", Problem.TOO_LONG),
    ("distributors", {"tier": "3"}, "tier", Problem.INVALID_TIER),
    ("distributors", {"province": ""}, "province", Problem.REQUIRED),
    ("distributors", {"grade": "E"}, "grade", Problem.INVALID_GRADE),
    ("distributors", {"status": "closed"}, "status", Problem.INVALID_STATUS),
    ("distributors", {"joined_on": "2025-02-30"}, "joined_on", Problem.INVALID_DATE),
    ("distributors", {"joined_on": "yesterday"}, "joined_on", Problem.INVALID_DATE),
    ("distributors", {"parent_code": "D9999"}, "parent_code", Problem.UNKNOWN_PARENT),
    ("distributors", {"parent_code": "D2001"}, "parent_code", Problem.PARENT_NOT_TIER1),
    ("distributors", {"parent_code": "D3001"}, "parent_code", Problem.PARENT_NOT_TIER1),
    ("distributors", {"tier": "1"}, "parent_code", Problem.TIER1_WITH_PARENT),
    ("distributors", {"rep_code": "R999"}, "rep_code", Problem.UNKNOWN_REP),
    ("distributors", {"rep_code": "M001"}, "rep_code", Problem.NOT_A_FIELD_REP),
    (
        "distributors",
        {"code": "D1001", "tier": "2", "parent_code": "D1002"},
        "tier",
        Problem.STILL_HAS_TIER2,
    ),
    ("users", {"role": "boss"}, "role", Problem.INVALID_ROLE),
    ("users", {"name": ""}, "name", Problem.REQUIRED),
    ("users", {"locale": "fr"}, "locale", Problem.INVALID_LOCALE),
    ("users", {"timezone": "Mars/Olympus"}, "timezone", Problem.INVALID_TIMEZONE),
    ("users", {"timezone": "../../etc/passwd"}, "timezone", Problem.INVALID_TIMEZONE),
    ("users", {"active": "maybe"}, "active", Problem.INVALID_BOOLEAN),
    ("users", {"phone": "call me"}, "phone", Problem.INVALID_PHONE),
    ("users", {"distributor_code": "D9999"}, "distributor_code", Problem.UNKNOWN_DISTRIBUTOR),
    ("users", {"distributor_code": ""}, "distributor_code", Problem.DISTRIBUTOR_REQUIRED),
    ("users", {"role": "manager"}, "distributor_code", Problem.DISTRIBUTOR_NOT_ALLOWED),
    ("users", {"role": "tier1_staff"}, "distributor_code", Problem.WRONG_TIER_FOR_ROLE),
    ("users", {"distributor_code": "D1001"}, "distributor_code", Problem.WRONG_TIER_FOR_ROLE),
    (
        "users",
        {"code": "R001", "role": "manager", "distributor_code": ""},
        "role",
        Problem.REP_STILL_ASSIGNED,
    ),
    ("products", {"sku": "A 1"}, "sku", Problem.INVALID_CODE),
    ("products", {"name_en": ""}, "name_en", Problem.REQUIRED),
    ("products", {"unit": "barrel"}, "unit", Problem.INVALID_UNIT),
    ("products", {"pack_multiple": "0"}, "pack_multiple", Problem.NOT_POSITIVE),
    ("products", {"pack_multiple": "-2"}, "pack_multiple", Problem.NOT_POSITIVE),
    ("products", {"pack_multiple": "2.5"}, "pack_multiple", Problem.NOT_AN_INTEGER),
    ("products", {"min_order_qty": "many"}, "min_order_qty", Problem.NOT_AN_INTEGER),
    ("products", {"min_order_qty": "2000000"}, "min_order_qty", Problem.TOO_LARGE),
    ("products", {"min_order_qty": "5"}, "min_order_qty", Problem.MIN_ORDER_NOT_MULTIPLE),
    ("products", {"category_en": ""}, "category_en", Problem.CATEGORY_EN_REQUIRED),
    ("products", {"active": "perhaps"}, "active", Problem.INVALID_BOOLEAN),
]


@pytest.mark.parametrize(
    ("kind", "change", "column", "problem"),
    BAD_CELLS,
    ids=[f"{kind}-{problem.value}-{column}" for kind, _, column, problem in BAD_CELLS],
)
async def test_each_bad_cell_is_named_and_nothing_is_written(
    db: Database,
    clock: FixedClock,
    tmp_path: Path,
    kind: str,
    change: dict[str, object],
    column: str,
    problem: Problem,
) -> None:
    await seeded(db, clock)
    before = await everything(db)
    rows = [OTHER_GOOD[kind], {**GOOD[kind], **change}]  # good, then bad (spreadsheet row 3)
    result = await run_import(db, clock, kind, write_rows(tmp_path / f"{kind}.csv", kind, rows))
    assert (3, column, problem) in problems(result), result.errors
    assert all(error.row == 3 for error in result.errors), result.errors
    assert (result.created, result.updated, result.unchanged) == (0, 0, 0)
    assert await everything(db) == before


@pytest.mark.parametrize("kind", NETWORK_KINDS)
async def test_the_good_rows_alone_are_accepted(
    db: Database, clock: FixedClock, tmp_path: Path, kind: str
) -> None:
    """The rows the validation cases start from are good, so each case tests one thing."""
    await seeded(db, clock)
    rows = [OTHER_GOOD[kind], GOOD[kind]]
    result = await run_import(db, clock, kind, write_rows(tmp_path / "x.csv", kind, rows))
    assert (result.errors, result.created) == ((), 2)


async def test_every_row_error_is_reported_at_once(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    await seeded(db, clock)
    rows = [
        GOOD["distributors"],
        {**GOOD["distributors"], "code": "D3002", "grade": "Z", "tier": "9"},
        {**GOOD["distributors"], "code": "D3001"},
        {**GOOD["distributors"], "code": "D3003", "joined_on": "", "rep_code": "S201"},
    ]
    result = await run_import(
        db, clock, "distributors", write_rows(tmp_path / "d.xlsx", "distributors", rows)
    )
    assert problems(result) == [
        (3, "tier", Problem.INVALID_TIER),
        (3, "grade", Problem.INVALID_GRADE),
        (4, "code", Problem.DUPLICATE_CODE),
        (5, "rep_code", Problem.NOT_A_FIELD_REP),
        (5, "joined_on", Problem.REQUIRED),
    ]
    duplicate = result.errors[2]
    assert dict(duplicate.params) == {"value": "D3001", "first_row": 2}
    assert dict(result.errors[3].params) == {"value": "S201", "role": "distributor_staff"}
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Distributor)) == 8


async def test_conflicting_english_names_for_one_category(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    await seeded(db, clock)
    rows = [GOOD["products"], {**GOOD["products"], "sku": "D401", "category_en": "Dairy goods"}]
    result = await run_import(
        db, clock, "products", write_rows(tmp_path / "p.csv", "products", rows)
    )
    assert problems(result) == [(3, "category_en", Problem.CATEGORY_EN_CONFLICT)]
    assert dict(result.errors[0].params) == {"value": "乳品", "first_row": 2}


async def test_thousands_of_rows_import_in_one_go(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    await seeded(db, clock)
    rows = [
        {**GOOD["distributors"], "code": f"D{30000 + n}", "name": f"分销商{n}"} for n in range(3000)
    ]
    path = write_rows(tmp_path / "many.csv", "distributors", rows)
    started = time.monotonic()
    result = await run_import(db, clock, "distributors", path)
    assert (result.errors, result.created) == ((), 3000)
    again = await run_import(db, clock, "distributors", path)
    assert again.unchanged == 3000
    assert time.monotonic() - started < 60
    rows[1500]["grade"] = "Q"
    bad = await run_import(db, clock, "distributors", write_rows(path, "distributors", rows))
    assert problems(bad) == [(1502, "grade", Problem.INVALID_GRADE)]


async def test_unusable_files_raise_table_refused(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    (tmp_path / "garbage.csv").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "empty.xlsx").write_bytes(b"")
    (tmp_path / "corrupt.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    (tmp_path / "list.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    write_csv(tmp_path / "columns.csv", ["code", "name"], [["D1", "x"]])
    for name in ["garbage.csv", "empty.xlsx", "corrupt.xlsx", "list.xls", "columns.csv"]:
        with pytest.raises(TableRefused):
            await run_import(db, clock, "distributors", tmp_path / name)
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Distributor)) == 0
        assert await session.scalar(select(func.count()).select_from(Product)) == 0


# -- nothing a cell holds makes an import crash ----------------------------------------------------

LIKELY = [
    "", " ", "1", "2", "0", "-1", "A", "b", "E", "yes", "否", "箱", "case", "D1001", "D2001",
    "R001", "M001", "S201", "X9", "2024-01-01", "2024/2/30", "Asia/Shanghai", "zh_CN", "en",
    "tier1_staff", "distributor_staff", "field_rep", "manager", "饮料", "=1+1", "'=1", "\u3000",
    "１２", "x" * 300,
]  # fmt: skip
cell = st.one_of(
    st.sampled_from(LIKELY),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.integers(min_value=-(2**40), max_value=2**40),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(NETWORK_KINDS),
    suffix=st.sampled_from([".csv", ".xlsx"]),
    rows=st.lists(st.lists(cell, max_size=10), max_size=6),
)
def test_random_cells_are_imported_or_refused_never_crash(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, kind: str, suffix: str, rows: list
) -> None:
    path = tmp_path_factory.mktemp("random") / f"random{suffix}"
    header = HEADERS[kind]
    if suffix == ".xlsx":
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        cleaned = [
            [ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row]
            for row in rows
        ]
        write_xlsx(path, header, cleaned)
    else:
        write_csv(path, header, rows)

    async def attempt() -> None:
        db = Database(database_url)
        try:
            await run_import(db, FixedClock(START), kind, path)
        except TableRefused:
            pass
        finally:
            await db.dispose()

    asyncio.run(attempt())
