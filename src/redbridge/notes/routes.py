"""Thin HTTP layer of notes: /api/v1/notes/*."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from redbridge.accounts.deps import OptionalViewerDep, ViewerDep
from redbridge.core import ids
from redbridge.core.deps import DbDep, ServicesDep, client_ip
from redbridge.core.errors import ErrorEnvelope, not_found
from redbridge.notes import actions, queries
from redbridge.notes.schemas import NoteCreate, NoteOut, NoteUpdate, ShareOut

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorEnvelope} for code in (401, 403, 404, 413, 422, 429)
}
router = APIRouter(prefix="/api/v1/notes", tags=["notes"], responses=ERRORS)


def _note_id(raw: str) -> int:
    parsed = ids.decode(raw)
    if parsed is None:
        raise not_found("note")
    return parsed


@router.post("", status_code=status.HTTP_201_CREATED, response_model=NoteOut)
def create_note(body: NoteCreate, request: Request, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> NoteOut:
    """Post a note: text only, 1–18 uploaded images (in carousel order), or one uploaded video."""
    actions.count_new_note(services, viewer.user.id, client_ip(request))
    note = actions.create_note(session, services.clock.now(), viewer.user.id, body)
    return queries.note_out(session, note, viewer.user.id, services.settings.base_url)


@router.get("/{note_id}", response_model=NoteOut)
def get_note(note_id: str, viewer: OptionalViewerDep, session: DbDep, services: ServicesDep) -> NoteOut:
    viewer_id = viewer.id if viewer else None
    note, author = queries.get_visible(session, _note_id(note_id), viewer_id)
    return queries.note_out(session, note, viewer_id, services.settings.base_url, author=author)


@router.patch("/{note_id}", response_model=NoteOut)
def update_note(note_id: str, body: NoteUpdate, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> NoteOut:
    """Edit your note; ``media_ids`` replaces the carousel (reorder, add, remove)."""
    note = actions.update_note(session, services.clock.now(), viewer.user, _note_id(note_id), body)
    return queries.note_out(session, note, viewer.user.id, services.settings.base_url)


@router.delete("/{note_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_note(note_id: str, viewer: ViewerDep, session: DbDep) -> Response:
    """Delete your note (admins: any note), with its comments, likes and media files."""
    actions.delete_note(session, viewer.user, _note_id(note_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{note_id}/share", response_model=ShareOut)
def share_note(note_id: str, viewer: OptionalViewerDep, session: DbDep, services: ServicesDep) -> ShareOut:
    note, _author = queries.get_visible(session, _note_id(note_id), viewer.id if viewer else None)
    return queries.share(note, services.settings.base_url)
