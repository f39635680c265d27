"""POST /telegram/webhook: the secret is checked first, bad bodies get a 400, never a 500."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import ClientSession
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.bootstrap import App
from domain.models import InboundReceipt
from tests.bot.telegram.conftest import NEWCOMER, STRANGER, Bot, Person, running
from tests.fakes.telegram_server import SECRET_HEADER, FakeBotApi


async def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with ClientSession() as client, client.post(url, data=body, headers=headers) as answer:
        await answer.read()
        return answer.status


async def test_webhook_refuses_a_wrong_or_missing_secret_before_reading(
    demo_app: App, api: FakeBotApi
) -> None:
    async with running(demo_app, api, "webhook") as bot:
        url = api.webhook_url
        assert url is not None
        assert api.webhook_secret
        update = json.dumps(api.text_update(STRANGER, "/help")).encode()
        assert await _post(url, update, {}) == 403
        assert await _post(url, update, {SECRET_HEADER: "wrong"}) == 403
        assert await _post(url, update, {SECRET_HEADER: api.webhook_secret[:-1]}) == 403
        assert await _post(url, b"{not json", {SECRET_HEADER: "nope"}) == 403
        assert api.sent() == []
        assert await _post(url, update, {SECRET_HEADER: api.webhook_secret}) == 200
        assert len(api.sent(STRANGER.id)) == 1
        assert bot.adapter.webhook_mode


async def test_webhook_answers_garbage_with_400_and_never_500(
    demo_app: App, api: FakeBotApi
) -> None:
    bodies: list[bytes] = []
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )
    update_like = st.fixed_dictionaries(
        {"update_id": st.integers(min_value=-5, max_value=2**40)},
        optional={
            "message": st.dictionaries(
                st.sampled_from(["text", "chat", "from", "date"]), json_values
            ),
            "callback_query": st.dictionaries(st.sampled_from(["id", "data", "from"]), json_values),
        },
    )

    @settings(max_examples=120, database=None, deadline=None)
    @given(
        st.one_of(
            st.binary(max_size=300),
            json_values.map(lambda v: json.dumps(v).encode()),
            update_like.map(lambda v: json.dumps(v).encode()),
        )
    )
    def collect(body: bytes) -> None:
        bodies.append(body)

    collect()
    async with running(demo_app, api, "webhook"):
        assert api.webhook_url is not None
        assert api.webhook_secret
        headers = {SECRET_HEADER: api.webhook_secret, "Content-Type": "application/json"}
        statuses = {await _post(api.webhook_url, body, headers) for body in bodies}
    assert statuses <= {200, 400}, statuses


async def test_a_webhook_retry_has_no_second_effect(webhook: Bot, demo_app: App) -> None:
    telegram = webhook
    api = telegram.api
    xiaohong = Person(telegram, NEWCOMER)
    await xiaohong.say("/start")
    code: dict[str, Any] = api.text_update(NEWCOMER, "NEWP-ART2")
    assert await api.post_webhook(code) == 200
    assert await api.post_webhook(code) == 200  # Telegram did not hear our answer and retries
    assert sum("欢迎加入" in m.text for m in xiaohong.chat) == 1
    assert not any("已经加入" in m.text for m in xiaohong.chat)
    async with demo_app.db.transaction() as session:
        receipts = await session.scalar(select(func.count()).select_from(InboundReceipt))
    assert receipts == 2


async def test_whatever_people_type_gets_an_answer_and_no_error(
    webhook: Bot, demo_app: App
) -> None:
    texts: list[str] = []

    @settings(max_examples=40, database=None, deadline=None)
    @given(st.text(min_size=1, max_size=300).filter(str.strip))
    def collect(text: str) -> None:
        texts.append(text)

    collect()
    api = webhook.api
    xiaohong = Person(webhook, NEWCOMER)
    await xiaohong.say("/start")
    await xiaohong.say("NEWP-ART2")
    for text in [*texts, "/", "/" + "x" * 40, "\x00\x07", "１２３", "/start@", "🍵" * 2000]:
        assert await api.post_webhook(api.text_update(NEWCOMER, text)) == 200
        assert await api.post_webhook(api.text_update(STRANGER, text)) == 200
    answers = [m.text for m in [*xiaohong.chat, *Person(webhook, STRANGER).chat]]
    assert not any("出了点问题" in a or "went wrong" in a for a in answers)
