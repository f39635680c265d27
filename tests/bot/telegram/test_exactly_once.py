"""The receipt of an update commits with its effect, or not at all."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.bootstrap import App
from bot.telegram.exactly_once import UpdateEnvelope
from bot.telegram.render import keyboard
from domain.models import InboundReceipt
from handlers.context import Context
from handlers.engine import Engine
from handlers.router import Router
from handlers.types import Choice, Reply
from tests.bot.telegram.conftest import STRANGER, running
from tests.fakes.telegram_server import FakeBotApi

failing = Router("failing")


@failing.command("boom", "fails halfway", guest=True)
async def boom(ctx: Context) -> None:
    ctx.set_locale("en")  # a change that must be rolled back with everything else
    raise RuntimeError("the handler broke")


async def _receipts(app: App) -> set[str]:
    async with app.db.transaction() as session:
        return set(await session.scalars(select(InboundReceipt.key)))


async def test_a_failed_update_leaves_no_receipt_so_a_retry_runs_again(
    demo_app: App, api: FakeBotApi
) -> None:
    base = demo_app.engine
    demo_app.engine = Engine(
        demo_app.db,
        demo_app.translator,
        [*base.routers, failing],
        demo_app.clock,
        base.settings,
    )
    async with running(demo_app, api, "webhook"):
        update = api.text_update(STRANGER, "/boom")
        assert await api.post_webhook(update) == 200
        assert "went wrong" in api.last_message(STRANGER.id).text
        assert str(update["update_id"]) not in await _receipts(demo_app)
        assert await api.post_webhook(update) == 200  # Telegram's retry is handled again
        assert len(api.chat(STRANGER.id)) == 2
        fine = api.text_update(STRANGER, "/help")
        assert await api.post_webhook(fine) == 200
        assert str(fine["update_id"]) in await _receipts(demo_app)


def test_kept_menus_go_only_with_the_replies_they_were_kept_for() -> None:
    """When the commit fails after the menus were kept, the engine says sorry instead: that
    reply is sent on its own, without the keyboards of the answer that was rolled back."""
    envelope = UpdateEnvelope(1, 42, "42", datetime(2026, 12, 3, tzinfo=UTC))
    answer = [Reply("menu", (Choice("Orders", "x"),)), Reply("more")]
    envelope.kept_for = list(answer)
    envelope.markups = [keyboard(["Orders"], "token", 1), None]
    assert envelope.markups_for(answer) == envelope.markups
    assert envelope.markups_for([Reply("Sorry, something went wrong")]) is None
