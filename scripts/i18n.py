#!/usr/bin/env python3
"""Keep the message catalogs in step with the code (Babel).

    python scripts/i18n.py update   # extract msgids, merge into each catalog, fill zh-Hant from zh-Hans
    python scripts/i18n.py check    # exit 1 if any msgid lacks a Simplified Chinese translation
    python scripts/i18n.py fill F.json  # update, taking zh-Hans text for new msgids from F.json
                                        # ({"msgid": "译文"}; plural msgids: {"msgid": ["译文"]})

zh-Hant is derived from the reviewed zh-Hans text with OpenCC (s2twp: Taiwan phrasing), and only
where no Traditional translation exists yet, so a human-corrected zh-Hant entry is never
overwritten. Catalogs are compiled in memory at run time (redbridge.core.i18n), so there is no
compiled file to forget.
"""

from __future__ import annotations

import copy
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "redbridge"
LOCALES = ("zh_Hans", "zh_Hant")
METHODS = [("**/web/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_n": (1, 2)}


def template() -> Catalog:
    catalog = Catalog(project="redbridge", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE), METHODS, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",), strip_comment_tags=True
    ):
        if "/migrations/" in filename or "/demo/" in filename:
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(locale: str) -> Path:
    return PACKAGE / "locale" / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, project="redbridge", charset="utf-8")
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def save(catalog: Catalog, locale: str) -> None:
    path = po_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    write_po(buf, catalog, width=0, omit_header=False, sort_output=True, ignore_obsolete=True)
    path.write_bytes(buf.getvalue())


def translated(string: object) -> bool:
    """A plural entry's string is a tuple: translated only when every form is."""
    return all(string) if isinstance(string, tuple) else bool(string)


def update(zh_hans: dict[str, str | list[str]] | None = None) -> None:
    pot = template()
    catalogs = {}
    for locale in LOCALES:
        catalog = load(locale)
        # A copy per catalog: Catalog.update adds the template's own Message objects for new
        # msgids, so with one shared template a new zh-Hans string would land in zh-Hant too.
        catalog.update(copy.deepcopy(pot), no_fuzzy_matching=True)
        catalogs[locale] = catalog
    import opencc

    to_traditional = opencc.OpenCC("s2twp")
    hans, hant = catalogs["zh_Hans"], catalogs["zh_Hant"]
    for msgid, text in (zh_hans or {}).items():
        entry = hans.get(msgid)
        if entry is None:
            print(f"not in the code (skipped): {msgid!r}")
            continue
        entry.string = tuple(text) if isinstance(text, list) else text
    for message in hant:
        source = hans.get(message.id) if message.id else None
        # Derive what is missing, and repair entries that are a verbatim copy of the Simplified
        # text (what the shared-template bug above left behind): a human correction differs.
        if not message.id or (translated(message.string) and (source is None or message.string != source.string)):
            continue
        if source is not None and source.string:
            message.string = (
                tuple(to_traditional.convert(s) for s in source.string)
                if isinstance(source.string, tuple) else to_traditional.convert(source.string)
            )
    for locale, catalog in catalogs.items():
        save(catalog, locale)


def missing(locale: str = "zh_Hans") -> list[str]:
    catalog = load(locale)
    out = []
    for message in template():
        if not message.id:
            continue
        found = catalog.get(message.id)
        if found is None or not translated(found.string):
            out.append(str(message.id))
    return out


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
        return 0
    if command == "fill":
        import json

        update(json.loads(Path(argv[2]).read_text(encoding="utf-8")))
        return 0
    gaps = missing()
    for msgid in gaps:
        print(f"untranslated (zh_Hans): {msgid!r}")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
