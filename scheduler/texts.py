"""How the scheduler reaches the catalogs without importing handlers: an injected catalog.

`bot/bootstrap.py` hands in the application's translator (handlers.i18n.Translator fits this
protocol); strings are marked here with `N_` so `python -m locales.sync` extracts them.
"""

from __future__ import annotations

from typing import Protocol


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    return message


class Catalog(Protocol):
    def gettext(self, locale: str, message: str, /, **params: object) -> str: ...
