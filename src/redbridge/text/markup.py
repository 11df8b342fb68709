"""RedNote-style ``#tag`` and ``@mention`` markup in plain-text note bodies.

Notes are plain text; this module finds the markup so that templates can render links
without ever parsing or emitting user HTML.

Syntax:

* A tag is ``#`` (or the full-width U+FF03 that Chinese IMEs produce) followed by a run of
  letters, digits, underscores or CJK characters, optionally closed by a second ``#`` as in
  ``#美食#``. RedNote's copy-paste form ``#美食[话题]#`` is understood too. The closing ``#``
  belongs to the tag, so ``#美食#好吃`` is the tag 美食 followed by the text 好吃 (the Weibo
  reading), not two tags.
* A ``#`` right after an ASCII letter or digit does not start a tag, so ``C#``, ``issue#12``
  and URL fragments stay text. CJK text is not separated by spaces, so ``吃了#火锅`` does
  start one. All-digit names (``#1``) are not tags.
* A mention is ``@`` (or the full-width U+FF20) followed by 3 to 30 of ``[A-Za-z0-9_]``, not preceded by an
  ASCII word character or ``.`` (so ``a.b@example.com`` is not a mention) and not followed by
  another username character (a 31-character run is not silently cut to 30).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Final, NamedTuple

__all__ = [
    "MAX_MENTIONS",
    "MAX_TAGS",
    "MAX_TAG_LEN",
    "MarkupToken",
    "extract_mentions",
    "extract_tags",
    "iter_markup",
    "normalize_tag",
    "tokenize_markup",
]

MAX_TAG_LEN: Final = 30
MAX_TAGS: Final = 10
MAX_MENTIONS: Final = 20

# \w covers letters and digits of every script (CJK included) plus "_". Combining marks are
# allowed after the first character so a decomposed "café" (e + U+0301) stays one tag.
_TAG_BODY: Final = r"\w[\w\u0300-\u036f]*"
_MARKUP_RE: Final = re.compile(
    rf"(?P<tag>(?<![A-Za-z0-9])[#\uff03](?P<tagname>{_TAG_BODY})(?:\[话题\])?[#\uff03]?)"
    r"|(?P<mention>(?<![A-Za-z0-9_.])[@\uff20](?P<username>[A-Za-z0-9_]{3,30})(?![A-Za-z0-9_]))"
)
_NON_WORD_RE: Final = re.compile(r"[^\w]+")


class MarkupToken(NamedTuple):
    """One piece of a body: ``kind`` is ``"text"``, ``"tag"`` or ``"mention"``.

    ``value`` is what to link to (the normalised tag name, the username as written) or the
    text itself; ``raw`` is the exact source slice, markers included, so that joining every
    token's ``raw`` reproduces the input and a template can show what the author typed.
    """

    kind: str
    value: str
    raw: str


def normalize_tag(name: str) -> str | None:
    """Canonical form of a tag name (NFKC, lower-case, ≤ 30 chars), or None if it is not one.

    Accepts the name with or without its ``#`` markers, so it also canonicalises tags typed
    into a search box or a tag URL.
    """
    norm = unicodedata.normalize("NFKC", name).lower()
    # NFKC can expand a character into punctuation ("½" becomes "1", U+2044, "2"); keep only word characters
    # so a canonical name never contains anything the tag syntax could not.
    norm = _NON_WORD_RE.sub("", norm)[:MAX_TAG_LEN]
    if not norm or norm.isdigit():
        return None
    return norm


def iter_markup(text: str) -> Iterator[MarkupToken]:
    """Split ``text`` into text, tag and mention tokens covering it exactly, in order.

    Adjacent text is merged, so two text tokens never follow each other.
    """
    pending = ""
    pos = 0
    for match in _MARKUP_RE.finditer(text):
        token: MarkupToken | None = None
        if match.group("tag") is not None:
            name = normalize_tag(match.group("tagname"))
            if name is not None:
                token = MarkupToken("tag", name, match.group(0))
        else:
            token = MarkupToken("mention", match.group("username"), match.group(0))
        if token is None:
            # A rejected tag (e.g. "#2") is ordinary text.
            continue
        pending += text[pos : match.start()]
        if pending:
            yield MarkupToken("text", pending, pending)
            pending = ""
        yield token
        pos = match.end()
    pending += text[pos:]
    if pending:
        yield MarkupToken("text", pending, pending)


def tokenize_markup(text: str) -> list[tuple[str, str]]:
    """``text`` as ``("text", s)``, ``("tag", name)`` and ``("mention", username)`` pairs.

    ``name`` is the normalised tag (a safe link target, the same as ``extract_tags`` gives);
    use ``iter_markup`` when the display should keep the author's spelling and markers.
    """
    return [(tok.kind, tok.value) for tok in iter_markup(text)]


def extract_tags(text: str) -> list[str]:
    """Normalised tag names in order of first appearance, without duplicates, at most 10."""
    tags: list[str] = []
    for tok in iter_markup(text):
        if tok.kind == "tag" and tok.value not in tags:
            tags.append(tok.value)
            if len(tags) == MAX_TAGS:
                break
    return tags


def extract_mentions(text: str) -> list[str]:
    """Mentioned usernames in order, at most 20, as first written.

    Duplicates are detected case-insensitively so "@Mei @mei" notifies one person once.
    """
    seen: set[str] = set()
    mentions: list[str] = []
    for tok in iter_markup(text):
        if tok.kind == "mention" and tok.value.casefold() not in seen:
            seen.add(tok.value.casefold())
            mentions.append(tok.value)
            if len(mentions) == MAX_MENTIONS:
                break
    return mentions
