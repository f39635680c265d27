"""A WeCom application through its real route: a member joins and uses the menu."""

from __future__ import annotations

from bot.bootstrap import App
from tests.fakes.wechat_server import FakeWeChat
from tests.wechat.people import WeChatPerson, numbered_option


async def test_a_member_joins_and_uses_the_menu(
    member: WeChatPerson, fake_wechat: FakeWeChat, wechat_app: App
) -> None:
    assert "邀请码" in await member.event("subscribe")
    assert await member.event("enter_agent") == ""
    assert "怎么称呼您" in await member.say("NEWP-ART2")
    joined = await member.say("王小明")
    assert "欢迎加入" in joined
    assert "角色" in await member.say(numbered_option(joined, "我的资料"))
    assert "角色" in await member.event("click", "cmd:profile")
    english = await member.say("/lang en")
    assert "English" in english
    assert "Role" in await member.say("My profile")
    assert fake_wechat.sent == []


async def test_two_replies_the_second_through_the_application_api(
    member: WeChatPerson, fake_wechat: FakeWeChat, wechat_app: App
) -> None:
    assert "English" in await member.say("/lang en")
    assert wechat_app.wechat is not None
    await wechat_app.wechat.drain()
    [sent] = await fake_wechat.wait_for_sent(1)
    assert sent.path == "/cgi-bin/message/send"
    assert sent.body["touser"] == member.user
    assert sent.body["agentid"] == 1
    assert "1. 中文" in sent.body["text"]["content"]
    assert len(fake_wechat.calls_to("/cgi-bin/gettoken")) == 1
