"""The quantity parser: forgiving about how people write numbers, strict about what they mean."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.i18n import Translator
from handlers.quantities import (
    MAX_QUANTITY,
    Quantity,
    QuantityRejection,
    RejectionReason,
    parse_quantity,
    parse_quick_order,
    rejection_text,
)
from handlers.units import UNIT_NAMES, unit_name, unit_of_word

R = RejectionReason


def case_qty(text: str, pack: int = 1, moq: int = 1) -> Quantity | QuantityRejection:
    return parse_quantity(text, unit="case", pack_multiple=pack, min_order_qty=moq)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("20", 20),
        ("２０", 20),
        ("二十", 20),
        ("两百", 200),
        ("一千零五", 1005),
        ("廿", 20),
        ("2万", 20000),
        ("20箱", 20),
        ("20 箱", 20),
        ("20 cases", 20),
        ("1 case", 1),
        ("20 CTNS", 20),
        ("x20", 20),
        ("×20", 20),
        ("X 20 Cases", 20),
        ("*20", 20),
        ("  20  ", 20),
        ("\u300020\u3000", 20),
        ("+20", 20),
        ("20.0", 20),
        ("1,000", 1000),
        ("20。", 20),
        ("100000", MAX_QUANTITY),
    ],
)
def test_accepted_quantities(text: str, value: int) -> None:
    assert case_qty(text) == Quantity(value, "case")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", R.EMPTY),
        ("   ", R.EMPTY),
        ("abc", R.NOT_A_NUMBER),
        ("箱", R.NOT_A_NUMBER),
        ("20abc", R.NOT_A_NUMBER),
        ("二十点", R.NOT_A_NUMBER),
        ("百", R.NOT_A_NUMBER),
        ("1,2345", R.NOT_A_NUMBER),
        ("٣", R.NOT_A_NUMBER),
        ("0", R.ZERO),
        ("〇", R.ZERO),
        ("零箱", R.ZERO),
        ("-5", R.NEGATIVE),
        ("负二十", R.NEGATIVE),
        ("-2.5", R.NEGATIVE),
        ("2.5", R.FRACTION),
        ("一点五", R.FRACTION),
        ("半", R.FRACTION),
        ("1/2", R.FRACTION),
        (".5", R.FRACTION),
        ("100001", R.TOO_LARGE),
        ("9" * 40, R.TOO_LARGE),
        ("一亿", R.TOO_LARGE),
        ("20件", R.WRONG_UNIT),
        ("20 bottles", R.WRONG_UNIT),
        ("5盒", R.WRONG_UNIT),
        ("9" * 200, R.NOT_A_NUMBER),
    ],
)
def test_refused_quantities(text: str, reason: RejectionReason) -> None:
    result = case_qty(text)
    assert isinstance(result, QuantityRejection)
    assert result.reason is reason


def test_piece_is_accepted_for_a_piece_product() -> None:
    assert parse_quantity("20件", unit="piece", pack_multiple=1, min_order_qty=1) == Quantity(
        20, "piece"
    )
    assert parse_quantity("5 bags", unit="bag", pack_multiple=5, min_order_qty=5) == Quantity(
        5, "bag"
    )


def test_wrong_unit_names_what_was_typed() -> None:
    result = case_qty("20瓶")
    assert isinstance(result, QuantityRejection)
    assert (result.given, result.given_unit) == (20, "bottle")


def test_below_minimum_and_pack_multiple_carry_their_numbers() -> None:
    below = case_qty("3", pack=2, moq=4)
    assert isinstance(below, QuantityRejection)
    assert (below.reason, below.given, below.minimum, below.example) == (R.BELOW_MINIMUM, 3, 4, 4)
    odd = case_qty("7", pack=2, moq=4)
    assert isinstance(odd, QuantityRejection)
    assert (odd.reason, odd.lower, odd.upper) == (R.NOT_PACK_MULTIPLE, 6, 8)
    just_above_minimum = case_qty("21", pack=10, moq=20)
    assert isinstance(just_above_minimum, QuantityRejection)
    assert (just_above_minimum.lower, just_above_minimum.upper) == (20, 30)
    under = case_qty("15", pack=10, moq=10)
    assert isinstance(under, QuantityRejection)
    assert (under.lower, under.upper) == (10, 20)


def test_example_is_the_smallest_valid_quantity() -> None:
    result = case_qty("", pack=6, moq=10)
    assert isinstance(result, QuantityRejection)
    assert result.example == 12


@given(
    text=st.text(max_size=40),
    pack=st.integers(min_value=-2, max_value=50),
    moq=st.integers(min_value=-2, max_value=2000),
    unit=st.sampled_from(["case", "piece", "bottle", "bag", "box", "kg"]),
)
def test_parser_never_raises_and_returns_a_valid_quantity_or_a_rejection(
    text: str, pack: int, moq: int, unit: str
) -> None:
    result = parse_quantity(text, unit=unit, pack_multiple=pack, min_order_qty=moq)
    if isinstance(result, Quantity):
        assert 0 < result.value <= MAX_QUANTITY
        assert result.value >= moq
        assert result.value % max(pack, 1) == 0
        assert result.unit == unit
    else:
        assert isinstance(result, QuantityRejection)
        assert isinstance(result.reason, RejectionReason)


NUMERALS = st.one_of(
    st.integers(min_value=-200_000, max_value=200_000).map(str),
    st.from_regex(r"[-+x×]?[零一二两三四五六七八九十百千万点半]{1,8}[箱件瓶袋盒]?", fullmatch=True),
    st.from_regex(r"\s*[0-9０-９]{1,7}([.,][0-9]{1,4})?\s*(cases?|bags?|箱)?\s*", fullmatch=True),
)


@given(text=NUMERALS, pack=st.integers(1, 24), moq=st.integers(1, 100))
def test_parser_on_number_like_text(text: str, pack: int, moq: int) -> None:
    result = parse_quantity(text, unit="case", pack_multiple=pack, min_order_qty=moq)
    if isinstance(result, Quantity):
        assert moq <= result.value <= MAX_QUANTITY
        assert result.value % pack == 0


@given(value=st.integers(min_value=1, max_value=MAX_QUANTITY), pack=st.integers(1, 24))
def test_every_valid_whole_number_is_accepted(value: int, pack: int) -> None:
    quantity = value - value % pack or pack
    assert case_qty(str(quantity), pack=pack) == Quantity(quantity, "case")
    assert case_qty(f"{quantity}箱", pack=pack) == Quantity(quantity, "case")


# -- explanations ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator.load("zh_CN")


def test_rejection_text_in_english(translator: Translator) -> None:
    t = translator.bind("en")
    below = case_qty("3", moq=5)
    assert isinstance(below, QuantityRejection)
    assert rejection_text(t, below) == "The minimum order for this product is 5 cases."
    assert (
        rejection_text(t, below, unit_name(t, "case"))
        == "The minimum order for this product is 5 cases."
    )
    one = case_qty("0", moq=1)
    assert isinstance(one, QuantityRejection)
    assert rejection_text(t, one) == "The quantity must be more than zero."
    odd = parse_quantity("13", unit="bag", pack_multiple=6, min_order_qty=12)
    assert isinstance(odd, QuantityRejection)
    assert rejection_text(t, odd) == "This product is sold in multiples of 6 bags: try 12 or 18."
    wrong = case_qty("20 bottles")
    assert isinstance(wrong, QuantityRejection)
    assert "not bottles" in rejection_text(t, wrong)
    large = case_qty("1000000")
    assert isinstance(large, QuantityRejection)
    assert "100,000" in rejection_text(t, large)


def test_rejection_text_in_chinese(translator: Translator) -> None:
    t = translator.bind("zh_CN")
    below = case_qty("3", moq=5)
    assert isinstance(below, QuantityRejection)
    assert rejection_text(t, below) == "该产品最少订 5 箱。"
    wrong = case_qty("20件")
    assert isinstance(wrong, QuantityRejection)
    assert "件" in rejection_text(t, wrong)


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
@pytest.mark.parametrize("reason", list(RejectionReason))
def test_every_reason_is_explained_in_every_language(
    translator: Translator, locale: str, reason: RejectionReason
) -> None:
    rejection = QuantityRejection(
        reason, "bag", 12, 6, given=13, given_unit="case", lower=12, upper=18
    )
    text = rejection_text(translator.bind(locale), rejection)
    assert text
    assert "{" not in text
    if locale == "zh_CN":
        assert not any(word in text for word in ("quantity", "minimum", "multiples"))


def test_units_have_names_and_words(translator: Translator) -> None:
    t = translator.bind("zh_CN")
    assert [unit_name(t, unit) for unit in UNIT_NAMES] == ["箱", "件", "瓶", "袋", "盒"]
    assert unit_name(t, "crate") == "crate"
    assert unit_of_word("Cases") == "case"
    assert unit_of_word("瓶") == "bottle"
    assert unit_of_word("kg") is None


# -- quick orders ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ("A100 20箱, B200 5", [("A100", "20箱"), ("B200", "5")]),
        ("A100×20，B200 x5", [("A100", "20"), ("B200", "5")]),
        ("A100*20;B200 5", [("A100", "20"), ("B200", "5")]),
        ("ａ１００ ２０", [("A100", "20")]),
        ("A100x20", [("A100", "20")]),
        ("A100 20 B200 5", [("A100", "20"), ("B200", "5")]),
        ("A100 20 cases B200 5 bags", [("A100", "20 cases"), ("B200", "5 bags")]),
        ("a100 二十箱、c300 两百", [("A100", "二十箱"), ("C300", "两百")]),
        ("A100 20\nB200 3", [("A100", "20"), ("B200", "3")]),
        ("A100 20, B200", [("A100", "20"), ("B200", "")]),
        ("A100 -5", [("A100", "-5")]),
    ],
)
def test_quick_orders_split_into_pairs(text: str, pairs: list[tuple[str, str]]) -> None:
    assert parse_quick_order(text) == pairs


@pytest.mark.parametrize(
    "text",
    [
        "",
        "A100",
        "hello",
        "矿泉水",
        "kqs",
        "iphone 12",
        "我要 A100 20",
        "/menu",
        "A100, B200",
        "2026 plan",
        "A100 20, hello",
    ],
)
def test_other_text_is_not_a_quick_order(text: str) -> None:
    assert parse_quick_order(text) is None


@given(st.text(max_size=200))
def test_quick_order_never_raises(text: str) -> None:
    pairs = parse_quick_order(text)
    if pairs is not None:
        assert pairs
        assert all(sku and sku == sku.upper() for sku, _ in pairs)
