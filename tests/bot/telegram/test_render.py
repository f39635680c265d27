"""Texts cut to Telegram's sizes on line ends; callback data that is ours and small."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.telegram.render import (
    MAX_CALLBACK_DATA,
    keyboard,
    parse_callback_data,
    split_text,
    telegram_length,
)
from domain.button_menus import new_token

lines = st.lists(
    st.text(alphabet=st.characters(blacklist_characters="\n"), max_size=80), max_size=60
)


@given(lines, st.integers(min_value=20, max_value=200))
def test_split_keeps_every_line_whole_and_within_the_limit(
    some_lines: list[str], limit: int
) -> None:
    text = "\n".join(some_lines)
    chunks = split_text(text, limit)
    assert all(telegram_length(chunk) <= limit for chunk in chunks)
    if all(telegram_length(line) <= limit for line in some_lines):
        assert "\n".join(chunks) == text
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")


@given(st.text(max_size=500), st.integers(min_value=2, max_value=50))
def test_split_cuts_overlong_lines_without_breaking_characters(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert all(telegram_length(chunk) <= limit for chunk in chunks)
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")


def test_emoji_count_twice_as_telegram_counts_them() -> None:
    assert telegram_length("🍵") == 2
    assert split_text("🍵🍵🍵", 4) == ["🍵🍵", "🍵"]


def test_keyboard_data_is_a_token_and_an_index_within_64_bytes() -> None:
    token = new_token()
    markup = keyboard([f"choice {n}" for n in range(30)], token, columns=2)
    assert markup is not None
    rows = markup.inline_keyboard
    assert [len(row) for row in rows] == [2] * 15
    datas = [button.callback_data for row in rows for button in row]
    assert all(isinstance(d, str) and len(d.encode()) <= MAX_CALLBACK_DATA for d in datas)
    assert parse_callback_data(str(datas[7])) == (token, 7)
    assert keyboard([], token) is None


@given(st.one_of(st.none(), st.text(max_size=100)))
def test_any_callback_data_parses_or_is_refused(data: str | None) -> None:
    parsed = parse_callback_data(data)
    if parsed is not None:
        token, index = parsed
        assert token
        assert 0 <= index < 1000
