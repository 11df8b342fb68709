"""Thin HTTP layer of notes: /api/v1/notes/*."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request, Response, status

from redbridge.accounts import trust
from redbridge.accounts.deps import OptionalViewerDep, ViewerDep, peek_caller, resolve_viewer
from redbridge.core import ids
from redbridge.core.deps import DbDep, ServicesDep, answer_json, client_ip, services_of
from redbridge.core.errors import ErrorEnvelope, not_found, path_id
from redbridge.core.services import Services
from redbridge.moderation import screening
from redbridge.notes import actions, queries, views
from redbridge.notes.schemas import NoteCreate, NoteOut, NoteUpdate, ShareOut
from redbridge.reads import note_page as page
from redbridge.reads import notes as read_notes

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorEnvelope} for code in (401, 403, 404, 413, 422, 429)
}
router = APIRouter(prefix="/api/v1/notes", tags=["notes"], responses=ERRORS)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=NoteOut)
def create_note(body: NoteCreate, request: Request, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> NoteOut:
    """Post a note: text only, 1–18 uploaded images (in carousel order), or one uploaded video."""
    actions.count_new_note(services, viewer.user.id, client_ip(request))
    trust.limit(services, session, viewer.user, "note")
    note = actions.create_note(session, services.clock.now(), viewer.user.id, body,
                               checker=screening.checker(services))
    return read_notes.note_out(session, note, viewer.user.id, services.settings.base_url)


# The path parameter as FastAPI documents it: ``get_note`` reads it from the matched route instead
# of declaring it, which spares the parameter solving of every request (measured: ~9 % of a hit).
_NOTE_ID_PARAM = {"name": "note_id", "in": "path", "required": True, "schema": {"type": "string", "title": "Note Id"}}


@router.get("/{note_id}", response_model=NoteOut, openapi_extra={"parameters": [_NOTE_ID_PARAM]})
async def get_note(request: Request) -> Response:
    # A hot read: answered from the note page cache (``reads.note_page``) on the event loop when it
    # can be, else in one thread-pool hop, like explore.
    services = services_of(request)
    note_id = str(request.path_params["note_id"])
    return await answer_json(services, partial(_cached_note, request, services, note_id),
                             partial(_note, request, services, note_id))


def _cached_note(request: Request, services: Services, raw_id: str) -> bytes | None:
    known, caller = peek_caller(request, services)
    parsed = ids.decode(raw_id)
    body = page.peek(services, caller, parsed) if known and parsed is not None else None
    if body is not None and caller is not None and parsed is not None:
        views.record(services, caller.user_id, parsed)  # a dictionary store: no I/O on the event loop
    return body


def _note(request: Request, services: Services, raw_id: str) -> bytes:
    parsed = ids.decode(raw_id)
    token = page.generation(services, parsed) if parsed is not None else b""  # before any query: reads.note_page
    with services.sessions() as session:
        # The viewer first, even for a malformed id: errors are in the account's language.
        viewer = resolve_viewer(request, services, session)
        if parsed is None:
            raise not_found("note")
        body = page.render(services, session, viewer.caller if viewer else None, parsed, token)
    if viewer is not None:  # rendered: the note is one this reader may see
        views.record(services, viewer.caller.user_id, parsed)  # the caller: ``viewer.user`` would load the row
    return body


@router.patch("/{note_id}", response_model=NoteOut)
def update_note(note_id: str, body: NoteUpdate, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> NoteOut:
    """Edit your note; ``media_ids`` replaces the carousel (reorder, add, remove)."""
    note = actions.update_note(session, services.clock.now(), viewer.user, path_id(note_id, "note"), body,
                               checker=screening.checker(services))
    return read_notes.note_out(session, note, viewer.user.id, services.settings.base_url)


@router.delete("/{note_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_note(note_id: str, viewer: ViewerDep, session: DbDep) -> Response:
    """Delete your note (admins: any note), with its comments, likes and media files."""
    actions.delete_note(session, viewer.user, path_id(note_id, "note"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{note_id}/share", response_model=ShareOut)
def share_note(note_id: str, viewer: OptionalViewerDep, session: DbDep, services: ServicesDep) -> ShareOut:
    note, _author = queries.get_visible(session, path_id(note_id, "note"), viewer.id if viewer else None)
    return queries.share(note, services.settings.base_url)
