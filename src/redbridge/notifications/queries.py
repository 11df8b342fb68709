"""Reads for notifications: the viewer's list and unread count, and what the event handlers
need to know to address a notification."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from redbridge.accounts import standing
from redbridge.accounts.models import User
from redbridge.accounts.queries import briefs
from redbridge.core import ids
from redbridge.core.i18n import _, gettext
from redbridge.core.pagination import Page, id_page
from redbridge.engagement.models import Comment
from redbridge.media.models import Media
from redbridge.moderation.screening import reason_message
from redbridge.notes.models import HELD, PUBLISHED, Note
from redbridge.notes.queries import cover_of
from redbridge.notifications.models import MODERATION_KINDS, Notification
from redbridge.notifications.schemas import CommentRef, NoteRef, NotificationOut

EXCERPT = 80


class NoteText(NamedTuple):
    author_id: int
    text: str


def note_author(session: Session, note_id: int) -> int | None:
    return session.scalar(select(Note.author_id).where(Note.id == note_id))


def note_text(session: Session, note_id: int) -> NoteText | None:
    """A published note's author and text (None: gone, or held or removed since: nobody is told)."""
    row = session.execute(
        select(Note.author_id, Note.title, Note.body).where(Note.id == note_id, Note.status == PUBLISHED)).first()
    return NoteText(row.author_id, f"{row.title}\n{row.body}") if row is not None else None


def comment(session: Session, comment_id: int) -> Comment | None:
    return session.get(Comment, comment_id)


def comment_author(session: Session, comment_id: int) -> int | None:
    return session.scalar(select(Comment.author_id).where(Comment.id == comment_id))


def user_ids_by_username(session: Session, usernames: Iterable[str]) -> list[int]:
    keys = {name.lower() for name in usernames}
    if not keys:
        return []
    return list(session.scalars(select(User.id).where(User.username_key.in_(keys))))


def unread_count(session: Session, viewer_id: int) -> int:
    return int(session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.recipient_id == viewer_id, Notification.read_at.is_(None))
    ) or 0)


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _note_refs(session: Session, note_ids: set[int], viewer_id: int) -> dict[int, NoteRef]:
    """What a notification shows of each note: only published notes, and the viewer's own held
    ones (a note held or removed since it was notified about must not show through the inbox)."""
    if not note_ids:
        return {}
    shown = or_(Note.status == PUBLISHED, and_(Note.author_id == viewer_id, Note.status == HELD))
    notes = session.execute(
        select(Note.id, Note.title, Note.cover_media_id).where(Note.id.in_(note_ids), shown)).all()
    cover_ids = {n.cover_media_id for n in notes if n.cover_media_id is not None}
    covers = {m.id: m for m in session.scalars(select(Media).where(Media.id.in_(cover_ids)))} if cover_ids else {}
    refs = {}
    for note in notes:
        media = covers.get(note.cover_media_id) if note.cover_media_id is not None else None
        refs[note.id] = NoteRef(id=ids.encode(note.id), title=note.title,
                                cover_url=cover_of(media).url if media is not None else None)
    return refs


def _comment_refs(session: Session, comment_ids: set[int], viewer_id: int) -> dict[int, CommentRef]:
    if not comment_ids:
        return {}
    shown = or_(Comment.status == PUBLISHED, Comment.author_id == viewer_id)
    rows = session.execute(select(Comment.id, Comment.body).where(Comment.id.in_(comment_ids), shown))
    return {row.id: CommentRef(id=ids.encode(row.id), body=_excerpt(row.body)) for row in rows}


def page(session: Session, viewer_id: int, cursor: str | None, limit: int,
         locale: str | None = None) -> Page[NotificationOut]:
    """The viewer's notifications, newest first (only ever the viewer's own). A notification about
    a note or comment the viewer may no longer see (held, removed) is left out; a moderators'
    notice is kept without the link (its ``message``, in ``locale`` — the request's language when
    None — says what happened; the author reads a removed note in ``/moderation/mine``)."""
    query = select(Notification).where(Notification.recipient_id == viewer_id)
    rows, next_cursor = id_page(session, query, Notification.id, cursor, limit, newest_first=True)
    social = [n for n in rows if n.kind not in MODERATION_KINDS]
    actors = briefs(session, {n.actor_id for n in social})
    notes = _note_refs(session, {n.note_id for n in rows if n.note_id is not None}, viewer_id)
    comments = _comment_refs(session, {n.comment_id for n in rows if n.comment_id is not None}, viewer_id)
    items = [
        NotificationOut.model_validate({
            "id": ids.encode(n.id), "kind": n.kind,
            "actor": actors[n.actor_id] if n.kind not in MODERATION_KINDS else None,
            "note": notes.get(n.note_id) if n.note_id is not None else None,
            "comment": comments.get(n.comment_id) if n.comment_id is not None else None,
            "created_at": n.created_at, "read": n.read_at is not None,
            **({"details": n.details or {}, "message": notice_message(n.kind, n.details or {}, locale)}
               if n.kind in MODERATION_KINDS else {}),
        })
        for n in rows
        if n.kind in MODERATION_KINDS or (n.actor_id in actors and (n.note_id is None or n.note_id in notes)
                                          and (n.comment_id is None or n.comment_id in comments))
    ]
    return Page[NotificationOut](items=items, next_cursor=next_cursor)


# ------------------------------------------------------------------------ moderators' notices

_DECIDED = {
    ("note", "removed"): _("A moderator removed your note."),
    ("comment", "removed"): _("A moderator removed your comment."),
    ("note", "labelled"): _("A moderator marked your note as sensitive."),
    ("comment", "labelled"): _("A moderator reviewed your comment and published it."),
    ("note", "approved"): _("A moderator reviewed your note and published it."),
    ("comment", "approved"): _("A moderator reviewed your comment and published it."),
    ("translation", "removed"): _("A moderator removed your translation."),
    ("translation", "labelled"): _("A moderator reviewed your translation and published it."),
    ("translation", "approved"): _("A moderator reviewed your translation and published it."),
}
_APPEALED = {
    ("note", "reinstated"): _("On appeal, another moderator reinstated your note."),
    ("comment", "reinstated"): _("On appeal, another moderator reinstated your comment."),
    ("note", "upheld"): _("On appeal, another moderator upheld the removal of your note."),
    ("comment", "upheld"): _("On appeal, another moderator upheld the removal of your comment."),
    ("translation", "reinstated"): _("On appeal, another moderator reinstated your translation."),
    ("translation", "upheld"): _("On appeal, another moderator upheld the removal of your translation."),
}
_ACCOUNT = {
    "warn": _("A moderator warned your account."),
    "mute": _("Your account is muted until %(until)s: you cannot post or edit for now."),
    "suspend": _("Your account was suspended until %(until)s."),
    "ban": _("Your account was banned."),
    "unmute": _("A moderator lifted your account's mute."),
    "unsuspend": _("A moderator lifted your account's suspension."),
    "unban": _("A moderator lifted your account's ban."),
}
_REPORTED = {
    "removed": _("Thank you for your report: a moderator removed what you reported."),
    "labelled": _("Thank you for your report: a moderator marked what you reported as sensitive."),
    "approved": _("Thank you for your report: a moderator reviewed it and found no violation."),
    "actioned": _("Thank you for your report: a moderator acted on the account you reported."),
}
_NOTICE = _("A message from the moderators.")
_WITH_REASON = frozenset({"removed", "labelled", "warn", "mute", "suspend", "ban"})


def notice_message(kind: str, details: dict[str, object], locale: str | None = None) -> str:
    """A moderators' notice as one or two sentences in ``locale``: what was decided, then why (the
    reason code's sentence) for a decision against the reader."""
    subject, reason = str(details.get("subject", "")), str(details.get("reason", ""))
    if kind == "moderation":
        what = str(details.get("decision", ""))
        msgid = _DECIDED.get((subject, what), _NOTICE)
    elif kind == "appeal":
        what = str(details.get("outcome", ""))
        msgid = _APPEALED.get((subject, what), _NOTICE)
    elif kind == "account":
        what = str(details.get("action", ""))
        msgid = _ACCOUNT.get(what, _NOTICE)
    else:
        what = str(details.get("outcome", ""))
        msgid = _REPORTED.get(what, _NOTICE)
    until = details.get("until")
    end = standing.shown(datetime.fromisoformat(str(until))) if until else ""
    text = gettext(msgid, locale, until=end) if "%(until)s" in msgid else gettext(msgid, locale)
    if what in _WITH_REASON and reason:
        text += " " + gettext(reason_message([reason]), locale)
    return text
