"""Bring both catalogs in line with the sources: `python -m locales.sync`.

New strings are added (English gets the source text, Chinese an empty msgstr to fill in),
strings no longer in the sources are dropped, and existing translations are kept.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from locales import CATALOG_DIR, DOMAIN

ROOT = CATALOG_DIR.parent
SOURCE_PACKAGES = ("bot", "handlers", "domain", "scheduler")
KEYWORDS = {**DEFAULT_KEYWORDS, "t": None, "N_": None, "gettext": None}


def source_messages() -> dict[str, list[str]]:
    """msgid -> where it is used, from every Python file of the packages."""
    found: dict[str, list[str]] = {}
    for package in SOURCE_PACKAGES:
        directory = ROOT / package
        if not directory.exists():
            continue
        for filename, lineno, message, _comments, _context in extract_from_dir(
            directory, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if isinstance(message, tuple):
                message = message[0]
            if message:
                found.setdefault(message, []).append(f"{package}/{filename}:{lineno}")
    return found


def catalog_path(locale: str) -> Path:
    return CATALOG_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(locale: str) -> Catalog:
    with catalog_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def sync(locale: str, messages: dict[str, list[str]]) -> list[str]:
    old = read_catalog(locale)
    new = Catalog(
        locale=locale,
        domain=DOMAIN,
        project="partnerbot",
        version="1",
        header_comment=f"# partnerbot messages, {locale}. Refresh with `python -m locales.sync`.",
        creation_date=old.creation_date,
        revision_date=old.revision_date,
        fuzzy=False,
    )
    untranslated = []
    for msgid in sorted(messages):
        existing = old.get(msgid)
        string = existing.string if existing and existing.string else ""
        if not string and locale == "en":
            string = msgid
        if not string:
            untranslated.append(msgid)
        new.add(msgid, string)
    with catalog_path(locale).open("wb") as handle:
        write_po(handle, new, width=100, omit_header=False, no_location=True, sort_output=True)
    return untranslated


def main() -> int:
    messages = source_messages()
    missing = 0
    for locale in ("en", "zh_CN"):
        untranslated = sync(locale, messages)
        missing += len(untranslated)
        for msgid in untranslated:
            print(f"{locale}: untranslated: {msgid!r}", file=sys.stderr)
    print(f"{len(messages)} messages; {missing} still to translate")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
