"""Adapters (console, later Telegram and WeChat), the HTTP app, the composition root and the CLI."""
