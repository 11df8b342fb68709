"""Emoji as character classes: the one copy of the code-point ranges the text modules share.

Each value is the *body* of a regex character class (``f"[{PICTOGRAPH}]"``), so callers compose
them. The ranges approximate Unicode's Extended_Pictographic by the blocks emoji live in:

* ``PICTOGRAPH_BMP`` — the Basic Multilingual Plane characters with emoji presentation (©, ®,
  ‼, ™, arrows, ⌚…⏿, Ⓜ, ▪…➿, ⤴⤵, ⬅…⭕, 〰, 〽, ㊗, ㊙);
* ``PICTOGRAPH_SUPPLEMENTARY`` — U+1F000–U+1FAFF, the supplementary blocks (mahjong tiles to
  Symbols and Pictographs Extended-A), regional indicators included;
* ``REGIONAL_INDICATOR`` — the letters of flag pairs (🇨🇳 is two of them);
* ``PICTOGRAPH`` — a pictograph that stands on its own: the two above without the regional
  indicators, which only mean something in pairs;
* ``MODIFIERS`` — what may follow a pictograph in a sequence: VS16, the keycap mark, skin tones,
  tag characters (subdivision flags);
* ``SEQUENCE`` — regex source for one whole emoji: a flag pair, a keycap, or a pictograph with
  its modifiers and ZWJ joins to further pictographs.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "MODIFIERS",
    "PICTOGRAPH",
    "PICTOGRAPH_BMP",
    "PICTOGRAPH_SUPPLEMENTARY",
    "REGIONAL_INDICATOR",
    "SEQUENCE",
    "is_pictograph",
]

PICTOGRAPH_BMP: Final = (
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u21aa\u231a-\u23ff\u24c2\u25aa-\u27bf\u2934\u2935"
    "\u2b05-\u2b55\u3030\u303d\u3297\u3299"
)
PICTOGRAPH_SUPPLEMENTARY: Final = "\U0001f000-\U0001faff"
REGIONAL_INDICATOR: Final = "\U0001f1e6-\U0001f1ff"
PICTOGRAPH: Final = PICTOGRAPH_BMP + "\U0001f000-\U0001f1e5\U0001f200-\U0001faff"
MODIFIERS: Final = "\ufe0f\u20e3\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"
SEQUENCE: Final = (
    rf"(?:[{REGIONAL_INDICATOR}]{{2}}|[0-9#*]\ufe0f?\u20e3"
    rf"|[{PICTOGRAPH}][{MODIFIERS}]*(?:\u200d[{PICTOGRAPH}][{MODIFIERS}]*)*)"
)

_PICTOGRAPH_RE: Final = re.compile(f"[{PICTOGRAPH_BMP}{PICTOGRAPH_SUPPLEMENTARY}]")


def is_pictograph(ch: str) -> bool:
    """Whether the one character ``ch`` is in the emoji blocks (a regional indicator counts)."""
    return _PICTOGRAPH_RE.fullmatch(ch) is not None
