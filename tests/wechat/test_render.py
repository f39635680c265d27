"""How replies become WeChat text: numbered options, long texts split, CDATA kept intact."""

from __future__ import annotations

import xmltodict
from hypothesis import given
from hypothesis import strategies as st
from wechatpy.replies import TextReply

from bot.wechat.render import MAX_TEXT_BYTES, render_reply, split_text
from bot.wechat.security import cdata_safe
from handlers.types import Attachment, Choice, Reply

MENU = (Choice("我的资料", "a:1:profile.show"), Choice("帮助", "a:1:core.help"))


def test_options_are_numbered_where_a_number_picks_one() -> None:
    [out] = render_reply(Reply("您想做什么？", MENU))
    assert out.full_text == "您想做什么？\n1. 我的资料\n2. 帮助"


def test_options_are_bulleted_where_a_number_means_a_quantity() -> None:
    [out] = render_reply(Reply("要几箱？", MENU, takes_numbers=False))
    assert out.full_text == "要几箱？\n· 我的资料\n· 帮助"


def test_an_image_follows_its_text() -> None:
    chart = Attachment("image", "chart.png", b"\x89PNG")
    text, image = render_reply(Reply("本月销量", image=chart))
    assert text.full_text == "本月销量"
    assert image.image == b"\x89PNG"


@given(st.text(max_size=5000))
def test_long_texts_are_split_within_the_limit_and_lose_nothing(text: str) -> None:
    pieces = split_text(text)
    assert all(len(piece.encode("utf-8", "surrogatepass")) <= MAX_TEXT_BYTES for piece in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")


def test_a_reply_that_contains_the_cdata_end_marker_survives() -> None:
    text = "look: ]]> <xml>&amp;"
    xml = TextReply(source="gh", target="o", content=cdata_safe(text), time=1).render()
    assert xmltodict.parse(xml)["xml"]["Content"] == text
