"""Reads of the translation feature: the item to translate (as its reader may see it), and the
answer from the store — never from an engine (engines run in ``tasks``)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal, cast, get_args

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select, true
from sqlalchemy.orm import Session

from redbridge.accounts.models import User
from redbridge.accounts.queries import briefs, hidden_author_ids
from redbridge.core import ids
from redbridge.core.errors import AppError, not_found
from redbridge.core.i18n import _, gettext
from redbridge.engagement.models import Comment
from redbridge.engagement.queries import comment_note_id
from redbridge.notes.models import Note
from redbridge.notes.queries import get_visible
from redbridge.translation import Translation, TranslationRequest
from redbridge.translation.cache import cache_key
from redbridge.translation.engine import TargetLang
from redbridge.translation.glossary import LICENCE, Entry, default_glossary
from redbridge.translations.models import CommunityTranslation, CommunityVote, StoredTranslation
from redbridge.translations.schemas import (
    CommunityRef,
    CommunityStatus,
    CommunityTranslationOut,
    GlossEntryOut,
    GlossOut,
    Target,
    TranslationOut,
)
from redbridge.translations.store import subject_of
from redbridge.translations.wiring import runtime

if TYPE_CHECKING:
    from redbridge.core.services import Services

Kind = Literal["note", "comment"]
PUBLISHED: Final = "published"
# The answers that carry the text in the reader's language (what "always translate" shows first).
READABLE: Final = frozenset({"community", "translated", "unchanged", "converted"})
_TARGETS: Final = frozenset(get_args(Target))


def reader_target(locale: str) -> Target:
    """The target a reader with UI language ``locale`` translates into (English for anything else)."""
    return cast(Target, locale) if locale in _TARGETS else "en"


def needs_translation(lang: str, target: str) -> bool:
    """Whether text detected as ``lang`` is not in ``target``'s language: the other one of
    en / zh, or mixed. Unknown languages are not offered (no engine would know them either). The
    pages' translate control and "always translate" both ask this, so they never disagree."""
    return lang == "mixed" or (lang in ("en", "zh") and lang != ("en" if target == "en" else "zh"))

# How many words a no_engine answer glosses (a note of 1,000 words gets its first ones), and how
# many entries each English word shows.
MAX_GLOSSES: Final = 40
MAX_ENGLISH_ENTRIES: Final = 3
# Which answer speaks for a note whose title and body came out differently (the first one found).
_PRECEDENCE: Final = ("failed", "too_long", "no_engine", "unsupported", "translated", "converted", "unchanged")
_ENGLISH_WORD_RE: Final = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")


@dataclass(frozen=True, slots=True)
class Item:
    """A note's title and body (with its place, protected), or a comment's body."""

    kind: Kind
    id: int
    body: str
    title: str | None = None
    places: tuple[str, ...] = ()
    note_id: int = 0  # the note's own id, or a comment's note

    @property
    def subject(self) -> str:
        return subject_of(self.kind, self.id)

    def texts(self) -> list[str]:
        return [self.title, self.body] if self.title is not None else [self.body]

    def requests(self, target: TargetLang) -> list[TranslationRequest]:
        return [TranslationRequest(text, target, self.places) for text in self.texts()]

    def digest(self) -> str:
        """Of everything translated: an edit changes it, so a job or failure of the old text never
        speaks for the new one."""
        material = "\x00".join([*self.texts(), *self.places])
        return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def comment_item(comment_id: int, body: str) -> Item:
    """A comment already read as its reader may see it (a page of comments), without reading it again."""
    return Item("comment", comment_id, body)


def _note_item(note: Note) -> Item:
    return Item("note", note.id, note.body, note.title, (note.place_name,) if note.place_name else (), note.id)


def note_translations(session: Session, notes: Sequence[Note]) -> dict[int, list[str]]:
    """What each note says in other words, for search to index (docs/search.md, "Translations in
    the index"): the machine translations stored for its texts as they are now (an edit's old ones
    are ignored even before the forget job drops them), and per target language its best-scored
    published community translation of the current text."""
    found: dict[int, list[str]] = {}
    if not notes:
        return found
    items = {note.id: _note_item(note) for note in notes}
    subjects = {subject_of("note", note_id): note_id for note_id in items}
    current = {note_id: {cache_key("", "", "", text, item.places).digest for text in item.texts()}
               for note_id, item in items.items()}
    rows = session.execute(select(StoredTranslation.subject, StoredTranslation.digest, StoredTranslation.text)
                           .where(StoredTranslation.subject.in_(list(subjects)))
                           .order_by(StoredTranslation.id))
    for subject, digest, text in rows:
        note_id = subjects[str(subject)]
        if digest in current[note_id]:
            found.setdefault(note_id, []).append(text)
    best: dict[tuple[int, str], CommunityTranslation] = {}
    for row in session.scalars(select(CommunityTranslation).where(
            CommunityTranslation.subject_kind == "note", CommunityTranslation.subject_id.in_(list(items)),
            CommunityTranslation.status == "published").order_by(CommunityTranslation.id)):
        if row.source_digest != items[row.subject_id].digest():
            continue  # it translates text an edit replaced
        key = (row.subject_id, row.target)
        if key not in best or row.score > best[key].score:
            best[key] = row
    for (note_id, _target), row in sorted(best.items()):
        found.setdefault(note_id, []).extend(t for t in (row.title, row.body) if t)
    return found


def visible_item(session: Session, kind: Kind, item_id: int, viewer_id: int | None) -> Item:
    """The item as the viewer may read it: 404 exactly where reading it is (``notes.queries.get_visible``,
    ``engagement.queries.comment_note_id``)."""
    if kind == "note":
        note, _author = get_visible(session, item_id, viewer_id)
        return _note_item(note)
    note_id = comment_note_id(session, item_id, viewer_id)
    body = session.execute(select(Comment.body).where(Comment.id == item_id)).scalar_one_or_none()
    if body is None:
        raise not_found("comment")
    return Item("comment", item_id, body, note_id=note_id)


def load_item(session: Session, kind: Kind, item_id: int) -> Item | None:
    """The item as it is now, whoever may see it (for jobs; None when it is gone)."""
    if kind == "note":
        note = session.get(Note, item_id)
        return None if note is None else _note_item(note)
    row = session.execute(select(Comment.body, Comment.note_id).where(Comment.id == item_id)).first()
    return None if row is None else Item("comment", item_id, row.body, note_id=row.note_id)


def job_key(item: Item, target: str) -> str:
    """The in-flight marker of the job translating ``item`` into ``target``: one job per key."""
    return f"trjob:{item.subject}:{target}:{item.digest()}"


def failed_key(item: Item, target: str) -> str:
    return f"trfail:{item.subject}:{target}:{item.digest()}"


def _glosses(item: Item, source: str | None) -> list[GlossOut]:
    glossary = default_glossary()
    out: list[GlossOut] = []
    seen: set[str] = set()
    text = "\n".join(item.texts())
    if source == "zh":
        for gloss in glossary.gloss_chinese(text):
            if not gloss.entries or gloss.word in seen:
                continue
            seen.add(gloss.word)
            out.append(GlossOut(word=gloss.word, entries=[_entry(e) for e in gloss.entries]))
            if len(out) >= MAX_GLOSSES:
                break
        return out
    for match in _ENGLISH_WORD_RE.finditer(text):
        word = match.group(0).casefold()
        if word in seen:
            continue
        seen.add(word)
        entries = glossary.lookup_english(word)[:MAX_ENGLISH_ENTRIES]
        if entries:
            out.append(GlossOut(word=match.group(0), entries=[_entry(e) for e in entries]))
            if len(out) >= MAX_GLOSSES:
                break
    return out


def _entry(entry: Entry) -> GlossEntryOut:
    return GlossEntryOut(simplified=entry.simplified, traditional=entry.traditional, pinyin=entry.pinyin,
                         senses=list(entry.senses))


def compose(item: Item, target: TargetLang, results: list[Translation]) -> TranslationOut:
    """One answer for the item from its texts' results (a note: title, then body)."""
    status = next(s for s in _PRECEDENCE if any(r.status == s for r in results))
    lead = next(r for r in results if r.status == status)
    texts = [r.text if r.status in READABLE else None for r in results]
    ok = status in READABLE
    out = TranslationOut(
        status=status, source=next((r.source for r in results if r.source), None), target=target,
        engine=next((r.engine for r in results if r.status == "translated" and r.engine), None),
        cached=all(r.cached for r in results if r.status == "translated") and any(r.status == "translated" for r in results),
        title=texts[0] if ok and item.title is not None else None,
        body=(texts[-1] if ok else None),
        reasons=sorted({reason for r in results for reason in r.errors}) if status == "failed" else [],
    )
    if status == "no_engine":
        out.notice = gettext(_("No machine translation is configured on this site. Dictionary entries for its words are shown instead."))
        out.glosses = _glosses(item, lead.source)
        out.credit = LICENCE
    elif status == "failed":
        out.notice = gettext(_("The translation failed. Please try again later."))
    elif status == "too_long":
        out.notice = gettext(_("This text is too long to be translated."))
    elif status == "unsupported":
        out.notice = gettext(_("This language cannot be translated here."))
    return out


def answer(services: Services, item: Item, target: TargetLang) -> TranslationOut | None:
    """The answer from the store, or None when an engine is needed and nothing is stored (the
    caller enqueues the job). A failure the job recorded answers ``failed`` until it expires."""
    results = runtime(services).translator().lookup_many(item.requests(target))
    # A text over the limit makes the whole item too long: no job for the rest of it.
    if all(result is not None for result in results) or any(r is not None and r.status == "too_long" for r in results):
        return compose(item, target, [r for r in results if r is not None])
    marker = services.cache.get(failed_key(item, target))
    if marker is not None:
        reasons = [str(reason) for reason in json.loads(marker)]
        done = [r if r is not None else Translation("failed", None, target, errors=tuple(reasons)) for r in results]
        return compose(item, target, done)
    return None


# ------------------------------------------------------------------------ community translations

# How many community translations a list shows (the best first); more would be noise on a note.
COMMUNITY_LIST_MAX: Final = 20


def _community_where(item: Item, target: str) -> list[ColumnElement[bool]]:
    return [CommunityTranslation.subject_kind == item.kind, CommunityTranslation.subject_id == item.id,
            CommunityTranslation.target == target]


def _readable(session: Session, item: Item, viewer_id: int | None) -> ColumnElement[bool]:
    """Translations another reader may be shown: published, of the text as it is now, by an active
    author the reader has not blocked, muted or been blocked by."""
    hidden = hidden_author_ids(session, viewer_id)
    return and_(CommunityTranslation.status == PUBLISHED, CommunityTranslation.source_digest == item.digest(),
                CommunityTranslation.author_id.not_in(hidden) if hidden else true(),
                exists().where(User.id == CommunityTranslation.author_id, User.is_active.is_(True)))


def _shown_to(session: Session, item: Item, target: str, viewer_id: int | None) -> Select[CommunityTranslation]:
    """Others' translations the reader may be shown (:func:`_readable`); and the reader's own,
    whatever their state (held, removed, stale after an edit): the author is told where theirs stands."""
    others = _readable(session, item, viewer_id)
    mine = CommunityTranslation.author_id == viewer_id if viewer_id is not None else false()
    return (select(CommunityTranslation).where(*_community_where(item, target), or_(others, mine))
            .order_by(CommunityTranslation.score.desc(), CommunityTranslation.id))


def community_list(session: Session, item: Item, target: str, viewer_id: int | None) -> list[CommunityTranslationOut]:
    """The community translations of ``item`` into ``target`` the reader may see, best first."""
    rows = list(session.scalars(_shown_to(session, item, target, viewer_id).limit(COMMUNITY_LIST_MAX)))
    return _community_outs(session, rows, item, viewer_id)


def _community_outs(session: Session, rows: list[CommunityTranslation], item: Item | None,
                    viewer_id: int | None) -> list[CommunityTranslationOut]:
    authors = briefs(session, [row.author_id for row in rows])
    votes: dict[int, int] = {}
    if viewer_id is not None and rows:
        votes = {v.translation_id: v.value for v in session.scalars(select(CommunityVote).where(
            CommunityVote.user_id == viewer_id, CommunityVote.translation_id.in_([row.id for row in rows])))}
    digest = item.digest() if item is not None else None
    return [CommunityTranslationOut(
        id=ids.encode(row.id), subject=cast(Kind, row.subject_kind), subject_id=ids.encode(row.subject_id),
        target=cast(TargetLang, row.target), title=row.title, body=row.body, author=authors[row.author_id],
        status=cast(CommunityStatus, row.status), score=row.score, votes=row.votes, my_vote=votes.get(row.id, 0),
        current=digest is None or row.source_digest == digest, created_at=row.created_at, updated_at=row.updated_at,
    ) for row in rows if row.author_id in authors]


def community_out(session: Session, row: CommunityTranslation, viewer_id: int | None) -> CommunityTranslationOut:
    """One translation as its writer or a voter gets it back (``current`` against the item now)."""
    item = load_item(session, cast(Kind, row.subject_kind), row.subject_id)
    return _community_outs(session, [row], item, viewer_id)[0]


def community_answer(session: Session, item: Item, target: TargetLang, viewer_id: int | None) -> TranslationOut | None:
    """The readers' best translation as the answer (``status: "community"``, credited), or None
    when there is none worth showing first: not voted below zero, published, current. The reader's
    own translation is not their answer: they wrote it, and they asked for a translation."""
    query = (select(CommunityTranslation).where(
        *_community_where(item, target), _readable(session, item, viewer_id), CommunityTranslation.score >= 0)
        .order_by(CommunityTranslation.score.desc(), CommunityTranslation.id).limit(1))
    if viewer_id is not None:
        query = query.where(CommunityTranslation.author_id != viewer_id)
    best = session.scalar(query)
    if best is None:
        return None
    author = briefs(session, [best.author_id])[best.author_id]
    return TranslationOut(
        status="community", source=None, target=target, title=best.title, body=best.body,
        credit=f"@{author.username}",
        community=CommunityRef(id=ids.encode(best.id), author=author, score=best.score, votes=best.votes),
        community_count=community_count(session, item, target),
    )


def community_count(session: Session, item: Item, target: str) -> int:
    """Published, current community translations of ``item`` into ``target`` (for the control's link)."""
    return int(session.scalar(select(func.count()).select_from(CommunityTranslation).where(
        *_community_where(item, target), CommunityTranslation.status == PUBLISHED,
        CommunityTranslation.source_digest == item.digest())) or 0)


def community_row(session: Session, translation_id: int, viewer_id: int | None) -> tuple[CommunityTranslation, Item]:
    """A community translation and its item, as the reader may see them: 404 (``translation``)
    when the item is not visible to them (reading's rule), or the translation is not theirs and
    not published."""
    row = session.get(CommunityTranslation, translation_id)
    if row is None or (row.author_id != viewer_id and row.status != PUBLISHED):
        raise not_found("translation")
    try:
        item = visible_item(session, cast(Kind, row.subject_kind), row.subject_id, viewer_id)
    except AppError as error:
        raise not_found("translation") from error
    return row, item
