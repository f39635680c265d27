"""The Telegram adapter against the real python-telegram-bot and a fake Bot API server."""
