"""Money reads forgivingly from people and files, and always shows as ¥1,234.50."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.money import FEN, MONEY_LIMIT, format_money, parse_money, to_fen


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("1234.5", "¥1,234.50"),
        ("0", "¥0.00"),
        ("-12", "-¥12.00"),
        ("0.005", "¥0.01"),
        ("-0.001", "¥0.00"),
        ("1234567.891", "¥1,234,567.89"),
    ],
)
def test_format_money(amount: str, shown: str) -> None:
    assert format_money(Decimal(amount)) == shown


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("12.5", "12.50"),
        ("¥12.50", "12.50"),
        ("￥12.50", "12.50"),
        ("12,345.6", "12345.60"),
        ("１２，３４５．６", "12345.60"),
        ("  ¥ 3 ", "3.00"),
        ("12元", "12.00"),
        ("RMB 12", "12.00"),
        (".5", "0.50"),
        ("0", "0.00"),
    ],
)
def test_parse_money_accepts(text: str, amount: str) -> None:
    parsed = parse_money(text)
    assert parsed == Decimal(amount)
    assert parsed is not None
    assert parsed.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12.345",
        "-1",
        "-¥1",
        "NaN",
        "nan",
        "inf",
        "Infinity",
        "1e5",
        "12,34",
        "1,2345",
        "5.",
        "abc",
        "¥",
        "9" * 20,
        "1" + "0" * 13,
        "12 34",
        "١٢",
    ],
)
def test_parse_money_refuses(text: str) -> None:
    assert parse_money(text) is None


@given(st.text(max_size=80))
def test_parse_money_never_raises_and_stays_in_range(text: str) -> None:
    parsed = parse_money(text)
    if parsed is not None:
        assert Decimal(0) <= parsed <= MONEY_LIMIT
        assert parsed == parsed.quantize(FEN)


@given(st.decimals(min_value=0, max_value=MONEY_LIMIT, places=2))
def test_formatted_money_reads_back(amount: Decimal) -> None:
    assert parse_money(format_money(amount)) == to_fen(amount)
