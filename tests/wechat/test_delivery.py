"""The outbox's messengers for the Official Account and WeCom, and publishing the menu."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.bootstrap import App, bootstrap
from bot.cli import main
from bot.config import ConfigError, Settings
from bot.http import make_web_app
from bot.wechat.delivery import TemplateSpec
from bot.wechat.menu import publish_menu
from domain.clock import FixedClock
from domain.delivery import DeliveryOutcome, OutgoingMessage, Recipient
from domain.enums import Platform
from domain.models import ChatIdentity, ConversationState
from tests.fakes.wechat_server import FakeWeChat
from tests.wechat.conftest import AppFactory
from tests.wechat.people import WeChatPerson

APPROVAL = OutgoingMessage(
    kind="order_approval",
    text="佛山顺达贸易提交了订单 SO-1，请审批。",
    choices=(("批准", "n:orders.approve:1"), ("驳回", "n:orders.reject:1")),
)


async def joined(person: WeChatPerson, app: App) -> Recipient:
    await person.event("subscribe")
    await person.say("NEWP-ART2")
    await person.say("周小红")
    async with app.db.transaction() as session:
        identity = await session.scalar(
            select(ChatIdentity).where(ChatIdentity.external_id == person.user)
        )
    assert identity is not None
    platform = Platform(identity.platform)
    return Recipient(identity.user_id, platform, identity.external_id, identity.chat_ref, "zh_CN")


async def test_a_notice_inside_the_window_is_a_customer_service_message_whose_options_answer(
    newcomer: WeChatPerson, wechat_app: App, fake_wechat: FakeWeChat
) -> None:
    recipient = await joined(newcomer, wechat_app)
    assert wechat_app.wechat is not None
    assert wechat_app.wechat.official_account is not None
    messenger = wechat_app.wechat.official_account.messenger
    delivery = await messenger.send(recipient, APPROVAL)
    assert delivery.outcome is DeliveryOutcome.DELIVERED
    [sent] = fake_wechat.sent
    assert sent.body["msgtype"] == "msgmenu"
    assert [item["content"] for item in sent.body["msgmenu"]["list"]] == ["批准", "驳回"]
    async with wechat_app.db.transaction() as session:
        conversation = await session.scalar(
            select(ConversationState).where(ConversationState.user_ref == newcomer.user)
        )
    assert conversation is not None
    assert conversation.menu == [["批准", "n:orders.approve:1"], ["驳回", "n:orders.reject:1"]]


async def test_outside_the_window_a_configured_template_is_used(
    newcomer: WeChatPerson, make_app: AppFactory, fake_wechat: FakeWeChat, clock: FixedClock
) -> None:
    app = await make_app(wechat_templates={"order_approval": "TPL-APPROVAL:thing1"})
    recipient = Recipient(1, Platform.WECHAT_MP, newcomer.user, newcomer.user, "zh_CN")
    assert app.wechat is not None
    assert app.wechat.official_account is not None
    messenger = app.wechat.official_account.messenger
    # Never wrote at all: no window.
    assert (await messenger.send(recipient, APPROVAL)).outcome is DeliveryOutcome.DELIVERED
    [template] = fake_wechat.calls_to("/cgi-bin/message/template/send")
    assert template.body["template_id"] == "TPL-APPROVAL"
    assert template.body["data"] == {"thing1": {"value": APPROVAL.text}}
    assert fake_wechat.sent == []


async def test_outside_the_window_without_a_template_the_notice_is_unreachable(
    newcomer: WeChatPerson, wechat_app: App, fake_wechat: FakeWeChat, clock: FixedClock
) -> None:
    recipient = await joined(newcomer, wechat_app)
    clock.advance(timedelta(hours=48))
    assert wechat_app.wechat is not None
    assert wechat_app.wechat.official_account is not None
    delivery = await wechat_app.wechat.official_account.messenger.send(recipient, APPROVAL)
    assert delivery.outcome is DeliveryOutcome.UNREACHABLE
    assert "48-hour" in delivery.reason
    assert "order_approval" in delivery.reason
    assert fake_wechat.sent == []


async def test_when_wechat_says_the_window_closed_the_template_is_tried(
    newcomer: WeChatPerson, make_app: AppFactory, fake_wechat: FakeWeChat
) -> None:
    app = await make_app(wechat_templates={"order_approval": "TPL-APPROVAL"})
    async with TestClient(TestServer(make_web_app(app))) as client:
        person = WeChatPerson(client, newcomer.clock, newcomer.user)
        recipient = await joined(person, app)
        fake_wechat.custom_errors[person.user] = (45015, "response out of time limit")
        assert app.wechat is not None
        assert app.wechat.official_account is not None
        delivery = await app.wechat.official_account.messenger.send(recipient, APPROVAL)
    assert delivery.outcome is DeliveryOutcome.DELIVERED
    [template] = fake_wechat.calls_to("/cgi-bin/message/template/send")
    assert template.body["data"] == {"content": {"value": APPROVAL.text}}


async def test_someone_who_unfollowed_is_unreachable(
    newcomer: WeChatPerson, wechat_app: App, fake_wechat: FakeWeChat
) -> None:
    recipient = await joined(newcomer, wechat_app)
    await newcomer.event("unsubscribe")
    assert wechat_app.wechat is not None
    assert wechat_app.wechat.official_account is not None
    delivery = await wechat_app.wechat.official_account.messenger.send(recipient, APPROVAL)
    assert delivery.outcome is DeliveryOutcome.UNREACHABLE
    assert fake_wechat.sent == []


async def test_a_chart_is_uploaded_as_media_and_sent_as_an_image(
    newcomer: WeChatPerson, wechat_app: App, fake_wechat: FakeWeChat
) -> None:
    recipient = await joined(newcomer, wechat_app)
    chart = OutgoingMessage(kind="chart", text="本月销量", image=b"\x89PNG" + b"0" * 100)
    assert wechat_app.wechat is not None
    assert wechat_app.wechat.official_account is not None
    delivery = await wechat_app.wechat.official_account.messenger.send(recipient, chart)
    assert delivery.outcome is DeliveryOutcome.DELIVERED
    [upload] = fake_wechat.calls_to("/cgi-bin/media/upload")
    assert upload.query["type"] == "image"
    assert upload.body["size"] == 104
    assert [call.body["msgtype"] for call in fake_wechat.sent] == ["text", "image"]


async def test_a_rejected_token_is_refreshed_once_and_the_message_sent(
    newcomer: WeChatPerson, wechat_app: App, fake_wechat: FakeWeChat
) -> None:
    recipient = await joined(newcomer, wechat_app)
    assert wechat_app.wechat is not None
    assert wechat_app.wechat.official_account is not None
    messenger = wechat_app.wechat.official_account.messenger
    assert (await messenger.send(recipient, APPROVAL)).outcome is DeliveryOutcome.DELIVERED
    fake_wechat.revoke_tokens()
    assert (await messenger.send(recipient, APPROVAL)).outcome is DeliveryOutcome.DELIVERED
    fetches = fake_wechat.calls_to("/cgi-bin/stable_token")
    assert [call.body["force_refresh"] for call in fetches] == [False, True]
    assert len(fake_wechat.sent) == 2


async def test_a_wecom_member_gets_application_messages(
    member: WeChatPerson, wechat_app: App, fake_wechat: FakeWeChat
) -> None:
    recipient = await joined(member, wechat_app)
    assert wechat_app.wechat is not None
    assert wechat_app.wechat.wecom is not None
    messenger = wechat_app.wechat.wecom.messenger
    chart = OutgoingMessage(kind="chart", text="本月销量", image=b"\x89PNG")
    assert (await messenger.send(recipient, APPROVAL)).outcome is DeliveryOutcome.DELIVERED
    assert (await messenger.send(recipient, chart)).outcome is DeliveryOutcome.DELIVERED
    sent = fake_wechat.sent
    assert [call.body["msgtype"] for call in sent] == ["text", "text", "image"]
    assert sent[0].body["text"]["content"].endswith("1. 批准\n2. 驳回")
    assert all(call.body["agentid"] == 1 for call in sent)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_publishing_the_menu(
    wechat_app: App, fake_wechat: FakeWeChat, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await publish_menu(wechat_app) == 0
    menus = fake_wechat.calls_to("/cgi-bin/menu/create")
    assert [call.query.get("agentid") for call in menus] == [None, "1"]
    keys = [button.get("key") for button in menus[0].body["button"]]
    subs = [
        sub["key"] for button in menus[0].body["button"] for sub in button.get("sub_button", [])
    ]
    assert "cmd:menu" in keys + subs
    assert "cmd:profile" in keys + subs
    assert "cmd:help" in keys + subs
    assert "我的资料" in capsys.readouterr().out


def test_the_cli_prints_the_menu_without_publishing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    settings = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "WECHAT_APP_ID": "wx2c2769f8efd9abc2",
        "WECHAT_APP_SECRET": "secret",
        "WECHAT_TOKEN": "spamtest",
        "WECHAT_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "WECHAT_API_URL": "http://127.0.0.1:9",
    }
    for name, value in settings.items():
        monkeypatch.setenv(f"PARTNERBOT_{name}", value)
    assert main(["wechat", "menu", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert '"key": "cmd:profile"' in printed
    assert "更多" in printed


def test_half_a_configuration_is_refused_at_start(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        wechat_app_id="wx2c2769f8efd9abc2",
        wechat_token="spamtest",
        _env_file=None,
    )
    with pytest.raises(ConfigError, match="PARTNERBOT_WECHAT_APP_SECRET"):
        bootstrap(settings)


def test_the_cli_names_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("PARTNERBOT_WECOM_CORP_ID", "ww0123")
    assert main(["wechat", "menu", "--dry-run"]) == 2
    assert "PARTNERBOT_WECOM_SECRET" in capsys.readouterr().err


async def test_where_msgmenu_is_refused_the_options_go_as_numbered_text(
    newcomer: WeChatPerson, wechat_app: App, fake_wechat: FakeWeChat
) -> None:
    recipient = await joined(newcomer, wechat_app)
    fake_wechat.msgmenu_error = (40008, "invalid message type")
    assert wechat_app.wechat is not None
    assert wechat_app.wechat.official_account is not None
    delivery = await wechat_app.wechat.official_account.messenger.send(recipient, APPROVAL)
    assert delivery.outcome is DeliveryOutcome.DELIVERED
    [sent] = fake_wechat.sent
    assert sent.body["text"]["content"].endswith("1. 批准\n2. 驳回")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_refused_credentials_fail_the_delivery_without_hammering_the_token_endpoint(
    make_app: AppFactory, fake_wechat: FakeWeChat
) -> None:
    app = await make_app(wechat_app_secret="wrong")
    recipient = Recipient(1, Platform.WECHAT_MP, "o-someone", "o-someone", "zh_CN")
    assert app.wechat is not None
    assert app.wechat.official_account is not None
    messenger = app.wechat.official_account.messenger
    app.wechat.official_account.messenger.templates["order_approval"] = TemplateSpec("TPL")
    first = await messenger.send(recipient, APPROVAL)
    second = await messenger.send(recipient, APPROVAL)
    assert first.outcome is DeliveryOutcome.FAILED
    assert "40013" in first.reason
    assert second.outcome is DeliveryOutcome.FAILED
    assert len(fake_wechat.token_fetches) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_without_wechat_settings_there_are_no_wechat_routes(app: App) -> None:
    assert app.wechat is None
    async with TestClient(TestServer(make_web_app(app))) as client:
        assert (await client.get("/wechat/mp")).status == 404
        assert (await client.post("/wechat/work")).status == 404
