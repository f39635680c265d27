"""`partnerbot import prices` / `export prices`: lists, overrides and floors in one file."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import transfer as transfer_cli
from bot.bootstrap import App
from domain.catalog import product_by_sku
from domain.models import Distributor, DistributorPrice, PriceFloor, PriceList, PriceListItem
from domain.pricing import floor_for, price_for
from domain.transfer import KINDS, ImportContext, ImportResult, Problem, SideEffect, import_file

HEADER = [column.name for column in KINDS["prices"].columns]
TODAY = date(2026, 12, 3)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "prices.md"
DOCS_EXAMPLE = DOCS.read_text(encoding="utf-8").split("```csv\n", 1)[1].split("```", 1)[0]


def write(path: Path, rows: Sequence[Mapping[str, object]], header: Sequence[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if row.get(name) is None else row.get(name) for name in header])
    return path


async def run(app: App, path: Path) -> ImportResult:
    context = ImportContext(app.clock, "zh_CN", "Asia/Shanghai")
    return await import_file(app.db, "prices", path, context)


def problems(result: ImportResult) -> list[tuple[int, str | None, Problem]]:
    return [(error.row, error.column, error.problem) for error in result.errors]


async def counts(app: App) -> tuple[int, int, int, int]:
    async with app.db.sessions() as session:
        return (
            await session.scalar(select(func.count()).select_from(PriceList)) or 0,
            await session.scalar(select(func.count()).select_from(PriceListItem)) or 0,
            await session.scalar(select(func.count()).select_from(DistributorPrice)) or 0,
            await session.scalar(select(func.count()).select_from(PriceFloor)) or 0,
        )


async def price_of(app: App, code: str, sku: str, on: date = TODAY) -> Decimal | None:
    async with app.db.sessions() as session:
        distributor = await session.scalar(select(Distributor.id).where(Distributor.code == code))
        product = await product_by_sku(session, sku)
        assert distributor is not None
        assert product is not None
        return await price_for(session, distributor, product.id, on)


NEW_ROWS = [
    {"kind": "list", "price_list": "2027 二级价目表", "tier": 2, "sku": "A100", "price": "31.00",
     "effective_from": "2027-01-01"},
    {"kind": "价目表", "price_list": "2027 二级价目表", "tier": "二级", "sku": "a101",
     "price": "¥26.40", "effective_from": "2027/1/1"},
    {"kind": "override", "distributor_code": "D2001", "sku": "B200", "price": "38",
     "effective_from": "2026-12-01", "effective_to": "2026-12-31"},
    {"kind": "floor", "sku": "A100", "province": "广西", "price": "35.5"},
    {"kind": "floor", "sku": "A100", "province": "广东", "city": "深圳", "price": "39.00"},
]  # fmt: skip


async def test_import_creates_and_updates_prices(demo_app: App, tmp_path: Path) -> None:
    before = await counts(demo_app)
    result = await run(demo_app, write(tmp_path / "prices.csv", NEW_ROWS))
    assert result.errors == ()
    # The 深圳 floor of A100 exists already (38.00): it is updated; the rest are new.
    assert (result.created, result.updated, result.unchanged) == (4, 1, 0)
    assert result.side_effects == {SideEffect.PRICE_LISTS_CREATED: 1}
    assert await counts(demo_app) == (
        before[0] + 1,
        before[1] + 2,
        before[2] + 1,
        before[3] + 1,
    )
    assert await price_of(demo_app, "D2001", "A100", date(2027, 1, 1)) == Decimal("31.00")
    assert await price_of(demo_app, "D2001", "A101", date(2027, 1, 1)) == Decimal("26.40")
    assert await price_of(demo_app, "D2001", "B200") == Decimal("38.00")
    assert await price_of(demo_app, "D2001", "B200", date(2027, 1, 1)) == Decimal("40.50")
    async with demo_app.db.sessions() as session:
        water = await product_by_sku(session, "A100")
        assert water is not None
        assert await floor_for(session, water.id, "广西", "南宁") == Decimal("35.50")
        assert await floor_for(session, water.id, "广东", "深圳") == Decimal("39.00")
    again = await run(demo_app, write(tmp_path / "prices.csv", NEW_ROWS))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert again.side_effects == {}


async def test_changing_a_list_s_dates_is_reported(demo_app: App, tmp_path: Path) -> None:
    rows = [
        {"kind": "list", "price_list": "2026 二级价目表", "tier": 2, "sku": "A100",
         "price": "30.00", "effective_from": "2026-01-01", "effective_to": "2026-12-31"},
    ]  # fmt: skip
    result = await run(demo_app, write(tmp_path / "close.csv", rows))
    assert result.errors == ()
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    assert result.side_effects == {SideEffect.PRICE_LISTS_CHANGED: 1}
    assert await price_of(demo_app, "D2001", "A100", date(2027, 1, 1)) is None


BAD_ROWS: list[tuple[dict[str, object], str | None, Problem]] = [
    ({"kind": "bulk", "sku": "A100", "price": "1"}, "kind", Problem.INVALID_PRICE_KIND),
    ({"kind": "floor", "sku": "Z999", "province": "广东", "price": "1"}, "sku",
     Problem.UNKNOWN_PRODUCT),
    ({"kind": "floor", "sku": "A100", "province": "广东", "price": "12.345"}, "price",
     Problem.INVALID_PRICE),
    ({"kind": "floor", "sku": "A100", "province": "广东", "price": "0"}, "price",
     Problem.NOT_POSITIVE),
    ({"kind": "floor", "sku": "A100", "province": "广东", "price": "-3"}, "price",
     Problem.INVALID_PRICE),
    ({"kind": "floor", "sku": "A100", "price": "3"}, "province", Problem.REQUIRED_FOR_KIND),
    ({"kind": "list", "price_list": "X", "sku": "A100", "price": "3",
      "effective_from": "2026-01-01"}, "tier", Problem.REQUIRED_FOR_KIND),
    ({"kind": "override", "distributor_code": "D9999", "sku": "A100", "price": "3",
      "effective_from": "2026-01-01"}, "distributor_code", Problem.UNKNOWN_DISTRIBUTOR),
    ({"kind": "override", "distributor_code": "D2001", "sku": "A100", "price": "3",
      "effective_from": "2026-01-01", "province": "广东"}, "province", Problem.NOT_FOR_KIND),
    ({"kind": "override", "distributor_code": "D2001", "sku": "A100", "price": "3",
      "effective_from": "2026-02-01", "effective_to": "2026-01-31"}, "effective_to",
     Problem.ENDS_BEFORE_START),
    ({"kind": "list", "price_list": "X", "tier": 3, "sku": "A100", "price": "3",
      "effective_from": "2026-01-01"}, "tier", Problem.INVALID_TIER),
    ({"kind": "list", "price_list": "X", "tier": 2, "grade": "Q", "sku": "A100", "price": "3",
      "effective_from": "2026-01-01"}, "grade", Problem.INVALID_GRADE),
    ({"kind": "list", "price_list": "X", "tier": 2, "sku": "A100", "price": "3",
      "effective_from": "2026-13-01"}, "effective_from", Problem.INVALID_DATE),
]  # fmt: skip


async def test_every_bad_row_is_named_and_nothing_is_written(demo_app: App, tmp_path: Path) -> None:
    before = await counts(demo_app)
    rows = [*NEW_ROWS, *(row for row, _, _ in BAD_ROWS)]
    result = await run(demo_app, write(tmp_path / "bad.csv", rows))
    first = len(NEW_ROWS) + 2
    assert problems(result) == [
        (first + index, column, problem) for index, (_, column, problem) in enumerate(BAD_ROWS)
    ]
    assert await counts(demo_app) == before


async def test_duplicates_and_disagreeing_list_rows(demo_app: App, tmp_path: Path) -> None:
    rows = [
        *NEW_ROWS,
        {**NEW_ROWS[0], "price": "30.50"},
        {**NEW_ROWS[1], "sku": "A102", "effective_from": "2027-02-01"},
        {**NEW_ROWS[2], "price": "37"},
        {**NEW_ROWS[3], "province": "广西"},
    ]
    result = await run(demo_app, write(tmp_path / "twice.csv", rows))
    assert problems(result) == [
        (7, None, Problem.DUPLICATE_CODE),
        (8, "price_list", Problem.PRICE_LIST_CONFLICT),
        (9, None, Problem.DUPLICATE_CODE),
        (10, None, Problem.DUPLICATE_CODE),
    ]
    assert dict(result.errors[0].params) == {"value": "2027 二级价目表 / A100", "first_row": 2}
    assert dict(result.errors[1].params) == {"value": "2027 二级价目表", "first_row": 2}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
async def test_cli_export_then_import_changes_nothing(
    demo_app: App, tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / f"prices{suffix}"
    assert await transfer_cli.run(demo_app, "export", "prices", path) == transfer_cli.EXIT_OK
    before = await counts(demo_app)
    rows = before[1] + before[2] + before[3]
    assert await transfer_cli.run(demo_app, "import", "prices", path) == transfer_cli.EXIT_OK
    assert str(rows) in capsys.readouterr().out
    assert await counts(demo_app) == before


async def test_cli_reports_row_errors_and_exits_1(
    demo_app: App, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "bad.csv", [{"kind": "floor", "sku": "Z999", "province": "广东",
                                         "price": "1"}])  # fmt: skip
    code = await transfer_cli.run(demo_app, "import", "prices", path)
    assert code == transfer_cli.EXIT_ROWS_REFUSED
    err = capsys.readouterr().err
    assert "Z999" in err
    assert "2" in err


async def test_chinese_headers_are_understood(demo_app: App, tmp_path: Path) -> None:
    header = ["类型", "经销商编码", "商品编码", "价格", "生效日期"]
    rows = [{"类型": "特价", "经销商编码": "D2006", "商品编码": "C301", "价格": "70.00",
             "生效日期": "2026年12月1日"}]  # fmt: skip
    result = await run(demo_app, write(tmp_path / "中文.csv", rows, header))
    assert result.errors == ()
    assert result.created == 1
    assert await price_of(demo_app, "D2006", "C301") == Decimal("70.00")


async def test_the_example_in_the_docs_imports(demo_app: App, tmp_path: Path) -> None:
    path = tmp_path / "example.csv"
    path.write_text(DOCS_EXAMPLE, encoding="utf-8")
    result = await run(demo_app, path)
    assert result.errors == ()
    assert (result.created, result.updated, result.unchanged) == (2, 0, 3)
    assert await price_of(demo_app, "D2004", "A100", date(2027, 1, 1)) == Decimal("28.50")
    assert await price_of(demo_app, "D2001", "A100", date(2027, 1, 1)) == Decimal("31.00")
