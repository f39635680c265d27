"""The 5-second rule: a slow answer is acknowledged with "success" and delivered by the API."""

from __future__ import annotations

import asyncio

import pytest

from bot.bootstrap import ROUTERS, App
from handlers.context import Context, Settings
from handlers.engine import Engine
from handlers.router import Router
from tests.fakes.wechat_server import FakeWeChat
from tests.wechat.people import WeChatPerson


class SlowFeature:
    """A feature that answers only when the test lets it, so it is slower than the budget."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = asyncio.Event()
        self.router = Router("slow")
        self.router.command("slow", "a slow report", guest=True)(self.report)

    async def report(self, ctx: Context) -> None:
        self.started.set()
        await self.release.wait()
        ctx.reply("the report is ready")
        ctx.reply("and here is the second part", [ctx.choice("Back to menu", "core.menu")])


def with_feature(app: App, feature: SlowFeature) -> None:
    engine = Engine(
        app.db,
        app.translator,
        [*ROUTERS, feature.router],
        app.clock,
        Settings(default_locale=app.settings.default_locale, timezone=app.settings.timezone),
    )
    assert app.wechat is not None
    for channel in (app.wechat.official_account, app.wechat.wecom):
        assert channel is not None
        channel.webhook.engine = engine


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_handler_slower_than_the_budget_gets_success_then_customer_service_messages(
    newcomer: WeChatPerson, fake_wechat: FakeWeChat, wechat_app: App
) -> None:
    """Real budget (4.5 s): the handler is still busy when the webhook must answer."""
    feature = SlowFeature()
    with_feature(wechat_app, feature)
    answer = await newcomer.post(*newcomer.signed(newcomer.text_xml("/slow")))
    assert (answer.status, answer.body) == (200, "success")
    assert feature.started.is_set()
    assert fake_wechat.sent == []
    feature.release.set()
    await fake_wechat.wait_for_sent(2)
    assert fake_wechat.texts_to(newcomer.user) == [
        "the report is ready",
        "and here is the second part\n1. Back to menu",
    ]
    assert fake_wechat.sent[1].body["msgtype"] == "msgmenu"


async def test_a_wecom_member_gets_a_late_answer_through_the_application(
    member: WeChatPerson, fake_wechat: FakeWeChat, wechat_app: App
) -> None:
    feature = SlowFeature()
    with_feature(wechat_app, feature)
    assert wechat_app.wechat is not None
    assert wechat_app.wechat.wecom is not None
    wechat_app.wechat.wecom.webhook.reply_budget = 0.05  # the same path, without the wait
    answer = await member.post(*member.signed(member.text_xml("/slow")))
    assert (answer.status, answer.body) == (200, "success")
    feature.release.set()
    sent = await fake_wechat.wait_for_sent(2)
    assert [call.path for call in sent] == ["/cgi-bin/message/send"] * 2
    assert sent[0].body["text"]["content"] == "the report is ready"
