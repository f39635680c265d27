"""Every string a person reads is in both catalogs, and the catalogs format cleanly."""

from __future__ import annotations

import string

import pytest

from domain.enums import SUPPORTED_LOCALES
from handlers.i18n import Translator
from locales.sync import read_catalog, source_messages

MESSAGES = source_messages()


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_sources_have_messages() -> None:
    assert len(MESSAGES) > 50


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalog_translates_every_source_string(locale: str) -> None:
    catalog = read_catalog(locale)
    missing = [
        f"{msgid!r} (used at {MESSAGES[msgid][0]})"
        for msgid in sorted(MESSAGES)
        if not (catalog.get(msgid) and catalog.get(msgid).string)
    ]
    assert not missing, (
        f"{locale} lacks {len(missing)} strings; run `python -m locales.sync`:\n"
        + ("\n".join(missing))
    )


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_translations_keep_the_placeholders(locale: str) -> None:
    catalog = read_catalog(locale)
    wrong = [
        msgid
        for msgid in MESSAGES
        if catalog.get(msgid)
        and catalog.get(msgid).string
        and _fields(msgid) != _fields(catalog.get(msgid).string)
    ]
    assert not wrong, f"{locale}: placeholders differ in {wrong}"


def test_translator_loads_both_catalogs() -> None:
    translator = Translator.load("zh_CN")
    assert translator.gettext("zh_CN", "Help") == "帮助"
    assert translator.gettext("en", "Help") == "Help"
    assert translator.gettext("fr", "Help") == "帮助"  # unknown locales fall back to the default
