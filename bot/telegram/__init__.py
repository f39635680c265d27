"""The Telegram adapter on python-telegram-bot 22: polling or webhook, replies, notices."""
