"""A WeChat message's receipt commits with its effect, or not at all."""

from __future__ import annotations

from sqlalchemy import select

from bot.bootstrap import ROUTERS, App
from domain.models import InboundReceipt
from handlers.context import Context, Settings
from handlers.engine import Engine
from handlers.router import Router
from tests.wechat.people import WeChatPerson

failing = Router("failing")


@failing.command("boom", "fails halfway", guest=True)
async def boom(ctx: Context) -> None:
    ctx.set_locale("en")  # a change that must be rolled back with everything else
    raise RuntimeError("the handler broke")


def with_failing_feature(app: App) -> None:
    engine = Engine(
        app.db,
        app.translator,
        [*ROUTERS, failing],
        app.clock,
        Settings(default_locale=app.settings.default_locale, timezone=app.settings.timezone),
    )
    assert app.wechat is not None
    assert app.wechat.official_account is not None
    app.wechat.official_account.webhook.engine = engine


async def receipts(app: App) -> list[str]:
    async with app.db.transaction() as session:
        return list(await session.scalars(select(InboundReceipt.key)))


async def test_a_failed_message_leaves_no_receipt_so_the_retry_runs_again(
    newcomer: WeChatPerson, wechat_app: App
) -> None:
    with_failing_feature(wechat_app)
    request = newcomer.signed(newcomer.text_xml("/boom"))
    first = await newcomer.post(*request)
    assert first.status == 200
    assert "出了点问题" in first.text
    assert await receipts(wechat_app) == []
    again = await newcomer.post(*request)  # WeChat's retry of the same MsgId
    assert "出了点问题" in again.text  # handled afresh, not taken for a duplicate
    assert await newcomer.say("/help")
    assert len(await receipts(wechat_app)) == 1  # a message that went through is claimed


async def test_a_retry_of_a_handled_message_answers_nothing_more(
    newcomer: WeChatPerson, wechat_app: App
) -> None:
    request = newcomer.signed(newcomer.text_xml("/help"))
    assert (await newcomer.post(*request)).text
    retried = await newcomer.post(*request)
    assert (retried.status, retried.body) == (200, "success")
    assert len(await receipts(wechat_app)) == 1
