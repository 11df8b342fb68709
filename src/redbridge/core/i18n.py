"""Message catalogs (Babel / gettext) and the caller's locale.

Catalogs are ``locale/<locale>/LC_MESSAGES/messages.po`` files maintained with ``pybabel``; they are
compiled in memory on first use, so a source checkout works without a separate compile step.
The active locale is a context variable set per request by middleware: errors raised deep inside
an action come out in the caller's language without threading the locale through every call.
"""

from __future__ import annotations

import contextvars
import functools
import io
from importlib import resources

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

SUPPORTED = ("en", "zh-Hans", "zh-Hant")
DEFAULT = "en"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("redbridge_locale", default=DEFAULT)


def get_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> contextvars.Token[str]:
    return _current.set(locale if locale in SUPPORTED else DEFAULT)


def reset_locale(token: contextvars.Token[str]) -> None:
    _current.reset(token)


def normalize(tag: str | None) -> str | None:
    """Map a BCP-47-ish tag (``zh-CN``, ``zh_TW``, ``zh-Hant-HK``, ``en-US``) onto a supported locale."""
    if not tag:
        return None
    t = tag.strip().replace("_", "-").lower()
    if t.startswith("zh"):
        if "hant" in t or t.endswith(("-tw", "-hk", "-mo")):
            return "zh-Hant"
        return "zh-Hans"
    if t.startswith("en"):
        return "en"
    return None


def content_lang(locale: str) -> str:
    """The language code user content is labelled with (``Note.lang``) for a UI locale."""
    return "zh" if locale.startswith("zh") else "en"


def from_accept_language(header: str | None) -> str | None:
    """Best supported locale from an Accept-Language header, honouring q-values."""
    if not header:
        return None
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        lang, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        found = normalize(lang)
        if found and q > 0:
            choices.append((-q, index, found))
    return min(choices)[2] if choices else None


@functools.cache
def _translations(locale: str) -> NullTranslations:
    folder = locale.replace("-", "_")
    po = resources.files("redbridge") / "locale" / folder / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=Locale.parse(folder))
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf)


def gettext(message: str, locale: str | None = None, **params: object) -> str:
    text = _translations(locale or get_locale()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, locale: str | None = None) -> str:
    return _translations(locale or get_locale()).ngettext(singular, plural, n) % {"num": n}


def _(message: str) -> str:
    """Mark a message for extraction without translating it yet (translated when rendered)."""
    return message
