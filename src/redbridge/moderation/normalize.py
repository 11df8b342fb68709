"""Normalisation of user text for moderation matching (never for display).

:func:`normalize` turns one piece of text into the forms the lexicon matches on
(:class:`Normalized`). Each step is its own function below, in the order they run; the
original is kept for display and evidence.

``folded`` — what word-level matching runs on. Digits are kept as they are, so prices and phone
numbers survive for the personal-data regexes:

1. :func:`strip_invisible` — zero-width, bidi control, other format (Cf) characters, variation
   selectors and the combining grapheme joiner; lone surrogates become U+FFFD.
2. :func:`fold_width_case` — NFKC (full-width ``ｆｕｃｋ``, circled ``ⓕ``, mathematical ``𝐟``),
   casefold, and combining accents dropped (``fück`` → ``fuck``), repeated to a fixed point.
3. :func:`fold_confusables` — look-alike letters from Cyrillic, Greek, Armenian and Cherokee
   (UTS #39 data as shipped by confusable-homoglyphs) become the Latin letter they imitate, but
   only inside a word that mixes them with Latin letters (``рaypal``) or consists of look-alikes
   only (``ꮯоск``); a real Greek or Russian word that has letters with no Latin twin is left
   alone. Non-ASCII Latin look-alikes (``ı``, ``ɑ``, ``ꜱ``) are always mapped.
4. :func:`to_simplified` — Traditional → Simplified Chinese (OpenCC ``t2s``): ``殺了你`` → ``杀了你``.
5. :func:`squash_repeats` — a letter repeated three or more times is cut to three
   (``fuuuuuck`` → ``fuuuck``, ``哈哈哈哈`` → ``哈哈哈``; digits are left alone). Three, not one
   or two, so that both readings stay possible: the lexicon matches the text with those runs cut
   to one (``youuuu`` → ``you``, ``sbbbbb`` → ``sb``) *and* to two (``freeeee`` → ``free``), and
   a *squeezed* variant (every run to one letter: ``kiiilll`` → ``kil``) against squeezed terms.

``compact`` — ``folded`` with the evasions between characters undone, for matching only:

6. :func:`unleet` — character-level leetspeak (``0``→o ``1``→i ``3``→e ``4``→a ``5``→s ``7``→t,
   ``$``→s ``!``→i ``@``→a inside a word) in tokens that contain a Latin letter and no run of five
   or more digits (``d1e`` → ``die``, ``1d10t`` → ``idiot``, ``$hit`` → ``shit``); ``$5``,
   ``13812345678``, ``vx13812345678`` and ``@alice`` keep their characters, and so does a
   character next to a Chinese one (``3点``, ``约拍！广州``). Term-level leet (``h8``) is in the
   term lists.
7. :func:`join_split` — punctuation (but , ; : ?), symbols and emoji between two letters are removed
   (``f*ck`` → ``fck``, ``sh.it`` → ``shit``, ``去😊死`` → ``去死``); anything that is not a
   letter or digit between two CJK characters is removed (``去 . 死`` → ``去死``); a chain of
   three or more single letters separated by spaces or punctuation is joined (``d i e`` → ``die``,
   ``f.u.c.k`` → ``fuck``) — the lexicon also looks for terms *inside* such a chain, where the
   word boundaries are unknown (``a s t u p i d c o w``); digits spaced out one by one are joined
   (``4 1 5 5 5 5 0 1 9 8``) and seven or more Chinese numerals in a row are digits
   (``幺三八…``, ``壹叁捌…``), as are seven or more English digit words (``four one five…``: a
   phone number read out); spaces between a CJK character and a Latin letter or digit are
   removed (``hook up 吗`` → ``hook up吗``, so mixed-language terms meet); split characters used to hide a word are
   recomposed (:data:`SPLIT_CHARACTERS`: ``弓虽`` → ``强``, ``女干`` → ``奸``, ``歹匕`` → ``死``,
   ``衤果`` → ``裸``, ``力口`` → ``加``, ``女表`` → ``婊``, ``扌喿`` → ``操``, ``木仓`` → ``枪``...). Only pairs that
   are rarely a word of their own are listed, and the recomposed character only matters when it
   completes a listed term; a few emoji next to a Chinese character stand for one
   (:data:`EMOJI_CHARACTERS`: ``我要🔪了你`` → ``我要刀了你``, ``去💀吧`` → ``去死吧``), and emoji
   stuck to one end of a Latin word are dropped (``on 📱telegram📱`` → ``on telegram``).

``pinyin`` / ``initials`` — empty unless the text has CJK characters; then every CJK character
is replaced by its toneless pinyin (pypinyin ``lazy_pinyin``, ``Style.NORMAL``) and Latin words
in the text are kept, space separated (``cao你妈`` → ``cao ni ma``), so homophones match a
term's pinyin. Each character's reading is looked up on its own (cached), without phrase
context: the term and the text go through the same function, and consistency is what matching
needs (and a phrase-aware call costs ~150 µs per sentence). ``initials`` is the first letter of
each syllable, one word per run of CJK characters (``草泥马`` → ``cnm``).
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

from redbridge.text import emoji
from redbridge.text.clean import BIDI_CONTROLS, INVISIBLE

__all__ = [
    "EMOJI_CHARACTERS",
    "SPLIT_CHARACTERS",
    "Normalized",
    "chains",
    "fold_confusables",
    "fold_width_case",
    "has_cjk",
    "initials_of",
    "join_split",
    "normalize",
    "pinyin_of",
    "repeat_variants",
    "squash_repeats",
    "squeeze",
    "strip_invisible",
    "to_simplified",
    "unleet",
]


@dataclass(frozen=True, slots=True)
class Normalized:
    original: str
    folded: str
    compact: str
    pinyin: str
    initials: str


# --- 1. invisible characters ------------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")
_EXTRA_INVISIBLE = "\u034f\u00ad\u115f\u1160\u3164\uffa0\u17b4\u17b5"  # CGJ, soft hyphen, fillers


def _invisible_table() -> dict[int, None]:
    table: dict[int, None] = dict.fromkeys(map(ord, BIDI_CONTROLS | INVISIBLE | set(_EXTRA_INVISIBLE)))
    table.update(dict.fromkeys(range(0xFE00, 0xFE10)))  # variation selectors
    table.update(dict.fromkeys(range(0xE0000, 0xE0080)))  # tag characters
    table.update(dict.fromkeys(range(0xE0100, 0xE01F0)))  # variation selectors supplement
    return table


_INVISIBLE_TABLE = _invisible_table()


def strip_invisible(text: str) -> str:
    """Drop zero-width, bidi-control and other format characters; lone surrogates → U+FFFD."""
    if text.isascii():
        return text
    text = _SURROGATE.sub("\ufffd", text).translate(_INVISIBLE_TABLE)
    if any(unicodedata.category(ch) == "Cf" for ch in text):
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return text


# --- 2. width, case, accents ------------------------------------------------------------------

_COMBINING_ACCENTS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _fold_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    if _COMBINING_ACCENTS.search(decomposed):
        text = unicodedata.normalize("NFC", _COMBINING_ACCENTS.sub("", decomposed))
    return text


def fold_width_case(text: str) -> str:
    """NFKC + casefold + combining accents removed, applied until nothing changes."""
    if text.isascii():
        return text.lower()
    for _ in range(4):  # converges in one or two rounds; the bound is a guard, not a tuning knob
        folded = _fold_once(text)
        if folded == text:
            break
        text = folded
    return text


# --- 3. confusables ---------------------------------------------------------------------------

_CONFUSABLE_SCRIPTS = ("LATIN", "GREEK", "CYRILLIC", "CHEROKEE", "ARMENIAN")


@functools.cache
def _confusable_tables() -> tuple[dict[int, str], frozenset[str]]:
    """(look-alike → ASCII letter, the non-Latin look-alikes), from confusable-homoglyphs' data.

    Keys are casefolded (the table is applied after step 2: Cherokee ``Ꮯ`` is ``ꮯ`` by then).
    """
    data = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    table: dict[int, str] = {}
    foreign: set[str] = set()
    for char, glyphs in data.items():
        if len(char) != 1 or char.isascii():
            continue
        script = unicodedata.name(char, "").split(" ")[0]
        if script not in _CONFUSABLE_SCRIPTS:
            continue
        target = next((g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalpha()), None)
        if target is None:
            continue
        for key in {char, fold_width_case(char)}:
            if len(key) == 1 and not key.isascii() and ord(key) not in table:
                table[ord(key)] = target.lower()
                if script != "LATIN":
                    foreign.add(key)
    return table, frozenset(foreign)


_WORD = re.compile(r"\w+")
_LATIN_LETTER = re.compile(r"[a-z]")


def _fold_word(match: re.Match[str]) -> str:
    word = match.group()
    table, foreign = _confusable_tables()
    if word.isascii():
        return word
    has_foreign = any(ch in foreign for ch in word)
    if has_foreign:
        letters = [ch for ch in word if ch.isalpha()]
        mixed = bool(_LATIN_LETTER.search(word))
        all_lookalike = all(ord(ch) in table for ch in letters)
        if not (mixed or all_lookalike):
            # A real Greek / Cyrillic word: map only the Latin-script look-alikes in it.
            return "".join(ch if ch in foreign else table.get(ord(ch), ch) for ch in word)
    return word.translate(table)


def fold_confusables(text: str) -> str:
    """Map look-alike letters to Latin inside mixed-script or all-look-alike words."""
    if text.isascii():
        return text
    return _WORD.sub(_fold_word, text)


# --- 4. Traditional → Simplified --------------------------------------------------------------

_CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK = re.compile(f"[{_CJK_CLASS}]")


def has_cjk(text: str) -> bool:
    return not text.isascii() and _CJK.search(text) is not None


@functools.cache
def _t2s() -> object:
    import opencc  # loads its dictionaries: milliseconds, once, only when Chinese text shows up

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    if not has_cjk(text):
        return text
    converted: str = _t2s().convert(text)  # type: ignore[attr-defined]
    return converted


# --- 5. repeated letters ----------------------------------------------------------------------

_REPEATS = re.compile(r"([^\W\d_])\1{3,}")
_TRIPLES = re.compile(r"([^\W\d_])\1\1")
_RUNS = re.compile(r"([^\W\d_])\1+")


def _one(m: re.Match[str]) -> str:
    return m.group(1)


def _two(m: re.Match[str]) -> str:
    return m.group(1) * 2


def _three(m: re.Match[str]) -> str:
    return m.group(1) * 3


def squash_repeats(text: str) -> str:
    """A letter repeated 3+ times is cut to three (digits are left alone: 13888888888)."""
    # Callables, not "\\1" templates: Python 3.11 re-parses a template on every call (~80 µs).
    return _REPEATS.sub(_three, text)


def repeat_variants(text: str) -> tuple[str, ...]:
    """The two readings of a squashed run: ``youuu`` → (``you``, ``youu``); () when there is none."""
    if not _TRIPLES.search(text):
        return ()
    return _TRIPLES.sub(_one, text), _TRIPLES.sub(_two, text)


def squeeze(text: str) -> str:
    """Every run of a repeated letter cut to one (the lexicon's second view of repeats)."""
    return _RUNS.sub(_one, text)


# --- 6. leetspeak -----------------------------------------------------------------------------

_LEET_DIGITS = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"}
_LEET_SYMBOLS = {"$": "s", "@": "a", "!": "i"}
_LEET_CHARS = frozenset(_LEET_DIGITS) | frozenset(_LEET_SYMBOLS)
_TOKEN = re.compile(r"\S+")


_LONG_NUMBER = re.compile(r"\d{5}")


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _unleet_token(match: re.Match[str]) -> str:
    token = match.group()
    if not any(ch in _LEET_CHARS for ch in token):
        return token
    if not any(map(_latin, token)) or _LONG_NUMBER.search(token):
        return token  # a number, a price, a phone number or an id with a prefix: not leet
    out: list[str] = []
    last = len(token) - 1
    for i, ch in enumerate(token):
        after = token[i + 1] if i < last else ""
        before = token[i - 1] if i else ""
        if has_cjk(before) or has_cjk(after):
            # Leetspeak disguises Latin words. Next to a Chinese character a digit is a number
            # ("3点到", "1楼") and "!" is punctuation ("约拍！广州"): turned into letters they would
            # split the Chinese run, and a two-character run's initials can be a listed
            # abbreviation ("上班" → sb).
            out.append(ch)
        elif ch in _LEET_DIGITS:
            out.append(_LEET_DIGITS[ch])
        elif ch in _LEET_SYMBOLS:
            prev = out[-1] if out else ""
            # Inside or at the start of a word ("sh!t", "$hit", "@ss"), or "$"/"@" closing one
            # ("a$$"); a closing "!" is punctuation ("die!").
            # "@" opens a mention ("@alice"), so it is a letter only after one ("b@d").
            inner = (after.isalnum() or after in _LEET_SYMBOLS) and (ch != "@" or prev.isalpha())
            closing = ch != "!" and prev.isalpha()
            out.append(_LEET_SYMBOLS[ch] if inner or closing else ch)
        else:
            out.append(ch)
    return "".join(out)


def unleet(text: str) -> str:
    """Character-level leetspeak → letters, only in tokens with letters and few digits."""
    if not any(ch in _LEET_CHARS for ch in text):
        return text
    return _TOKEN.sub(_unleet_token, text)


# --- 7. inserted separators, split characters -------------------------------------------------

_L = r"[^\W\d_]"
# Clause punctuation (, ; : ?) is left alone: "loser,stupid" is two words typed without a space.
_INNER_SEPARATORS = re.compile(rf"(?<={_L})(?:[^\w\s,;:?]|_)+(?={_L})")
_CJK_GAPS = re.compile(rf"(?<=[{_CJK_CLASS}])[\W_]+(?=[{_CJK_CLASS}])")
_CHAIN = re.compile(rf"(?<!\w){_L}(?:[\W_]+{_L}(?!\w)){{2,}}")
_CHAIN_SEPARATORS = re.compile(r"[\W_]+")

# Split characters (a character written as its two components side by side) that are used to
# hide a word. Only pairs that are not themselves common words are listed: 女子 (woman) is not
# recomposed into 好, 口口 is not 回.
SPLIT_CHARACTERS = {
    "弓虽": "强", "女干": "奸", "扌喿": "操", "身寸": "射", "石更": "硬", "歹匕": "死", "衤果": "裸",
    "力口": "加", "女表": "婊", "亻尔": "你", "女马": "妈", "口勿": "吻", "米青": "精",
    "木仓": "枪", "火包": "炮",
}
# Emoji written in place of a Chinese character (``我要🔪了你``, ``去💀吧``): next to a CJK
# character they are read as that character instead of being dropped like other emoji. Only
# emoji with one reading that matters are listed: 🔥 is 火 ("popular") as often as 烧 (burn),
# 🐔 and 🐷 are food far more often than insults.
EMOJI_CHARACTERS = {"🔪": "刀", "🗡": "刀", "💀": "死", "☠": "死", "🔫": "枪", "💣": "炸"}
_EMOJI_CHARACTER = re.compile(
    rf"(?<=[{_CJK_CLASS}])(?:{'|'.join(EMOJI_CHARACTERS)})|(?:{'|'.join(EMOJI_CHARACTERS)})(?=[{_CJK_CLASS}])"
)
# Emoji and other pictographs stuck to one end of a Latin word ("on 📱telegram📱 for"): the word
# is the same word without them. (Between two letters they are removed as separators.)
# (Whole BMP blocks here — arrows, technical, enclosed alphanumerics, shapes to dingbats, misc
# symbols and arrows — wider than redbridge.text.emoji's BMP list; the supplementary blocks shared.)
_PICTOGRAPH = "←-⇿⌀-⏿①-⓿■-➿⬀-⯿" + emoji.PICTOGRAPH_SUPPLEMENTARY
_EDGE_PICTOGRAPHS = re.compile(rf"(?<=[a-z])[{_PICTOGRAPH}]+(?![a-z])|(?<![a-z])[{_PICTOGRAPH}]+(?=[a-z])")
# Both patterns above start with a look-behind, which re tries at every position: they run only on
# text that has a pictograph at all (a character-class search, which re skips through quickly).
_ANY_PICTOGRAPH = re.compile(f"[{_PICTOGRAPH}]")
# Separators of up to three characters: "5 5 5 - 0 1 9 9" is one number read out.
_DIGIT_CHAIN = re.compile(r"(?<!\d)\d(?:[\W_]{1,3}\d(?!\d)){5,}")
_CN_NUMERALS = {**dict(zip("零〇一二三四五六七八九", "00123456789", strict=True)), "幺": "1", "两": "2",
                **dict(zip("壹贰叁肆伍陆柒捌玖", "123456789", strict=True))}
_CJK_LATIN_GAPS = re.compile(rf"(?<=[{_CJK_CLASS}])\s+(?=[a-z0-9])|(?<=[a-z0-9])\s+(?=[{_CJK_CLASS}])")
_NUMBER_WORD_DIGITS = {w: str(i) for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])} | {"oh": "0"}
_NUMBER_WORD = re.compile(r"\b(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b")
_NUMBER_WORDS = re.compile(r"\b(?:(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)[\s,.-]{1,3}){6,}"
                           r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b")
_CN_NUMERAL_RUN = re.compile(f"[{''.join(_CN_NUMERALS)}]{{7,}}")
_SPLIT = re.compile("|".join(k for k in SPLIT_CHARACTERS if has_cjk(k)))


def join_split(text: str) -> str:
    """Undo separators inserted between letters / CJK characters and split characters."""
    if text.isascii():
        if not any(not ch.isalnum() for ch in text):
            return text
    else:
        if _ANY_PICTOGRAPH.search(text):
            text = _EMOJI_CHARACTER.sub(lambda m: EMOJI_CHARACTERS[m.group()], text)
            text = _EDGE_PICTOGRAPHS.sub("", text)
        text = _CJK_GAPS.sub("", text)
        text = _SPLIT.sub(lambda m: SPLIT_CHARACTERS[m.group()], text)
        text = _CN_NUMERAL_RUN.sub(lambda m: "".join(_CN_NUMERALS[c] for c in m.group()), text)
        text = _CJK_LATIN_GAPS.sub("", text)
    text = _INNER_SEPARATORS.sub("", text)
    if _NUMBER_WORD.search(text):
        text = _NUMBER_WORDS.sub(lambda m: "".join(_NUMBER_WORD_DIGITS[w] for w in _NUMBER_WORD.findall(m.group())), text)
    text = _DIGIT_CHAIN.sub(lambda m: _CHAIN_SEPARATORS.sub("", m.group()), text)
    return _CHAIN.sub(lambda m: _CHAIN_SEPARATORS.sub("", m.group()), text)


def chains(text: str) -> list[str]:
    """The letter chains of ``text`` (``a s t u p i d`` → ``astupid``), for matching inside them."""
    if not _CHAIN.search(text):
        return []
    return [_CHAIN_SEPARATORS.sub("", m.group()) for m in _CHAIN.finditer(unleet(text))]


# --- pinyin -----------------------------------------------------------------------------------

_PINYIN_TOKEN = re.compile(rf"[{_CJK_CLASS}]|[a-z]+")
_PINYIN_RUN = re.compile(rf"[{_CJK_CLASS}]+|[a-z]+")


@functools.lru_cache(maxsize=65536)
def _syllable(char: str) -> str:
    from pypinyin import Style, lazy_pinyin

    reading = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return reading[0] if reading else ""


def pinyin_of(text: str) -> str:
    """Toneless pinyin of the CJK characters, Latin words kept; '' without CJK characters."""
    if not has_cjk(text):
        return ""
    words = (_syllable(tok) if _CJK.match(tok) else tok for tok in _PINYIN_TOKEN.findall(text))
    return " ".join(w for w in words if w)


def initials_of(text: str) -> str:
    """Pinyin initials, one word per run of CJK characters (``草泥马`` → ``cnm``)."""
    if not has_cjk(text):
        return ""
    out: list[str] = []
    for run in _PINYIN_RUN.findall(text):
        if _CJK.match(run):
            word = "".join(s[0] for s in map(_syllable, run) if s)
            if word:
                out.append(word)
        else:
            out.append(run)
    return " ".join(out)


# --- the whole pipeline -----------------------------------------------------------------------


def fold(text: str) -> str:
    """Steps 1–5: the ``folded`` form."""
    text = strip_invisible(text)
    text = fold_width_case(text)
    text = fold_confusables(text)
    text = to_simplified(text)
    return squash_repeats(text)


def normalize(text: str) -> Normalized:
    """All forms of ``text``. Never raises on any ``str``; ``normalize(n.folded).folded == n.folded``."""
    folded = fold(text)
    compact = join_split(unleet(folded))
    return Normalized(
        original=text, folded=folded, compact=compact, pinyin=pinyin_of(compact), initials=initials_of(compact)
    )
