"""Jinja2 rendering for the pages: one environment, autoescaped, translated through Babel catalogs.

* **Escaping.** Autoescape is on for every template. User text reaches HTML only as a plain
  variable (escaped) or through :func:`markup`, which escapes every piece itself and adds only
  links it builds from validated tag names and usernames. Nothing marks user content ``|safe``.
* **Translation.** ``{{ _("...") }}`` / ``gettext`` / ``ngettext`` are Jinja's *newstyle* callables
  (``_("Hi %(name)s", name=user)`` escapes ``name``) over :mod:`redbridge.core.i18n`; they read the
  locale context variable, which :func:`render` sets from ``request.state.locale`` for the duration
  of the render (page handlers run in worker threads, where the middleware's value is not visible).
  Plural messages may use only ``%(num)d`` (``core.i18n.ngettext`` fills it in).
* **Globals** every template can use: ``static(path)``, ``markup(text)``, ``lang_attr(lang)``,
  ``link(route_name, **params)`` (a URL, or None while the route does not exist yet),
  ``topic_label(topic)``, ``topics``; filters ``count``, ``date``, ``ago``, ``device``.
"""

from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, get_args
from urllib.parse import quote

import opencc
from babel import Locale
from babel.dates import format_date, format_timedelta
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.routing import NoMatchFound

from redbridge.core import i18n
from redbridge.core.i18n import content_lang
from redbridge.safety.schemas import ReportReason
from redbridge.text.lang import detect_language
from redbridge.text.markup import iter_markup
from redbridge.text.topics import TOPIC_LABELS, TOPICS
from redbridge.translations.queries import READABLE, needs_translation, reader_target
from redbridge.web.static import StaticAssets

# The UI languages, each named in itself (the switcher and the edit-profile form).
UI_LANGUAGES = (("en", "English"), ("zh-Hans", "简体中文"), ("zh-Hant", "繁體中文"))

# Babel's locale data names for our UI locales.
_BABEL = {"en": "en", "zh-Hans": "zh_Hans", "zh-Hant": "zh_Hant"}


@functools.cache
def assets() -> StaticAssets:
    """The static manifest: the files ship inside the package, so one scan serves every app."""
    return StaticAssets.scan()


def babel_locale(locale: str | None = None) -> Locale:
    return Locale.parse(_BABEL.get(locale or i18n.get_locale(), "en"))


# --------------------------------------------------------------------------------- user content


def markup(text: str) -> Markup:
    """A plain-text note body or comment as HTML: every piece escaped, ``#tags`` linked to their
    tag page and ``@mentions`` to the profile. Line breaks are kept by CSS (``white-space``)."""
    parts: list[str] = []
    for token in iter_markup(text):
        if token.kind == "tag":
            parts.append(f'<a class="tag" href="/t/{quote(token.value, safe="")}">{escape(token.raw)}</a>')
        elif token.kind == "mention":
            # The username matched [A-Za-z0-9_]{3,30}: safe in a path as it is.
            parts.append(f'<a class="mention" href="/u/{token.value}">{escape(token.raw)}</a>')
        else:
            parts.append(str(escape(token.value)))
    return Markup("".join(parts))  # noqa: S704 - built above from escaped pieces only


def lang_attr(lang: str | None) -> Markup:
    """`` lang="zh"`` on user content in the other language than the page's, so screen readers
    switch voice and browsers pick the right fonts; nothing for the same language or unknown."""
    if lang not in ("en", "zh") or lang == content_lang(i18n.get_locale()):
        return Markup("")
    return Markup(f' lang="{lang}"')  # noqa: S704 - lang is one of two literals


def text_lang_attr(text: str) -> Markup:
    """:func:`lang_attr` for user text that carries no stored language (a bio, a collection's
    description, a comment excerpt): detected on the spot (offline, microseconds)."""
    return lang_attr(detect_language(text)) if text else Markup("")


# ------------------------------------------------------------------------------------ formatting


def compact_count(value: int) -> str:
    """Counters the RedNote way: 999, 1.2k / 1.2万 (Chinese groups by ten thousand)."""
    locale = i18n.get_locale()
    if locale.startswith("zh"):
        if value < 10_000:
            return str(value)
        unit, step = ("万", 10_000) if value < 100_000_000 else ("亿", 100_000_000)
    else:
        if value < 1_000:
            return str(value)
        unit, step = ("k", 1_000) if value < 1_000_000 else ("m", 1_000_000)
    number = format_decimal(int(value / step * 10) / 10, format="#,##0.#", locale=babel_locale())
    return f"{number}{unit}"


# (pattern, name) in the order that matters: Edge and Opera also say "Chrome", Chrome also says
# "Safari", Android also says "Linux", iOS also says "like Mac OS X".
_BROWSERS = ((r"Edg(e|A|iOS)?/", "Edge"), (r"OPR/|Opera", "Opera"), (r"Firefox/|FxiOS/", "Firefox"),
             (r"Chrom(e|ium)/|CriOS/", "Chrome"), (r"Safari/", "Safari"))
_SYSTEMS = ((r"Android", "Android"), (r"iPhone|iPad|iPod", "iOS"), (r"Windows", "Windows"),
            (r"Mac OS X|Macintosh", "macOS"), (r"CrOS", "ChromeOS"), (r"Linux", "Linux"))
_UA_SHOWN = 80


def _first(patterns: tuple[tuple[str, str], ...], text: str) -> str | None:
    return next((name for pattern, name in patterns if re.search(pattern, text)), None)


def device(user_agent: str | None) -> str:
    """A session's device as a person says it ("Firefox on Windows"), from its User-Agent; other
    clients (an API script, curl) are shown as they name themselves, shortened."""
    if not user_agent:
        return i18n.gettext("Unknown device")
    browser, system = _first(_BROWSERS, user_agent), _first(_SYSTEMS, user_agent)
    if browser and system:
        return i18n.gettext("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or user_agent[:_UA_SHOWN]


def format_day(value: datetime) -> str:
    return format_date(value, "medium", locale=babel_locale())


@pass_context
def ago(context: Context, value: datetime) -> str:
    """How long ago, in the UI language ("3 hours ago", "3小时前"); ``now`` comes from the page
    context (the injected clock), so tests can pin it."""
    now: datetime = context["now"]
    return format_timedelta(value - now, add_direction=True, locale=babel_locale())


@functools.cache
def traditional_topic_labels() -> dict[str, str]:
    """zh-Hant topic labels, derived once with one converter: building an OpenCC converter takes
    a few hundred ms, so doing it per label made the first zh-Hant page of a process take
    seconds. ``web.install`` calls this so no reader pays for it."""
    converter = opencc.OpenCC("s2twp")
    return {topic: str(converter.convert(labels["zh"])) for topic, labels in TOPIC_LABELS.items()}


def topic_label(topic: str) -> str:
    labels = TOPIC_LABELS.get(topic)
    if labels is None:
        return topic
    locale = i18n.get_locale()
    if locale == "zh-Hant":
        return traditional_topic_labels()[topic]
    return labels["zh"] if locale == "zh-Hans" else labels["en"]


def tone(value: str) -> int:
    """A stable 0–5 colour variant for text-only cards (CSS classes ``tone-0`` … ``tone-5``)."""
    return zlib.crc32(value.encode()) % 6


@pass_context
def link(context: Context, name: str, **params: Any) -> str | None:
    """The path of a named route, or None when no such route is registered. Navigation uses it for
    pages that later work adds (compose, notifications): until the route exists, the link renders
    as a disabled item instead of a 404."""
    request: Request = context["request"]
    try:
        return str(request.app.url_path_for(name, **params))
    except NoMatchFound:
        return None


# ------------------------------------------------------------------------------------ environment


def _gettext(message: str) -> str:
    return i18n.gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return i18n.ngettext(singular, plural, n)


def _static(path: str) -> str:
    return assets().url(path)


# The report control's reasons (``macros/moderation.html``), spam first: what most reports are.
REPORT_REASONS: tuple[str, ...] = ("spam", *(r for r in get_args(ReportReason) if r != "spam"))


def make_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("redbridge.web", "templates"),
        autoescape=select_autoescape(("html",), default_for_string=True, default=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        static=_static, markup=markup, lang_attr=lang_attr, text_lang_attr=text_lang_attr, link=link,
        topic_label=topic_label, topics=TOPICS, tone=tone, ui_languages=UI_LANGUAGES,
        report_reasons=REPORT_REASONS, needs_translation=needs_translation, reader_target=reader_target,
        readable=READABLE,
    )
    env.filters.update(count=compact_count, date=format_day, ago=ago, device=device)
    return env


ENV = make_environment()


def render_html(request: Request, template: str, context: Mapping[str, Any]) -> str:
    """Render ``template`` in the request's locale (``request.state.locale``, which the account
    setting has already replaced when the viewer was resolved)."""
    locale = str(getattr(request.state, "locale", None) or i18n.get_locale())
    token = i18n.set_locale(locale)
    try:
        return ENV.get_template(template).render(
            {**context, "request": request, "locale": i18n.get_locale(), "page_lang": content_lang(locale)}
        )
    finally:
        i18n.reset_locale(token)


def render(request: Request, template: str, context: Mapping[str, Any], status: int = 200,
           headers: Mapping[str, str] | None = None) -> HTMLResponse:
    response = HTMLResponse(render_html(request, template, context), status_code=status,
                            headers=dict(headers or {}))
    # Pages carry per-viewer content and CSRF tokens: never stored by shared caches, always
    # revalidated. Not ``no-store``: that keeps pages out of the back/forward cache, and going back
    # from a note to a long explore scroll should land where the reader was.
    response.headers.setdefault("Cache-Control", "private, no-cache")
    response.headers.setdefault("Vary", "Cookie, Accept-Language")
    return response
