"""Translation through the gettext catalogs under locales/; source strings are English."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from babel.messages.pofile import read_po

from domain.enums import SUPPORTED_LOCALES
from locales import CATALOG_DIR, DOMAIN

log = logging.getLogger(__name__)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Marks a string for the catalogs where it is defined; translated where it is shown."""
    return message


class Translate(Protocol):
    def __call__(self, message: str, /, **params: object) -> str: ...


def resolve_locale(candidate: str | None, default: str) -> str:
    """Map what platforms report (`zh-hans`, `en-US`, `zh_CN`) onto a supported locale."""
    if not candidate:
        return default
    lowered = candidate.replace("-", "_").lower()
    for locale in SUPPORTED_LOCALES:
        if lowered == locale.lower() or lowered.split("_")[0] == locale.split("_")[0].lower():
            return locale
    return default


def load_catalog(path: Path) -> dict[str, str]:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


class Translator:
    def __init__(self, catalogs: Mapping[str, Mapping[str, str]], default_locale: str) -> None:
        self._catalogs = catalogs
        self.default_locale = default_locale
        self._warned: set[tuple[str, str]] = set()

    @classmethod
    def load(cls, default_locale: str, directory: Path = CATALOG_DIR) -> Translator:
        catalogs = {
            locale: load_catalog(directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po")
            for locale in SUPPORTED_LOCALES
        }
        return cls(catalogs, default_locale)

    def gettext(self, locale: str, message: str, /, **params: object) -> str:
        catalog = self._catalogs.get(locale) or self._catalogs.get(self.default_locale, {})
        text = catalog.get(message)
        if text is None:
            if (locale, message) not in self._warned:
                self._warned.add((locale, message))
                log.warning("missing %s translation: %r", locale, message)
            text = message
        return text.format(**params) if params else text

    def bind(self, locale: str) -> Translate:
        def translate(message: str, /, **params: object) -> str:
            return self.gettext(locale, message, **params)

        return translate

    def messages(self, locale: str) -> Mapping[str, str]:
        return self._catalogs.get(locale, {})


TranslateFactory = Callable[[str], Translate]
