"""`partnerbot export orders FILE`: one row per order line, for reconciling in a spreadsheet."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot import transfer
from bot.bootstrap import App
from bot.cli import main
from domain.enums import Platform
from handlers.types import Incoming


async def _order(app: App, ref: str, text: str) -> None:
    replies = await app.engine.handle(Incoming(Platform.CONSOLE, ref, ref, text=text))
    confirm = next(c.payload for r in replies for c in r.choices if c.label == "确认下单")
    await app.engine.handle(Incoming(Platform.CONSOLE, ref, ref, payload=confirm))


async def test_orders_export_as_csv_and_xlsx(demo_app: App, tmp_path: Path) -> None:
    await _order(demo_app, "S201", "A100 10, B200 3")
    await _order(demo_app, "S206", "C300 20")
    path = tmp_path / "orders.csv"
    assert await transfer.run(demo_app, "export", "orders", path) == 0
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["sku"] for row in rows] == ["A100", "B200", "C300"]
    first = rows[0]
    assert first["number"] == "PO-20261203-0001"
    assert first["distributor_code"] == "D2001"
    assert first["status"] == "pending"
    assert first["submitted_at"] == "2026-12-03 10:00"  # Shanghai time, as the clock says
    assert first["quantity"] == "10"
    assert first["order_total"] == rows[1]["order_total"]
    workbook = tmp_path / "orders.xlsx"
    assert await transfer.run(demo_app, "export", "orders", workbook) == 0
    book = load_workbook(workbook, read_only=True)
    try:
        assert sum(1 for _ in book.worksheets[0].iter_rows()) == 4  # header and three lines
    finally:
        book.close()


def test_orders_cannot_be_imported(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["import", "orders", str(tmp_path / "orders.csv")])
    assert exit_.value.code == 2
