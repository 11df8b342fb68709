"""Reads for notes: visibility, sharing and tag suggestions. The full note shape with the
viewer's flags (``NoteOut``) is composed on the read side, in ``reads.notes``."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from redbridge.accounts.models import User
from redbridge.accounts.queries import is_blocked_either_way
from redbridge.core import ids
from redbridge.core.errors import not_found
from redbridge.media.models import Media
from redbridge.media.schemas import media_url
from redbridge.notes.models import PUBLISHED, Note, NoteTag, NoteView
from redbridge.notes.schemas import Cover, ShareOut


def get_visible(session: Session, note_id: int, viewer_id: int | None, *, lock: bool = False) -> tuple[Note, User]:
    """The note and its author as ``viewer_id`` (None: anonymous) may see them; 404 when the note
    does not exist, its author is deactivated, either of the two has blocked the other, or the note
    is not published (held for review, removed) and the viewer is neither its author nor a
    moderator (or admin).

    The one visibility rule of a note: every note-, comment- and collect-scoped read and write
    (the note page, its comments and replies, likes, collects, comments) answers through it, so a
    note hidden from someone is hidden in every way they could reach it. ``lock``: in a write
    transaction, also lock the note row (``FOR NO KEY UPDATE``: the lock order of the notes and
    engagement actions, and the note cannot be deleted under the write)."""
    query = select(Note, User).join(User, User.id == Note.author_id).where(Note.id == note_id)
    if lock:
        query = query.with_for_update(key_share=True, of=Note).execution_options(populate_existing=True)
    row = session.execute(query).first()
    if row is None:
        raise not_found("note")
    note, author = row
    if not author.is_active:
        raise not_found("note")
    if viewer_id is not None and viewer_id != author.id and is_blocked_either_way(session, viewer_id, author.id):
        raise not_found("note")
    if note.status != PUBLISHED and viewer_id != author.id and not is_moderator(session, viewer_id):
        raise not_found("note")
    return note, author


def is_moderator(session: Session, user_id: int | None) -> bool:
    """Whether the account may see held and removed content (moderators and admins). Asked only
    about content that is not published, so the common path reads no role."""
    if user_id is None:
        return False
    user = session.get(User, user_id)  # usually already loaded in the request's session: no query
    return user is not None and user.is_active and user.is_moderator


def cover_of(media: Media) -> Cover:
    if media.kind == "video":
        return Cover(url=media_url(media.thumb_key or media.poster_key) or "", width=media.thumb_width or media.width,
                     height=media.thumb_height or media.height, is_video=True)
    return Cover(url=media_url(media.thumb_key or media.key) or "", width=media.thumb_width or media.width,
                 height=media.thumb_height or media.height)


def share_url(base_url: str, note_id: int) -> str:
    return f"{base_url.rstrip('/')}/n/{ids.encode(note_id)}"


def share(note: Note, base_url: str) -> ShareOut:
    return ShareOut(url=share_url(base_url, note.id), title=note.title, text=f"{note.title} — Redbridge")


# How far back tag suggestions look: the newest tag rows only, so the query stays an index range
# scan (``note_tags`` is keyed by note id, and ids grow with time) however large the site gets.
SUGGESTION_WINDOW = 2000


def suggested_tags(session: Session, author_id: int, limit: int = 20) -> list[str]:
    """Tags to suggest in the composer: the author's own most used ones first, then the most used
    on the newest notes site-wide (both counted over the newest tag rows only)."""
    def most_used(*where: ColumnElement[bool]) -> list[str]:
        recent = (select(NoteTag.tag).join(Note, Note.id == NoteTag.note_id).where(*where)
                  .order_by(NoteTag.note_id.desc()).limit(SUGGESTION_WINDOW).subquery())
        uses = func.count()
        return list(session.scalars(
            select(recent.c.tag).group_by(recent.c.tag).order_by(uses.desc(), recent.c.tag).limit(limit)
        ))

    own = most_used(Note.author_id == author_id)
    return list(dict.fromkeys([*own, *most_used()]))[:limit]


def recently_viewed(session: Session, user_id: int, limit: int) -> set[int]:
    """The notes the reader opened most recently, ``limit`` at most (``NoteView``)."""
    return set(session.scalars(select(NoteView.note_id).where(NoteView.user_id == user_id)
                               .order_by(NoteView.viewed_at.desc()).limit(limit)))
