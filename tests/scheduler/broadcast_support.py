"""A 10,000-person network on Telegram and a broadcast to it, for the broadcast delivery tests.

Pacing: the correctness tests run Telegram's shape (30 per window, one per window per chat)
`SPEEDUP` times faster, 30 per 1/25 s = 750 messages a second, so 10,000 messages take seconds
rather than five and a half minutes. The fake Bot API enforces the same scaled limits; its
jitter tolerance stays at 10 ms (not scaled down with the window, which on a busy two-core
machine would turn scheduling noise into 429s the pacer cannot prevent).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import insert, select

from bot.bootstrap import App
from bot.telegram.messenger import TelegramMessenger
from domain.broadcasts import (
    ALL_LOCALES,
    Draft,
    Segment,
    create_broadcast,
    send_broadcast,
    set_bodies,
)
from domain.db import Database
from domain.enums import Platform
from domain.models import ChatIdentity, Distributor, User
from scheduler.pacing import TELEGRAM_LIMITS, PlatformLimits
from scheduler.quiet import QuietHours
from scheduler.sender import SenderConfig
from tests.fakes.telegram_server import FakeBotApi
from tests.scheduler import telegram_support

SPEEDUP = 25.0
BATCH_SIZE = 500
PACE: PlatformLimits = TELEGRAM_LIMITS.scaled(SPEEDUP)
TOLERANCE = 0.01
FIRST_CHAT = 800_000
ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def fake_bot_api() -> FakeBotApi:
    return telegram_support.fake_bot_api(SPEEDUP, TOLERANCE)


def telegram_messenger(app: App, api_root: str) -> TelegramMessenger:
    return telegram_support.telegram_messenger(app, api_root, SPEEDUP)


def sender_config(**overrides: object) -> SenderConfig:
    # Quiet hours are not what these tests are about (the wall clock of a subprocess may be
    # anyone's night).
    return SenderConfig(
        limits={Platform.TELEGRAM: PACE},
        quiet_hours=QuietHours.parse("off"),
        batch_size=BATCH_SIZE,
        **overrides,  # type: ignore[arg-type]
    )


async def seed_network(db: Database, people: int) -> list[int]:
    """`people` tier-2 staff in 浙江, each with a Telegram chat; returns the chat ids."""
    chats = list(range(FIRST_CHAT, FIRST_CHAT + people))
    async with db.transaction() as session:
        await session.execute(
            insert(User),
            [
                {
                    "code": "M001",
                    "name": "李娜",
                    "role": "manager",
                    "locale": "zh_CN",
                    "timezone": "Asia/Shanghai",
                    "active": True,
                    "created_at": NOW,
                }
            ],
        )
        distributor = Distributor(
            code="D2004",
            name="宁波海曙批发部",
            tier=2,
            province="浙江",
            city="宁波",
            grade="A",
            status="active",
            joined_on=date(2021, 11, 30),
        )
        session.add(distributor)
        await session.flush()
        await session.execute(
            insert(User),
            [
                {
                    "code": f"U{chat}",
                    "name": f"U{chat}",
                    "role": "distributor_staff",
                    "distributor_id": distributor.id,
                    "locale": "en" if chat % 2 else "zh_CN",
                    "timezone": "Asia/Shanghai",
                    "active": True,
                    "created_at": NOW,
                }
                for chat in chats
            ],
        )
        ids = dict((await session.execute(select(User.code, User.id))).all())
        await session.execute(
            insert(ChatIdentity),
            [
                {
                    "platform": Platform.TELEGRAM.value,
                    "external_id": str(chat),
                    "chat_ref": str(chat),
                    "user_id": ids[f"U{chat}"],
                    "display_name": "",
                    "bound_at": NOW,
                }
                for chat in chats
            ],
        )
    return chats


async def broadcast_to_everyone(db: Database) -> int:
    """Plan and queue a broadcast to tier 2 in 浙江; returns its id."""
    async with db.transaction() as session:
        manager = await session.scalar(select(User.id).where(User.code == "M001"))
        assert manager is not None
        broadcast = await create_broadcast(
            session,
            Draft(manager, {ALL_LOCALES: "新价格表"}, Segment(tiers=(2,), provinces=("浙江",))),
            "delivery-test",
            NOW,
        )
        bodies = {
            "zh_CN": {"text": "新价格表", "choices": []},
            "en": {"text": "New price list", "choices": []},
        }
        await set_bodies(session, broadcast.id, bodies, bodies)
        await send_broadcast(session, broadcast.id, NOW)
        return broadcast.id


def broadcast_senders() -> AbstractAsyncContextManager[telegram_support.Start]:
    """Real sender processes at the broadcast tests' pace and batch size."""
    return telegram_support.sender_processes(SPEEDUP, BATCH_SIZE)
