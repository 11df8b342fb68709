"""Writes for notes: create, edit, delete. Each function owns its transaction
(``with write(session):``, whose docstring has the lock order shared with engagement: the note
row first, then its media, then collections, then users). Titles, bodies and tags are cleaned
and checked before the transaction; the carousel and the author's rights are checked in it.

Events (published inside the transaction, delivered after commit):
* ``note.created`` {note_id, author_id} — mentions, feeds, search.
* ``note.updated`` {note_id}.
* ``note.deleted`` {note_id, author_id, media_keys} — ``media.delete_note_files`` removes the files.
* ``media.detached`` {media_ids} — media an edit took out of the carousel; ``media.purge_detached``
  deletes them.

Moderation: the text of a note (title, body, place name, tags: one check) is screened before the
transaction (``moderation.screening``). A rejected note is never written (422); a held one is
written ``held`` — visible to its author and moderators only — with its decision row, and
announces nothing: ``note.created`` (mentions, fan-out) and the "visible" announcement wait until
it is published. An edit is screened the same way; a hold hides a published note
(``note_visibility_changed``, not visible) and an edit that passes lifts the pipeline's own hold.
A moderator's decision (``safety.actions.decide``) runs :func:`moderate_in_tx` in its transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from redbridge.accounts import standing, trust
from redbridge.accounts.models import User
from redbridge.core import events, ids
from redbridge.core.cascade import Step
from redbridge.core.changes import note_changed, note_visibility_changed
from redbridge.core.db import dialect_insert, write
from redbridge.core.errors import AppError, forbidden, not_found
from redbridge.core.i18n import _
from redbridge.core.services import Services
from redbridge.media import actions as media_actions
from redbridge.media.models import Media
from redbridge.moderation import images as moderation_images
from redbridge.moderation import queue as moderation_queue
from redbridge.moderation import screening
from redbridge.moderation.screening import Screening
from redbridge.moderation.text import TextChecker
from redbridge.notes.models import HELD, PUBLISHED, REMOVED, Note, NoteTag, NoteView
from redbridge.notes.ranking import hot_score
from redbridge.notes.schemas import NoteCreate, NoteUpdate, Place
from redbridge.text.lang import detect_language
from redbridge.text.markup import MAX_TAGS, extract_tags, normalize_tag
from redbridge.text.topics import infer_topic

MAX_IMAGES = 18
# C0 controls (but tab, newline, carriage return) and DEL: invisible in a note, and PostgreSQL
# text cannot hold NUL at all.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Reasons a carousel is refused: the reason is the field code, the message says what to do.
# Someone else's upload reads exactly like an unknown id, so ids cannot be probed.
_CAROUSEL_MESSAGES: dict[str, str] = {
    "not_found": _("A photo or video in this note could not be found. Please upload it again."),
    "duplicate": _("The same photo or video is in this note twice."),
    "attached": _("A photo or video in this note already belongs to another note."),
    "failed": _("A video in this note could not be processed. Please upload it again."),
    "mixed": _("A note can have photos or one video, not both."),
    "too_many_videos": _("A note can have only one video."),
    "too_many": _("A note can have at most 18 photos."),
    "kind_change": _("A note with photos cannot switch to a video, or the other way round."),
}

# Run inside delete_note's transaction, before the row goes: what other features keep about the
# note beyond what ON DELETE CASCADE removes (``core.cascade``).
NOTE_DELETING = Step[int]("note_deleting")


def _carousel_error(reason: str) -> AppError:
    return AppError("note.media_invalid", _CAROUSEL_MESSAGES[reason], 422, fields={"media_ids": reason})


def _clean_body(body: str) -> str:
    return _CONTROLS.sub("", body).replace("\r\n", "\n").strip()


def _clean_title(title: str) -> str:
    # A title is one line: newlines and runs of spaces collapse, and blank is no title.
    cleaned = " ".join(_CONTROLS.sub("", title).split())
    if not cleaned:
        raise AppError("note.title_required", _("The title cannot be empty."), 422, fields={"title": "blank"})
    return cleaned


def _explicit_tags(tags: Sequence[str]) -> list[str]:
    """Tags typed in the tag field, normalised exactly like #tags found in the body."""
    result: list[str] = []
    for tag in tags:
        norm = normalize_tag(tag)
        if norm is None:
            raise AppError("note.tag_invalid", _("A tag needs at least one letter."), 422, fields={"tags": "invalid"})
        if norm not in result:
            result.append(norm)
    return result


def _merge_tags(explicit: Sequence[str], body: str) -> list[str]:
    # Explicit tags first; body tags beyond the cap are dropped rather than refused, since the
    # author wrote them as prose, not as a list to fit into a limit.
    return list(dict.fromkeys([*explicit, *extract_tags(body)]))[:MAX_TAGS]


def _lang(title: str, body: str) -> str:
    return detect_language(f"{title}\n{body}")


def _carousel(session: Session, author_id: int, note_id: int, raw_ids: Sequence[str]) -> tuple[str, list[Media]]:
    """Validate and lock a carousel for ``note_id``: the note's kind and its media in order.

    Each media must be the author's, not failed, and attached to no note or to this one.
    0 media makes a text note, 1–18 images an image note, exactly one video a video note.
    """
    parsed: list[int] = []
    for raw in raw_ids:
        media_id = ids.decode(raw)
        if media_id is None:
            raise _carousel_error("not_found")
        parsed.append(media_id)
    if len(set(parsed)) != len(parsed):
        raise _carousel_error("duplicate")
    rows = media_actions.lock_for_note(session, parsed)
    ordered: list[Media] = []
    for media_id in parsed:
        media = rows.get(media_id)
        if media is None or media.owner_id != author_id:
            raise _carousel_error("not_found")
        if media.note_id is not None and media.note_id != note_id:
            raise _carousel_error("attached")
        if media.status == "failed":
            raise _carousel_error("failed")
        ordered.append(media)
    kinds = {m.kind for m in ordered}
    if not ordered:
        return "text", ordered
    if "video" in kinds:
        if len(kinds) > 1:
            raise _carousel_error("mixed")
        if len(ordered) > 1:
            raise _carousel_error("too_many_videos")
        return "video", ordered
    if len(ordered) > MAX_IMAGES:
        raise _carousel_error("too_many")
    return "image", ordered


def _set_place(note: Note, place: Place | None) -> None:
    name = " ".join(_CONTROLS.sub("", place.name).split()) if place else ""
    note.place_name = name or None
    note.place_lat = place.lat if place and name else None
    note.place_lng = place.lng if place and name else None


def _bump_note_count(session: Session, user_id: int, delta: int) -> None:
    session.execute(update(User).where(User.id == user_id).values(note_count=User.note_count + delta))


def count_new_note(services: Services, author_id: int, ip: str) -> None:
    """Spend one note from the author's and the address's budgets (429 once either is used up);
    the API and the composer page share them."""
    limits = services.settings.rate_limits
    services.limiter.hit("note-account", ids.encode(author_id), limits.note_per_account)
    services.limiter.hit("note-ip", ip, limits.note_per_ip)


def _screen(checker: TextChecker, title: str, body: str, place: str | None, tags: Sequence[str],
            writer: screening.Writer | None = None) -> Screening:
    """The note's text as one check (422 ``moderation.rejected`` for a reject), with the spam
    signals when ``writer`` is given."""
    return screening.screen(checker, title, body, place, " ".join(f"#{tag}" for tag in tags), writer=writer)


def _writer(session: Session, now: datetime, author_id: int, note_id: int | None = None) -> screening.Writer:
    """The spam signals' view of this write (a new account's links wait for review)."""
    return screening.Writer(session, now, author_id, "note", note_id,
                            hold_links=trust.hold_links(session, author_id, now))


def create_note(session: Session, now: datetime, author_id: int, data: NoteCreate, *, checker: TextChecker) -> Note:
    """Create a note and attach its uploads; publishes ``note.created`` — unless the pipeline held
    it (``status`` held, a decision row, no event and no announcement until it is published)."""
    standing.check_can_post(session, author_id, now)  # a muted author: 403 before any work
    title = _clean_title(data.title)
    body = _clean_body(data.body)
    tags = _merge_tags(_explicit_tags(data.tags), body)
    lang = _lang(title, body)
    topic = data.topic or infer_topic(title, body, tags)
    screened = _screen(checker, title, body, data.place.name if data.place else None, tags,
                       _writer(session, now, author_id))
    note_id = ids.new_id(now)
    with write(session):
        kind, media = _carousel(session, author_id, note_id, data.media_ids)
        screened = moderation_images.with_images(session, screened, media)  # the pictures' verdict too
        note = Note(
            id=note_id, author_id=author_id, kind=kind, title=title, body=body, lang=lang, topic=topic,
            cover_media_id=media[0].id if media else None, like_count=0, collect_count=0, comment_count=0,
            hot=hot_score(0, 0, 0, now), status=screened.status, label=screened.label, created_at=now, updated_at=now,
        )
        _set_place(note, data.place)
        session.add(note)
        # No ORM relationship orders these inserts: the note row must exist before media point at it.
        session.flush()
        media_actions.attach(note_id, media)
        session.add_all(NoteTag(note_id=note_id, tag=tag) for tag in tags)
        screening.record(session, now, screened, "note", note_id, author_id)
        if note.status == PUBLISHED:  # the profile's note count is what others can open
            _bump_note_count(session, author_id, 1)
            events.publish(session, "note.created", {"note_id": note_id, "author_id": author_id})
            note_visibility_changed(session, note_id, author_id, visible=True)
    return note


def _lock_note(session: Session, note_id: int, user: User, *, admin_ok: bool) -> Note:
    note = session.scalar(
        select(Note).where(Note.id == note_id).with_for_update().execution_options(populate_existing=True)
    )
    if note is None:
        raise not_found("note")
    if note.author_id != user.id and not (admin_ok and user.is_admin):
        raise forbidden()
    return note


def _retag(session: Session, note: Note, old_body: str, explicit: list[str] | None) -> None:
    """Recompute tags after an edit. Tags are stored merged; the explicit ones are what the
    stored set holds beyond the old body's #tags, so deleting a #tag from the body drops it."""
    current = set(session.scalars(select(NoteTag.tag).where(NoteTag.note_id == note.id)))
    if explicit is None:
        from_body = set(extract_tags(old_body))
        explicit = sorted(current - from_body)
    wanted = _merge_tags(explicit, note.body)
    gone = current - set(wanted)
    if gone:
        session.execute(delete(NoteTag).where(NoteTag.note_id == note.id, NoteTag.tag.in_(gone)))
    session.add_all(NoteTag(note_id=note.id, tag=tag) for tag in wanted if tag not in current)


def _screen_edit(session: Session, checker: TextChecker, user: User, note_id: int, title: str | None,
                 body: str | None, explicit: list[str] | None, changes: NoteUpdate,
                 now: datetime | None = None) -> Screening | None:
    """Screen the text the note will have after the edit, read before the write transaction (None:
    no such note or not the user's; the transaction answers that). Two concurrent edits are each screened on their
    own; only a phrase split across both could slip through, and the next edit re-screens it all."""
    current = session.get(Note, note_id)
    if current is None or current.author_id != user.id:
        return None
    new_body = body if body is not None else current.body
    if explicit is None:
        explicit = list(session.scalars(select(NoteTag.tag).where(NoteTag.note_id == note_id)))
    place = None if changes.clear_place else changes.place.name if changes.place else current.place_name
    return _screen(checker, title if title is not None else current.title, new_body, place,
                   _merge_tags(explicit, new_body), _writer(session, now, user.id, note_id) if now else None)


def _apply_screening(session: Session, now: datetime, note: Note, screened: Screening) -> None:
    """An edited note takes the pipeline's new verdict: a hold hides it (announced: not visible),
    a pass lifts the pipeline's own hold (announced: visible, with ``note.created`` for mentions
    and fan-out, which a held note never had). A removed note stays removed."""
    screening.record(session, now, screened, "note", note.id, note.author_id)
    if note.status == REMOVED:
        return
    note.label = screened.label
    if screened.status == HELD and note.status == PUBLISHED:
        note.status = HELD
        _bump_note_count(session, note.author_id, -1)
        note_visibility_changed(session, note.id, note.author_id, visible=False)
    elif screened.status == PUBLISHED and note.status == HELD and screening.held_by_pipeline(session, "note", note.id):
        _publish_held(session, note)
        moderation_queue.hold_lifted(session, now, "note", note.id)


def _publish_held(session: Session, note: Note) -> None:
    """A note that was not published (held, removed) becomes published, in the caller's
    transaction: counted on its author's profile, announced visible, and given the ``note.created``
    it never had (mentions, fan-out; notification de-duplication keeps a second mention away).
    Shared by a clean edit lifting the pipeline's hold and a moderator's approval."""
    note.status = PUBLISHED
    _bump_note_count(session, note.author_id, 1)
    events.publish(session, "note.created", {"note_id": note.id, "author_id": note.author_id})
    note_visibility_changed(session, note.id, note.author_id, visible=True)


def moderate_in_tx(session: Session, note_id: int, status: str, label: str | None = None) -> Note | None:
    """A moderator's decision on a note, in the caller's write transaction (``safety.actions``):
    lock the note (first in the lock order), set its ``status`` (published | removed) and, when
    given, its ``label`` (None keeps the label it has), and move what its visibility moves — the author's ``note_count``, the
    announcements, ``note.created`` for a held note that is published (:func:`_publish_held`).
    Likes, collects and comments stay (a removed note keeps them for a possible restoration; no
    one but its author and moderators can reach them). None: the note is gone."""
    note = session.scalar(
        select(Note).where(Note.id == note_id).with_for_update().execution_options(populate_existing=True)
    )
    if note is None:
        return None
    was = note.status
    if label is not None:
        note.label = label
    if status == PUBLISHED and was != PUBLISHED:
        _publish_held(session, note)
    elif status != PUBLISHED:
        note.status = status
        if was == PUBLISHED:
            _bump_note_count(session, note.author_id, -1)
        # Announced even for a held note (nobody else could see it): harmless, and it keeps the
        # rule simple — every move out of "published" or "held" is said.
        note_visibility_changed(session, note.id, note.author_id, visible=False)
    note_changed(session, note.id, content=True)  # the label and the status are on the note page
    return note


def update_note(session: Session, now: datetime, user: User, note_id: int, changes: NoteUpdate, *,
                checker: TextChecker) -> Note:
    """Edit a note (author only). ``media_ids`` replaces the carousel under the create rules; the
    note may gain media but not switch between images and a video. Publishes ``note.updated``.
    The text the note will have is screened first (see the module docstring)."""
    standing.check_can_post(session, user.id, now)
    title = _clean_title(changes.title) if changes.title is not None else None
    body = _clean_body(changes.body) if changes.body is not None else None
    explicit = _explicit_tags(changes.tags) if changes.tags is not None else None
    screened = _screen_edit(session, checker, user, note_id, title, body, explicit, changes, now)
    with write(session):
        note = _lock_note(session, note_id, user, admin_ok=False)
        old_body = note.body
        if title is not None:
            note.title = title
        if body is not None:
            note.body = body
        if title is not None or body is not None:
            note.lang = _lang(note.title, note.body)
        if explicit is not None or body is not None:
            _retag(session, note, old_body, explicit)
        if changes.topic is not None:
            note.topic = changes.topic
        if changes.clear_place:
            _set_place(note, None)
        elif changes.place is not None:
            _set_place(note, changes.place)
        if changes.media_ids is not None:
            kind, media = _carousel(session, user.id, note.id, changes.media_ids)
            if {note.kind, kind} == {"image", "video"}:
                raise _carousel_error("kind_change")
            detached = media_actions.detach_except(session, note.id, (m.id for m in media))
            media_actions.attach(note.id, media)
            note.kind = kind
            note.cover_media_id = media[0].id if media else None
            if detached:
                events.publish(session, "media.detached", {"media_ids": detached})
        note.updated_at = now
        if screened is not None:
            # The pictures the note has after the edit (just attached rows are flushed by the query).
            pictures = list(session.scalars(select(Media).where(Media.note_id == note.id)))
            screened = moderation_images.with_images(session, screened, pictures)
            _apply_screening(session, now, note, screened)
        events.publish(session, "note.updated", {"note_id": note.id})
        note_changed(session, note.id, content=True)
    return note


def delete_note(session: Session, user: User, note_id: int) -> None:
    """Delete a note (its author or an admin) with its tags, engagement and media rows.

    Likes, collects, comments and tags go by ``ON DELETE CASCADE`` (SQLite runs with
    ``foreign_keys=ON``); counters kept elsewhere are corrected first. Publishes ``note.deleted``
    with the media files' keys, which a job removes from storage after commit.
    """
    with write(session):
        note = _lock_note(session, note_id, user, admin_ok=True)
        author_id, counted = note.author_id, note.status == PUBLISHED
        media_keys = media_actions.delete_for_note(session, note_id)
        NOTE_DELETING.run(session, note_id)  # engagement releases its counters
        session.execute(delete(Note).where(Note.id == note_id))
        if counted:
            _bump_note_count(session, author_id, -1)
        events.publish(session, "note.deleted", {"note_id": note_id, "author_id": author_id, "media_keys": media_keys})
        note_visibility_changed(session, note_id, author_id, visible=False)


# ------------------------------------------------- views (``notes.views``, docs/search.md)

_VIEW_BATCH = 500


def record_views(services: Services, views: Sequence[tuple[int, int, datetime]]) -> None:
    """Store (reader, note, when) views, the later time winning, in one transaction. Notes deleted
    since they were opened are left out (their views would only go with them: ON DELETE
    CASCADE); one deleted between that check and the insert fails the batch, which the caller
    keeps for its next try, when the check leaves it out."""
    latest: dict[tuple[int, int], datetime] = {}
    for user_id, note_id, at in views:
        if (user_id, note_id) not in latest or latest[(user_id, note_id)] < at:
            latest[(user_id, note_id)] = at
    with services.sessions() as session, write(session):
        existing = set(session.scalars(select(Note.id).where(Note.id.in_({n for _u, n in latest}))))
        rows = [{"user_id": u, "note_id": n, "viewed_at": at}
                for (u, n), at in sorted(latest.items()) if n in existing]  # sorted: one lock order
        for start in range(0, len(rows), _VIEW_BATCH):
            insert = dialect_insert(session, NoteView).values(rows[start:start + _VIEW_BATCH])
            session.execute(insert.on_conflict_do_update(
                index_elements=["user_id", "note_id"], set_={"viewed_at": insert.excluded.viewed_at}))
