"""Updates/second through the whole Telegram adapter, beside a bare python-telegram-bot echo bot.

Both run in this process against an in-process null transport (a `BaseRequest` that answers
the Bot API locally), so the figures are the bot's own work, not the network's:

- bare echo: python-telegram-bot's Application with one MessageHandler that echoes text;
- echo with a receipt: the same, claiming each update_id in one database transaction before
  echoing (the least that "exactly one effect per update" costs, on the same Database);
- partnerbot menu navigation: bound people tapping "My profile" and "Back to menu" over and
  over: callback data resolved from its token, receipt claimed, the engine, the menu saved
  under a fresh token and edited in place, the callback query answered;
- the engine alone on the same navigation (console platform), to show what the adapter adds.

Chats run concurrently (`--chats`), each chat's taps one after another. The rate limiter is
given limits far above Telegram's, so it does not pace a benchmark that talks to nobody.

    .venv/bin/python benchmarks/telegram_throughput.py [-n 2000] [--chats 20] [--database URL]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("PTB_TIMEDELTA", "true")

from sqlalchemy import select
from telegram import Update
from telegram.ext import Application, MessageHandler, filters
from telegram.request import BaseRequest, RequestData

from bot.bootstrap import App, bootstrap
from bot.config import Settings
from bot.telegram.adapter import TelegramAdapter, TelegramConfig
from bot.telegram.limiter import Limits
from domain import migrate
from domain.db import Database
from domain.demo import seed_demo_network
from domain.enums import Platform
from domain.inbound import claim_message
from domain.models import ChatIdentity, User
from handlers.types import Incoming, Reply

TOKEN = "123456:BENCHMARK-null-transport"
BOT = {"id": 123456, "is_bot": True, "first_name": "partnerbot", "username": "bench_bot"}
UNLIMITED = Limits(per_chat=1e6, per_chat_period=1, overall=1e6, overall_period=1)


class NullRequest(BaseRequest):
    """Answers every Bot API call in-process, remembering each chat's latest keyboard."""

    def __init__(self) -> None:
        self.keyboards: dict[int, list[dict[str, Any]]] = {}
        self.calls = 0
        self._ids = itertools.count(1)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        self.calls += 1
        endpoint = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        result: Any = True
        if endpoint == "getMe":
            result = BOT
        elif endpoint == "getUpdates":
            result = []
        elif endpoint in ("sendMessage", "editMessageText"):
            chat_id = int(params["chat_id"])  # type: ignore[arg-type]
            markup = params.get("reply_markup")
            if isinstance(markup, str):
                markup = json.loads(markup)
            if isinstance(markup, dict):
                self.keyboards[chat_id] = [b for row in markup["inline_keyboard"] for b in row]
            result = {
                "message_id": int(params.get("message_id") or next(self._ids)),  # type: ignore[arg-type]
                "date": 0,
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT,
                "text": params.get("text", ""),
            }
        return 200, json.dumps({"ok": True, "result": result}).encode()


def text_update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": f"P{chat_id}", "language_code": "zh"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat_id, "type": "private"},
            "from": user,
            "text": text,
        },
    }


def press_update(update_id: int, chat_id: int, message_id: int, data: str) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": f"P{chat_id}", "language_code": "zh"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cq{update_id}",
            "from": user,
            "chat_instance": "x",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": 1,
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT,
                "text": "menu",
            },
        },
    }


async def bare_echo(updates: int, chats: int, db: Database | None = None) -> float:
    """python-telegram-bot echoing text; with `db`, each update's receipt claimed first."""
    application = (
        Application.builder()
        .token(TOKEN)
        .request(NullRequest())
        .get_updates_request(NullRequest())
        .updater(None)
        .build()
    )

    async def echo(update: Update, _context: object) -> None:
        assert update.message is not None
        if db is not None:
            async with db.transaction() as session:
                now = datetime.now(UTC)
                await claim_message(session, Platform.TELEGRAM, str(update.update_id), now)
        await update.message.reply_text(update.message.text or "")

    application.add_handler(MessageHandler(filters.TEXT, echo))
    await application.initialize()
    ids = itertools.count(10**9)  # update_ids of their own: the adapter's run claims 1, 2, ...

    async def chat(chat_id: int, count: int) -> None:
        for _ in range(count):
            data = text_update(next(ids), chat_id, "你好")
            await application.process_update(Update.de_json(data, application.bot))

    started = time.perf_counter()
    await asyncio.gather(*(chat(9000 + c, updates // chats) for c in range(chats)))
    elapsed = time.perf_counter() - started
    await application.shutdown()
    return (updates // chats * chats) / elapsed


async def prepare(database_url: str) -> App:
    app = bootstrap(Settings(database_url=database_url, _env_file=None))  # type: ignore[call-arg]
    await migrate.upgrade(app.db)
    async with app.db.transaction() as session:
        await seed_demo_network(session, app.clock, app.settings.timezone)
    return app


async def bind_chats(app: App, chats: int, platform: Platform) -> list[int]:
    """`chats` chat accounts, all bound to tier-2 staff member 张伟 (S201)."""
    refs = [7000 + c for c in range(chats)]
    async with app.db.transaction() as session:
        user_id = await session.scalar(select(User.id).where(User.code == "S201"))
        now = app.clock.now()
        for ref in refs:
            session.add(
                ChatIdentity(
                    platform=platform.value,
                    external_id=str(ref),
                    chat_ref=str(ref),
                    user_id=user_id,
                    display_name="张伟",
                    bound_at=now,
                )
            )
    return refs


async def adapter_navigation(app: App, updates: int, chats: int) -> float:
    transport = NullRequest()
    config = TelegramConfig(token=TOKEN, limits=UNLIMITED)
    adapter = TelegramAdapter(app, config, request=transport, get_updates_request=NullRequest())
    await adapter.bot.initialize()
    adapter.username = adapter.bot.username
    refs = await bind_chats(app, chats, Platform.TELEGRAM)
    ids = itertools.count(1)
    for ref in refs:  # each chat opens its menu once, untimed
        await adapter.submit(Update.de_json(text_update(next(ids), ref, "/menu"), adapter.bot))

    def button(ref: int, label_part: str) -> str:
        for key in transport.keyboards[ref]:
            if label_part in key["text"]:
                return str(key["callback_data"])
        raise LookupError(f"no {label_part!r} in {transport.keyboards[ref]}")

    async def chat(ref: int, count: int) -> None:
        for step in range(count):
            label = "我的资料" if step % 2 == 0 else "返回"
            data = press_update(next(ids), ref, 1, button(ref, label))
            settled = await adapter.submit(Update.de_json(data, adapter.bot))
            assert settled

    started = time.perf_counter()
    await asyncio.gather(*(chat(ref, updates // chats) for ref in refs))
    elapsed = time.perf_counter() - started
    await adapter.bot.shutdown()
    return (updates // chats * chats) / elapsed


async def engine_navigation(app: App, updates: int, chats: int) -> float:
    refs = [str(ref) for ref in await bind_chats(app, chats, Platform.CONSOLE)]
    last: dict[str, list[Reply]] = {}
    for ref in refs:
        last[ref] = await app.engine.handle(Incoming(Platform.CONSOLE, ref, ref, text="/menu"))

    def payload(ref: str, label_part: str) -> str:
        for reply in last[ref]:
            for choice in reply.choices:
                if label_part in choice.label:
                    return choice.payload
        raise LookupError(label_part)

    async def chat(ref: str, count: int) -> None:
        for step in range(count):
            label = "我的资料" if step % 2 == 0 else "返回"
            incoming = Incoming(Platform.CONSOLE, ref, ref, payload=payload(ref, label))
            last[ref] = await app.engine.handle(incoming)

    started = time.perf_counter()
    await asyncio.gather(*(chat(ref, updates // chats) for ref in refs))
    elapsed = time.perf_counter() - started
    return (updates // chats * chats) / elapsed


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--updates", type=int, default=2000)
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--database", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        echo = await bare_echo(args.updates, args.chats)
        app = await prepare(url)
        try:
            receipted = await bare_echo(args.updates, args.chats, app.db)
            ours = await adapter_navigation(app, args.updates, args.chats)
            engine = await engine_navigation(app, args.updates, args.chats)
        finally:
            await app.aclose()
    backend = url.split(":", 1)[0]
    print(f"{args.updates} updates over {args.chats} chats, database {backend}")
    print(f"  bare python-telegram-bot echo       {echo:8.0f} updates/s")
    print(f"  echo with a receipt transaction     {receipted:8.0f} updates/s")
    print(f"  partnerbot menu navigation (adapter) {ours:7.0f} updates/s")
    print(f"  partnerbot engine alone (console)    {engine:7.0f} messages/s")
    print(f"  adapter / bare echo                  {ours / echo:7.2f}  (target: >= 0.50)")
    print(
        f"  echo with a receipt / bare echo      {receipted / echo:7.2f}  (the ceiling that leaves)"
    )
    print(f"  adapter / engine alone               {ours / engine:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
