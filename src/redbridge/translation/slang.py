"""Pinyin-initial internet slang (``yyds``, ``xswl``): Chinese written in Latin letters.

No engine knows these — to a zh→en model ``yyds`` is an English-looking token it copies, to an
en→zh model a typo — so they are glossed from this table instead, for an English reader, and
left as written for a Chinese one (it is their language).

Source: written for Redbridge (part of the project, same licence). Each abbreviation is the
pinyin initials of the Chinese phrase in the table — the phrase *is* the source, so a reader
of this file can check every entry — and the English gloss is our rendering of its usual
sense on Chinese social media. Only entries whose letters cannot be an English word are
listed, so matching a whole word, case-insensitively, never hits English text.
"""

from __future__ import annotations

from typing import Final, NamedTuple

__all__ = ["SLANG", "Slang", "gloss"]


class Slang(NamedTuple):
    chinese: str
    english: str


SLANG: Final[dict[str, Slang]] = {
    "yyds": Slang("永远的神", "the GOAT"),
    "xswl": Slang("笑死我了", "LMAO"),
    "awsl": Slang("啊我死了", "I can't, this is too cute"),
    "nsdd": Slang("你说得对", "you're right"),
    "u1s1": Slang("有一说一", "to be honest"),
    "yysy": Slang("有一说一", "to be honest"),
    "dbq": Slang("对不起", "sorry"),
    "bhys": Slang("不好意思", "excuse me"),
    "zqsg": Slang("真情实感", "with genuine feelings"),
    "yygq": Slang("阴阳怪气", "passive-aggressive"),
    "xdm": Slang("兄弟们", "guys"),
    "jms": Slang("姐妹们", "sisters"),
    "xjj": Slang("小姐姐", "young lady"),
    "xgg": Slang("小哥哥", "young man"),
    "plmm": Slang("漂亮妹妹", "pretty girl"),
    "bdjw": Slang("不懂就问", "honest question"),
    "dddd": Slang("懂的都懂", "if you know, you know"),
    "ssfd": Slang("瑟瑟发抖", "shaking"),
    "gkd": Slang("搞快点", "hurry up"),
    "kswl": Slang("磕死我了", "I ship them so hard"),
    "zfb": Slang("支付宝", "Alipay"),
    "nbcs": Slang("nobody cares", "nobody cares"),
    "szd": Slang("是真的", "it's true"),
    "hhhh": Slang("哈哈哈哈", "hahaha"),
    "hhh": Slang("哈哈哈", "hahaha"),
}


def gloss(word: str) -> str | None:
    """The English rendering of a slang word, with the Chinese it stands for: yyds → "the GOAT
    (永远的神)"; None if ``word`` is not in the table."""
    entry = SLANG.get(word.casefold())
    if entry is None:
        return None
    if entry.chinese == entry.english:
        return entry.english
    return f"{entry.english} ({entry.chinese})"
