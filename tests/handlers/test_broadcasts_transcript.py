"""Transcripts of broadcasts through the console: a manager targets tier 2 in one province,
previews and sends; readers in Chinese and English receive it; two acknowledge; the report
counts them; the re-nudge reaches only the third; a scheduled broadcast cancelled in time
never goes out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.bootstrap import App
from bot.console import ConsoleChat
from domain.clock import FixedClock
from domain.enums import Platform
from domain.models import ChatIdentity, ConversationState, Distributor, OutboxMessage, User
from handlers.types import Incoming
from scheduler.broadcasts import broadcast_sweep
from scheduler.sweeps import SchedulerSettings, SweepContext


async def add_zhejiang_staff(app: App) -> None:
    """Two more people at 宁波海曙批发部 (D2004, tier 2, 浙江), next to Lucy Zhou (English)."""
    now = app.clock.now()
    async with app.db.transaction() as session:
        d2004 = await session.scalar(select(Distributor.id).where(Distributor.code == "D2004"))
        for code, name in (("S205", "孙丽"), ("S207", "周强")):
            user = User(
                code=code,
                name=name,
                role="distributor_staff",
                distributor_id=d2004,
                locale="zh_CN",
                timezone="Asia/Shanghai",
                active=True,
                created_at=now,
            )
            session.add(user)
            await session.flush()
            session.add(
                ChatIdentity(
                    platform=Platform.CONSOLE.value,
                    external_id=code,
                    chat_ref=code,
                    user_id=user.id,
                    display_name=name,
                    bound_at=now,
                )
            )


async def outbox(app: App) -> list[OutboxMessage]:
    async with app.db.transaction() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def user_ids(app: App) -> dict[str, int]:
    async with app.db.transaction() as session:
        return dict((await session.execute(select(User.code, User.id))).all())


async def test_a_manager_targets_tier2_in_zhejiang_and_follows_up(
    chat: ConsoleChat, demo_app: App
) -> None:
    await add_zhejiang_staff(demo_app)
    await chat.switch("manager")
    await chat.say("/lang en")
    asked = await chat.say("/broadcast")
    assert "One text for everyone" in asked
    assert "Chinese text" in await chat.say("Chinese, then English")
    assert "English text" in await chat.say("自4月1日起，矿泉水出厂价上调5%。")
    assert "No attachment" in await chat.say("From 1 April, mineral water prices rise by 5%.")
    audience = await chat.say("No attachment")
    assert "It reaches 7 people" in audience  # the demo's 5 distributor staff and 2 more
    assert "Tier 2" in await chat.say("Tier")
    assert "✓ Tier 2" in await chat.say("Tier 2")
    assert "reaches 5 people" in await chat.say("Done")
    assert "浙江" in await chat.say("Province")
    assert "✓ 浙江" in await chat.say("浙江")
    audience = await chat.say("Done")
    assert "Audience: tier 2; province 浙江" in audience
    assert "It reaches 3 people (console 3)" in audience
    review = await chat.say("Done")
    assert "Acknowledgement: not required" in review
    assert "Acknowledgement: required" in await chat.say("Ask to acknowledge")

    preview = await chat.say("Preview")
    assert "as 2 readers in Chinese will see it" in preview
    assert "as 1 readers in English will see it" in preview
    assert "📢 李娜发布的公告：" in preview
    assert "自4月1日起，矿泉水出厂价上调5%。" in preview
    assert "已阅" in preview
    assert "From 1 April, mineral water prices rise by 5%." in preview
    assert "I have read this" in preview
    assert not await outbox(demo_app)  # a preview sends nothing

    async with demo_app.db.transaction() as session:
        menu = await session.scalar(
            select(ConversationState.menu).where(ConversationState.user_ref == "M001")
        )
    send_button = next(payload for label, payload in menu if label == "Send now")
    sent = await chat.say("Send now")
    assert "3 people will get it" in sent
    # A second tap on the same button (a double tap) finds its menu gone and sends nothing.
    tapped_again = await demo_app.engine.handle(
        Incoming(Platform.CONSOLE, "M001", "M001", payload=send_button)
    )
    assert "expired" in tapped_again[0].text
    rows = await outbox(demo_app)
    assert len(rows) == 3
    ids = await user_ids(demo_app)
    assert {row.user_id for row in rows} == {ids["S204"], ids["S205"], ids["S207"]}

    lucy = await chat.switch("S204")
    assert "From 1 April, mineral water prices rise by 5%." in lucy
    assert "[1] I have read this" in lucy
    assert "noted that you have read it" in await chat.say("1")
    sun = await chat.switch("S205")
    assert "矿泉水出厂价上调5%" in sun
    assert "[1] 已阅" in sun
    await chat.say("1")
    zhou = await chat.switch("S207")
    assert "[1] 已阅" in zhou  # read, not acknowledged

    await chat.switch("manager")
    listed = await chat.say("/broadcasts")
    assert "#1" in listed
    report = await chat.say("1")
    assert (
        "targeted 3 · delivered 3 · unreachable 0 · failed 0 · waiting 0 · acknowledged 2" in report
    )
    assert "By platform:" in report
    assert "console: targeted 3" in report
    assert "浙江: targeted 3" in report
    pending = await chat.say("Who has not acknowledged")
    assert "周强" in pending
    assert "孙丽" not in pending
    assert "Lucy" not in pending
    await chat.say("Report")
    assert "Re-nudged 1 people" in await chat.say("Re-nudge them")
    nudges = [row for row in await outbox(demo_app) if row.kind == "broadcast.nudge"]
    assert [row.user_id for row in nudges] == [ids["S207"]]
    assert "提醒" in nudges[0].body["text"]

    again = await chat.say("/broadcasts")
    assert "#1" in again
    await chat.say("1")
    assert "nudged recently" in await chat.say("Re-nudge them")

    # The reader who missed it finds it in their announcements and confirms there.
    await chat.switch("S207")
    inbox = await chat.say("/announcements")
    assert "矿泉水出厂价" in inbox
    shown = await chat.say("1")
    assert "矿泉水出厂价上调5%" in shown
    assert "已阅" in shown
    await chat.say("1")
    async with demo_app.db.transaction() as session:
        from domain.broadcasts import broadcast_report

        final = await broadcast_report(session, 1, demo_app.clock.now())
    assert final is not None
    assert final.total.acknowledged == 3


async def test_a_scheduled_broadcast_cancelled_in_time_sends_nothing(
    chat: ConsoleChat, demo_app: App
) -> None:
    assert isinstance(demo_app.clock, FixedClock)
    await chat.switch("manager")
    await chat.say("/lang en")
    await chat.say("/broadcast")
    await chat.say("One text for everyone")
    await chat.say("明天上午10点召开季度会议。")
    await chat.say("No attachment")
    await chat.say("Done")
    assert "When should it go out?" in await chat.say("Send at a time")
    assert "next 90 days" in await chat.say("yesterday")
    scheduled = await chat.say("12-04 09:00")
    assert "Scheduled for 2026-12-04 09:00" in scheduled
    assert "scheduled" in await chat.say("Report")
    cancelled = await chat.say("Cancel this broadcast")
    assert "Cancelled broadcast #1" in cancelled

    demo_app.clock.advance(timedelta(days=1, hours=1))
    context = SweepContext(demo_app.db, demo_app.clock, demo_app.translator, SchedulerSettings())
    async with demo_app.db.transaction() as session:
        queued = await broadcast_sweep(session, context, demo_app.clock.now())
    assert queued == 0
    assert await outbox(demo_app) == []
    for person in ("S201", "S204", "T101"):
        assert "会议" not in await chat.switch(person)


async def test_a_scheduled_broadcast_goes_out_when_the_sweep_finds_it_due(
    chat: ConsoleChat, demo_app: App
) -> None:
    assert isinstance(demo_app.clock, FixedClock)
    await chat.switch("manager")
    await chat.say("/broadcast")
    await chat.say("1")  # 一份文本
    await chat.say("周五盘点库存。")
    await chat.say("1")  # 不带附件
    await chat.say("/cancel")  # leaves the draft unsent: nothing goes out
    await chat.say("/broadcast")
    await chat.say("1")
    await chat.say("周五盘点库存。")
    await chat.say("1")
    review = await chat.say("10")  # 完成
    assert "共覆盖 5 人" in review
    context = SweepContext(demo_app.db, demo_app.clock, demo_app.translator, SchedulerSettings())
    await chat.say("5")  # 定时发送
    assert "2026-12-03 17:30" in await chat.say("17:30")
    async with demo_app.db.transaction() as session:
        assert await broadcast_sweep(session, context, demo_app.clock.now()) == 0
    demo_app.clock.advance(timedelta(hours=8))
    async with demo_app.db.transaction() as session:
        assert await broadcast_sweep(session, context, demo_app.clock.now()) == 5
    async with demo_app.db.transaction() as session:
        assert await broadcast_sweep(session, context, demo_app.clock.now()) == 0
    assert "周五盘点库存" in await chat.switch("S201")
