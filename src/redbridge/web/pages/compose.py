"""The composer: write a note (``/compose``), edit one (``/n/<id>/edit``), delete one.

One form serves both ways in. Without JavaScript it is a plain ``multipart/form-data`` POST: the
chosen files arrive with the text, each is stored through the same media actions as
``POST /api/v1/media``, then the note is made through the same notes action as
``POST /api/v1/notes``. With JavaScript (``static/js/composer.js``) every file is uploaded to the
API as soon as it is picked, and the form posts only the resulting ``media_ids`` — the same field
the no-JS path fills in when it re-shows a refused form, so an upload is never stored twice.

A refused form comes back (422, or 429 for a rate limit) with each message next to its field and
everything the person typed; uploads that did succeed ride along as ``media_ids``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from fastapi import APIRouter, Response
from pydantic import BaseModel
from starlette.datastructures import FormData, UploadFile

from redbridge.accounts import trust
from redbridge.core import ids
from redbridge.core.deps import client_ip
from redbridge.core.errors import AppError, forbidden, path_id
from redbridge.core.i18n import _, gettext
from redbridge.media import actions as media_actions
from redbridge.media import queries as media_queries
from redbridge.media.schemas import MediaOut
from redbridge.moderation import screening
from redbridge.notes import actions, queries
from redbridge.notes.actions import MAX_IMAGES
from redbridge.notes.schemas import BODY_MAX, TITLE_MAX, NoteCreate, NoteOut, NoteUpdate
from redbridge.reads import notes as read_notes
from redbridge.text.markup import extract_tags, normalize_tag
from redbridge.text.topics import TOPICS
from redbridge.web.deps import FormDep, PageContext, PageDep, form_list, form_text
from redbridge.web.forms import FORM, FormErrors, catch, validate
from redbridge.web.render import topic_label

router = APIRouter(include_in_schema=False)
M = TypeVar("M", bound=BaseModel)

SUGGESTIONS = 20
# Tags may be typed "a, b c", "#a #b" or one per repeated field; the tag syntax is word
# characters only, so anything else separates.
_TAG_SEPARATORS = re.compile(r"[\s,，、;；#＃]+")
_FILENAME_SHOWN = 60

NEED_MEDIA = _("Add at least one photo or a video.")
TOO_MANY = _("A note can have at most 18 photos.")
FILE_FAILED = _("%(name)s: %(reason)s")


@dataclass
class Draft:
    """What the person typed and picked, kept verbatim so a refused form shows it unchanged."""

    title: str = ""
    body: str = ""
    tags: str = ""
    place: str = ""
    lat: str = ""
    lng: str = ""
    media_ids: list[str] = field(default_factory=list)

    @classmethod
    def from_form(cls, form: FormData) -> Draft:
        return cls(
            title=form_text(form, "title"), body=form_text(form, "body"), tags=" ".join(form_list(form, "tags")),
            place=form_text(form, "place"), lat=form_text(form, "lat").strip(), lng=form_text(form, "lng").strip(),
            media_ids=ordered_media_ids(form),
        )

    @classmethod
    def from_note(cls, note: NoteOut) -> Draft:
        # Only the tags typed in the tag field: #tags in the body come back from the body itself
        # (the action keeps that split, so deleting a #tag from the body drops it).
        body_tags = set(extract_tags(note.body))
        place = note.place
        return cls(
            title=note.title, body=note.body, tags=", ".join(t for t in note.tags if t not in body_tags),
            place=place.name if place else "",
            lat="" if place is None or place.lat is None else str(place.lat),
            lng="" if place is None or place.lng is None else str(place.lng),
            media_ids=[m.id for m in note.media],
        )

    def tag_list(self) -> list[str]:
        return [t for t in _TAG_SEPARATORS.split(self.tags) if t]

    def place_value(self) -> dict[str, str | None] | None:
        if not self.place.strip():
            return None
        return {"name": self.place, "lat": self.lat or None, "lng": self.lng or None}

    def values(self) -> dict[str, str]:
        return {"title": self.title, "body": self.body, "tags": self.tags, "place": self.place,
                "lat": self.lat, "lng": self.lng}


def ordered_media_ids(form: FormData) -> list[str]:
    """The carousel the form asks for: ``media_ids`` in page order, less those ticked ``remove``,
    re-sorted by the ``position_<id>`` numbers a reader without JavaScript can edit (ties and
    unreadable numbers keep page order). Script-driven pages drop those inputs and reorder the
    hidden fields themselves."""
    removed = set(form_list(form, "remove"))
    kept = [m for m in dict.fromkeys(form_list(form, "media_ids")) if m not in removed]

    def rank(item: tuple[int, str]) -> tuple[float, int]:
        index, media_id = item
        try:
            return float(form_text(form, f"position_{media_id}")), index
        except ValueError:
            return float(index + 1), index

    return [media_id for _index, media_id in sorted(enumerate(kept), key=rank)]


def _picked_files(form: FormData) -> list[UploadFile]:
    # A file input left empty still sends one part, with no file name and no bytes.
    return [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]


# ------------------------------------------------------------------------------------ rendering


def _tiles(page: PageContext, media_ids: Iterable[str], note_id: int | None) -> list[MediaOut]:
    """The draft's media as the API shows them, in order — only the viewer's own uploads that are
    free or already in this note. Anything else (a forged or foreign id) is dropped unseen: its
    thumbnail must not be shown, and the note action would refuse it anyway."""
    parsed = [(raw, ids.decode(raw)) for raw in media_ids]
    rows = media_queries.by_ids(page.session, (p for _raw, p in parsed if p is not None))
    tiles = []
    for _raw, media_id in parsed:
        row = rows.get(media_id) if media_id is not None else None
        if row is None or row.owner_id != page.viewer_id or row.status == "failed":
            continue
        if row.note_id is not None and row.note_id != note_id:
            continue
        tiles.append(media_queries.media_out(row))
    return tiles


def _suggestions(page: PageContext) -> list[str]:
    """Tag suggestions: the author's and the site's most used, then the topics in the UI language."""
    assert page.viewer is not None
    used = queries.suggested_tags(page.session, page.viewer.id, SUGGESTIONS)
    topics = (normalize_tag(topic_label(t)) for t in TOPICS)
    return list(dict.fromkeys([*used, *(t for t in topics if t)]))


def _form(page: PageContext, draft: Draft, *, note: NoteOut | None = None, errors: dict[str, str] | None = None,
          status: int = 200, headers: dict[str, str] | None = None) -> Response:
    note_id = ids.decode(note.id) if note is not None else None
    response = page.render(
        "pages/compose.html", status=status, tab="compose" if note is None else "", note=note,
        values=draft.values(), media=_tiles(page, draft.media_ids, note_id), errors=errors or {},
        suggestions=_suggestions(page), title_max=TITLE_MAX, body_max=BODY_MAX, max_files=MAX_IMAGES,
        action=f"/n/{note.id}/edit" if note is not None else "/compose",
    )
    response.headers.update(headers or {})
    return response


# -------------------------------------------------------------------------------------- writing


class Refused(Exception):  # noqa: N818 - carries the answer, like FormErrors
    """A submission to show again: field → message, and the status (422, or 429 when rate-limited)."""

    def __init__(self, errors: dict[str, str], status: int = 422, headers: dict[str, str] | None = None) -> None:
        super().__init__(errors)
        self.errors = errors
        self.status = status
        self.headers = headers


def _rate_limited(page: PageContext, exc: AppError) -> Refused:
    return Refused({FORM: gettext(exc.message, page.locale, **exc.params)}, 429, exc.headers)


def _store_files(page: PageContext, draft: Draft, files: list[UploadFile], errors: dict[str, str]) -> None:
    """Store the picked files as the API would (same checks, caps and upload budget); each stored
    one joins the draft. A bad file does not stop the others: each failure is listed by name."""
    assert page.viewer is not None
    owner = page.viewer.id
    failures: list[str] = []
    for upload in files:
        try:
            media_actions.count_upload(page.services, owner)
            media = media_actions.upload(page.session, page.services, owner, upload.file, filename=upload.filename,
                                         content_type=upload.content_type, alt="")
        except AppError as exc:
            if exc.status == 429:
                raise _rate_limited(page, exc) from None
            name = (upload.filename or "")[:_FILENAME_SHOWN]
            failures.append(gettext(FILE_FAILED, page.locale, name=name,
                                    reason=gettext(exc.message, page.locale, **exc.params)))
            continue
        draft.media_ids.append(ids.encode(media.id))
    if failures:
        errors["files"] = "\n".join(failures)


def _take_media(page: PageContext, draft: Draft, form: FormData, note: NoteOut | None) -> dict[str, str]:
    """Store the files sent with the form into the draft; the errors found so far."""
    errors: dict[str, str] = {}
    files = _picked_files(form)
    if len(draft.media_ids) + len(files) > MAX_IMAGES:
        # Refused before anything is processed: nineteen photos are not worth re-encoding to say no.
        errors["files"] = gettext(TOO_MANY, page.locale)
        return errors
    _store_files(page, draft, files, errors)
    if not draft.media_ids and "files" not in errors and (note is None or note.kind != "text"):
        errors["files"] = gettext(NEED_MEDIA, page.locale)
    return errors


def _checked(page: PageContext, errors: dict[str, str], model: type[M], **values: object) -> M:
    """The schema's verdict merged with the errors found so far, so every problem shows at once."""
    try:
        data = validate(model, page.locale, **values)
    except FormErrors as exc:
        raise Refused({**exc.errors, **errors}) from None
    if errors:
        raise Refused(errors)
    return data


def _create(page: PageContext, form: FormData, draft: Draft) -> int:
    viewer = page.viewer
    assert viewer is not None
    errors = _take_media(page, draft, form, None)
    data = _checked(page, errors, NoteCreate, title=draft.title, body=draft.body, tags=draft.tag_list(),
                    place=draft.place_value(), media_ids=draft.media_ids)
    try:
        actions.count_new_note(page.services, viewer.id, client_ip(page.request))
        trust.limit(page.services, page.session, viewer.user, "note")
    except AppError as exc:
        raise _rate_limited(page, exc) from None
    note = catch(page.locale, lambda: actions.create_note(page.session, page.services.clock.now(),
                                                         viewer.id, data, checker=screening.checker(page.services)))
    return note.id


def _update(page: PageContext, form: FormData, draft: Draft, note: NoteOut) -> None:
    assert page.viewer is not None
    viewer = page.viewer
    errors = _take_media(page, draft, form, note)
    place = draft.place_value()
    data = _checked(
        page, errors, NoteUpdate, title=draft.title, body=draft.body, tags=draft.tag_list(), place=place,
        clear_place=place is None, media_ids=draft.media_ids or None,
    )
    catch(page.locale, lambda: actions.update_note(page.session, page.services.clock.now(), viewer.user,
                                                   path_id(note.id, "note"), data,
                                                   checker=screening.checker(page.services)))


def _submit(page: PageContext, form: FormData, note: NoteOut | None) -> Response:
    draft = Draft.from_form(form)
    try:
        if note is None:
            return page.redirect(f"/n/{ids.encode(_create(page, form, draft))}")
        _update(page, form, draft, note)
        return page.redirect(f"/n/{note.id}")
    except FormErrors as exc:
        return _form(page, draft, note=note, errors=exc.errors, status=422)
    except Refused as exc:
        return _form(page, draft, note=note, errors=exc.errors, status=exc.status, headers=exc.headers)


# --------------------------------------------------------------------------------------- routes


@router.get("/compose", name="compose")
def compose_page(page: PageDep) -> Response:
    page.require_login()
    return _form(page, Draft())


@router.post("/compose", name="compose")
def compose(page: PageDep, form: FormDep) -> Response:
    page.require_login("/compose")
    return _submit(page, form, None)


def _own_note(page: PageContext, note_id: str) -> NoteOut:
    """The viewer's note to edit: 404 for a note they cannot see, 403 for someone else's (as the
    API's PATCH answers) — checked before any file of theirs is stored."""
    viewer = page.require_login(f"/n/{note_id}/edit")
    note, author = queries.get_visible(page.session, path_id(note_id, "note"), viewer.id)
    if author.id != viewer.id:
        raise forbidden()
    return read_notes.note_out(page.session, note, viewer.id, page.services.settings.base_url, author=author)


@router.get("/n/{note_id}/edit", name="note_edit")
def edit_page(note_id: str, page: PageDep) -> Response:
    note = _own_note(page, note_id)
    return _form(page, Draft.from_note(note), note=note)


@router.post("/n/{note_id}/edit", name="note_edit")
def edit(note_id: str, page: PageDep, form: FormDep) -> Response:
    return _submit(page, form, _own_note(page, note_id))


@router.post("/n/{note_id}/delete", name="note_delete")
def delete(note_id: str, page: PageDep) -> Response:
    """Delete a note (its author or an admin: the action decides); then to the author's profile."""
    parsed = path_id(note_id, "note")
    viewer = page.require_login(f"/n/{note_id}")
    _note, author = queries.get_visible(page.session, parsed, viewer.id)
    actions.delete_note(page.session, viewer.user, parsed)
    return page.redirect(f"/u/{author.username}")
