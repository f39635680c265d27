"""POST /telegram/webhook on the project's aiohttp app: secret first, then the update."""

from __future__ import annotations

import hmac
import json
import logging
from typing import TYPE_CHECKING

from aiohttp import web
from telegram import Update

if TYPE_CHECKING:
    from bot.telegram.adapter import TelegramAdapter


log = logging.getLogger(__name__)

PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_routes(adapter: TelegramAdapter) -> list[web.RouteDef]:
    secret = adapter.config.secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, secret):  # before reading a byte of the body
            return web.json_response({"error": "forbidden"}, status=403)
        try:
            data = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return web.json_response({"error": "body is not JSON"}, status=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.json_response({"error": "not a Telegram update"}, status=400)
        try:
            update = Update.de_json(data, adapter.bot)
        except Exception:
            log.info("a webhook body was not a readable Telegram update")
            return web.json_response({"error": "not a Telegram update"}, status=400)
        settled = await adapter.submit(update)
        if not settled:  # Telegram delivers it again later; the receipt keeps it to one effect
            return web.json_response({"error": "try again"}, status=503)
        return web.json_response({"ok": True})

    return [web.post(PATH, receive)]
