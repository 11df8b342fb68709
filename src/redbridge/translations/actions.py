"""Writes of the translation feature. The store: storing what an engine produced and dropping an
item's old rows, called from jobs (never from a request: the request path only reads). Community
translations: readers' own translations, their votes, and moderators' decisions on them. Each owns
its transaction (``core.db.write``) but ``moderate_in_tx``, which runs in the moderator's.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, select
from sqlalchemy.orm import Session

from redbridge.accounts import standing
from redbridge.accounts.models import User
from redbridge.core import events, ids
from redbridge.core.db import dialect_insert, insert_ignore, write
from redbridge.core.errors import AppError, forbidden, not_found
from redbridge.core.i18n import _
from redbridge.moderation import queue, screening
from redbridge.moderation.text import TextChecker
from redbridge.text.lang import detect_language
from redbridge.translation.cache import CachedTranslation, CacheKey
from redbridge.translations.models import CommunityTranslation, CommunityVote, StoredTranslation
from redbridge.translations.schemas import CommunityTranslationIn

if TYPE_CHECKING:  # not at run time: queries imports the store, which imports these writes
    from redbridge.translations.queries import Item

# The moderation subject kind of a community translation (queue items, decisions, reports).
TRANSLATION = "translation"
PUBLISHED, REMOVED = "published", "removed"


# Announced when the translations of a note's text change (a machine translation stored, a
# community translation written, voted on, moderated or deleted): search indexes a note's
# translations (docs/search.md, "Translations in the index").
NOTE_TRANSLATED = "note.translated"


def _note_translated(session: Session, note_id: int) -> None:
    events.publish(session, NOTE_TRANSLATED, {"note_id": note_id})


def store(session: Session, key: CacheKey, value: CachedTranslation, subject: str | None, now: datetime) -> None:
    """Insert the row for ``key``, or (a concurrent job, a second item with the same text) update
    its text and subject: the newest answer under a key wins, and the key never repeats."""
    values = {"source": key.source, "target": key.target, "engine": key.engine, "digest": key.digest,
              "text": value.text, "subject": subject, "created_at": now}
    insert = dialect_insert(session, StoredTranslation).values(**values)
    update = {"text": insert.excluded.text, "created_at": insert.excluded.created_at}
    if subject is not None:
        update["subject"] = insert.excluded.subject
    with write(session):
        session.execute(insert.on_conflict_do_update(
            index_elements=["source", "target", "engine", "digest"], set_=update))
        if subject is not None and subject.startswith("note:"):
            _note_translated(session, int(subject.removeprefix("note:")))


def forget_subject(session: Session, subject: str, keep: Collection[str] = ()) -> list[CacheKey]:
    """Delete the rows of ``subject`` whose text hash is not in ``keep`` (the item's current
    texts); the keys that went, for the caller to drop from the shared cache too."""
    where = [StoredTranslation.subject == subject]
    if keep:
        where.append(StoredTranslation.digest.not_in(list(keep)))
    with write(session):
        rows = session.execute(select(StoredTranslation.id, StoredTranslation.source, StoredTranslation.target,
                                      StoredTranslation.engine, StoredTranslation.digest).where(*where)).all()
        if rows:
            session.execute(delete(StoredTranslation).where(StoredTranslation.id.in_([row.id for row in rows])))
    return [CacheKey(row.source, row.target, row.engine, row.digest) for row in rows]


# ------------------------------------------------------------------------ community translations

# Which detected languages a translation into each target may be (``text.lang.detect_language``):
# the target's own, or mixed (names and dish names often stay in the original).
_TARGET_LANGS = {"en": ("en", "mixed"), "zh-Hans": ("zh", "mixed"), "zh-Hant": ("zh", "mixed")}
# A Chinese original and a Chinese target are one language (script conversion is the machine's
# ``converted`` answer, not a translation to write by hand).
_SOURCE_OF_TARGET = {"en": "en", "zh-Hans": "zh", "zh-Hant": "zh"}


def _refuse(code: str, message: str, field: str) -> AppError:
    return AppError(f"translation.{code}", message, 422, fields={field: code})


def _check_text(item: Item, data: CommunityTranslationIn) -> None:
    """422 unless the text is a translation of ``item`` into ``data.to`` by its look: the item is
    not already in that language, the text is, it is not the original copied, and a title goes
    with a note's title only."""
    if item.title is None and data.title is not None:
        raise _refuse("title_unsupported", _("A comment has no title to translate."), "title")
    source = detect_language("\n".join(item.texts()))
    if source == _SOURCE_OF_TARGET[data.to]:
        raise _refuse("same_language", _("This is already written in that language."), "to")
    written = detect_language("\n".join(t for t in (data.title, data.body) if t))
    if written not in _TARGET_LANGS[data.to]:
        raise _refuse("wrong_language", _("The translation is not in the language you chose."), "body")
    if data.body.strip() == item.body.strip() and (data.title or "") == (item.title or ""):
        raise _refuse("copy", _("This is the original text, not a translation."), "body")


def submit_community(session: Session, now: datetime, author_id: int, item: Item, data: CommunityTranslationIn, *,
                     checker: TextChecker) -> CommunityTranslation:
    """A reader's translation of ``item`` (visible to them: the caller read it so) into
    ``data.to``; submitting again replaces their earlier one (its votes were for the old words, so
    they go). Screened like a comment before the write: a reject is 422 ``moderation.rejected``, a
    hold keeps it for its author and the moderators (a queue item of kind ``translation``). The
    spam signals do not run: honest translations of one text resemble each other across accounts,
    which is exactly what the near-copy signal holds."""
    standing.check_can_post(session, author_id, now)
    _check_text(item, data)
    screened = screening.screen(checker, data.title, data.body)
    with write(session):
        created = insert_ignore(session, CommunityTranslation, {
            "id": ids.new_id(now), "subject_kind": item.kind, "subject_id": item.id, "note_id": item.note_id,
            "target": data.to,
            "source_digest": item.digest(), "author_id": author_id, "title": data.title, "body": data.body,
            "status": screened.status, "score": 0, "votes": 0, "created_at": now, "updated_at": now,
        })
        row = session.scalar(select(CommunityTranslation).where(
            CommunityTranslation.subject_kind == item.kind, CommunityTranslation.subject_id == item.id,
            CommunityTranslation.target == data.to, CommunityTranslation.author_id == author_id,
        ).with_for_update().execution_options(populate_existing=True))
        assert row is not None  # inserted above, or the author's earlier one that made it a no-op
        if not created:
            _replace(session, now, row, item, data, screened)
        screening.record(session, now, screened, TRANSLATION, row.id, author_id)
        if row.subject_kind == "note":
            _note_translated(session, row.note_id)
    return row


def _replace(session: Session, now: datetime, row: CommunityTranslation, item: Item, data: CommunityTranslationIn,
             screened: screening.Screening) -> None:
    was_held = row.status == screening.HELD
    # A moderator's removal stays until a moderator says otherwise (new words do not undo it, else
    # removing a translation would only ask for it to be sent again), and so does a hold that was
    # not the pipeline's; the pipeline's own hold lifts when the new words pass.
    decided = row.status == REMOVED or (was_held and not screening.held_by_pipeline(session, TRANSLATION, row.id))
    if not decided:
        row.status = screened.status
    row.title, row.body, row.source_digest, row.updated_at = data.title, data.body, item.digest(), now
    row.score, row.votes = 0, 0
    session.execute(delete(CommunityVote).where(CommunityVote.translation_id == row.id))
    if was_held and row.status == PUBLISHED:
        queue.hold_lifted(session, now, TRANSLATION, row.id)


def delete_community(session: Session, viewer: User, translation_id: int) -> None:
    """Its author, a moderator or an admin deletes a community translation (votes go with it);
    anyone else: 403 for one they can see, 404 for one they cannot (the caller checked)."""
    with write(session):
        row = session.scalar(select(CommunityTranslation).where(CommunityTranslation.id == translation_id)
                             .with_for_update())
        if row is None:
            raise not_found("translation")
        if row.author_id != viewer.id and viewer.role not in ("moderator", "admin"):
            raise forbidden()
        session.delete(row)
        if row.subject_kind == "note":
            _note_translated(session, row.note_id)


def vote(session: Session, now: datetime, voter_id: int, translation_id: int, value: int) -> CommunityTranslation:
    """Set the reader's vote on a published translation (+1, -1, 0 to take it back). The row is
    locked first, so concurrent votes keep ``score`` and ``votes`` exact. Voting on your own: 422."""
    with write(session):
        row = session.scalar(select(CommunityTranslation).where(CommunityTranslation.id == translation_id)
                             .with_for_update().execution_options(populate_existing=True))
        if row is None or row.status != PUBLISHED:
            raise not_found("translation")
        if row.author_id == voter_id:
            raise _refuse("own_vote", _("You cannot vote on your own translation."), "value")
        old = session.scalar(select(CommunityVote).where(CommunityVote.translation_id == row.id,
                                                         CommunityVote.user_id == voter_id))
        before = old.value if old is not None else 0
        if value == before:
            return row
        if old is not None and value == 0:
            session.delete(old)
        elif old is not None:
            old.value = value
        else:
            session.add(CommunityVote(translation_id=row.id, user_id=voter_id, value=value, created_at=now))
        row.score += value - before
        row.votes += (value != 0) - (before != 0)
        if row.subject_kind == "note":  # the best-scored one is the one indexed
            _note_translated(session, row.note_id)
    return row


def moderate_in_tx(session: Session, translation_id: int, status: str) -> CommunityTranslation | None:
    """A moderator's decision on a community translation, in the caller's write transaction
    (``safety.actions``): lock it and set ``status`` (published | removed). None: it is gone."""
    row = session.scalar(select(CommunityTranslation).where(CommunityTranslation.id == translation_id)
                         .with_for_update().execution_options(populate_existing=True))
    if row is not None:
        row.status = status
        if row.subject_kind == "note":
            _note_translated(session, row.note_id)
    return row


def forget_community(session: Session, kind: str, subject_id: int) -> None:
    """Delete the community translations of a deleted note (its comments' too) or comment, with
    their votes. Translations that an edit made stale stay: their authors may update them."""
    where = (CommunityTranslation.note_id == subject_id if kind == "note" else
             and_(CommunityTranslation.subject_kind == kind, CommunityTranslation.subject_id == subject_id))
    with write(session):
        session.execute(delete(CommunityTranslation).where(where))
