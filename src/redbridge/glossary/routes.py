"""Thin HTTP layer of the word glosses: ``/api/v1/glossary`` and ``/api/v1/notes/{id}/glosses``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from redbridge.accounts.deps import OptionalViewerDep
from redbridge.core.deps import DbDep, ServicesDep, client_ip
from redbridge.core.errors import ErrorEnvelope, path_id
from redbridge.glossary import queries
from redbridge.glossary.schemas import GlossesOut, NoteGlossesOut

ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorEnvelope} for code in (404, 422, 429)}
router = APIRouter(tags=["glossary"], responses=ERRORS)

# The length is checked by ``queries.clean_text`` (a translated 422 of our own); this bound only
# keeps an absurd query string from being decoded into a huge value first.
Text = Annotated[str | None, Query(max_length=4096)]


@router.get("/api/v1/glossary", response_model=GlossesOut)
def glossary(request: Request, viewer: OptionalViewerDep, services: ServicesDep, text: Text = None) -> GlossesOut:
    """A word or short phrase (≤ 64 characters) cut into words: Chinese words with pinyin and
    English senses, English words with their Chinese entries (CC-CEDICT, CC BY-SA 4.0)."""
    queries.spend(services, viewer.user.id if viewer else None, client_ip(request))
    return queries.gloss_text(queries.clean_text(text))


@router.get("/api/v1/notes/{note_id}/glosses", response_model=NoteGlossesOut)
def note_glosses(note_id: str, request: Request, viewer: OptionalViewerDep, services: ServicesDep,
                 session: DbDep) -> Response:
    """The glosses of a note's title and body, for anyone who may read the note (else 404)."""
    viewer_id = viewer.user.id if viewer else None
    queries.spend(services, viewer_id, client_ip(request))
    # Sent as serialised (cached JSON), not re-validated: see core.deps.answer_json.
    body = queries.note_glosses_json(services, session, path_id(note_id, "note"), viewer_id)
    return Response(body, media_type="application/json")
