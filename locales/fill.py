"""Fill translations from a JSON file of {msgid: msgstr}: `python -m locales.fill zh_CN FILE`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import write_po

from locales.sync import catalog_path, read_catalog


def main(argv: list[str]) -> int:
    locale, source = argv
    translations: dict[str, str] = json.loads(Path(source).read_text(encoding="utf-8"))
    catalog = read_catalog(locale)
    known = {message.id for message in catalog if message.id}
    for message in catalog:
        if message.id in translations:
            message.string = translations[message.id]
    with catalog_path(locale).open("wb") as handle:
        write_po(handle, catalog, width=100, no_location=True, sort_output=True)
    unknown = sorted(set(translations) - known)
    for msgid in unknown:
        print(
            f"not in the catalog (run `python -m locales.sync` first): {msgid!r}", file=sys.stderr
        )
    return 1 if unknown else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
