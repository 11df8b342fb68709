"""``GET /api/v1/notes/{note_id}/translation`` and ``/comments/{comment_id}/translation``.

Thin: visibility as reading the item, the answer from the store, and otherwise the rate limits
and the job, answered 202 ``pending`` with ``Retry-After`` (the client polls)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from redbridge.accounts.deps import OptionalViewerDep
from redbridge.core.deps import DbDep, ServicesDep, client_ip
from redbridge.core.errors import ErrorEnvelope, path_id
from redbridge.translations import queries
from redbridge.translations.schemas import Target, TranslationOut
from redbridge.translations.service import translation_answer

ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorEnvelope} for code in (404, 422, 429)}
router = APIRouter(prefix="/api/v1", tags=["translations"], responses=ERRORS)

TargetQuery = Annotated[Target, Query(description="The reader's language")]
POLL_AFTER_S = 1


def _respond(out: TranslationOut) -> TranslationOut | JSONResponse:
    if out.status == "pending":
        return JSONResponse(out.model_dump(mode="json"), status_code=202, headers={"Retry-After": str(POLL_AFTER_S)})
    return out


RESPONSES: dict[int | str, dict[str, object]] = {202: {"model": TranslationOut, "description": "pending: poll again"}}


@router.get("/notes/{note_id}/translation", response_model=TranslationOut, responses=RESPONSES)
def note_translation(note_id: str, to: TargetQuery, request: Request, viewer: OptionalViewerDep, session: DbDep,
                     services: ServicesDep) -> TranslationOut | JSONResponse:
    viewer_id = viewer.id if viewer is not None else None
    item = queries.visible_item(session, "note", path_id(note_id, "note"), viewer_id)
    session.close()  # nothing below reads through this session: give the connection back
    return _respond(translation_answer(services, item, to, viewer_id, client_ip(request)))


@router.get("/comments/{comment_id}/translation", response_model=TranslationOut, responses=RESPONSES)
def comment_translation(comment_id: str, to: TargetQuery, request: Request, viewer: OptionalViewerDep,
                        session: DbDep, services: ServicesDep) -> TranslationOut | JSONResponse:
    viewer_id = viewer.id if viewer is not None else None
    item = queries.visible_item(session, "comment", path_id(comment_id, "comment"), viewer_id)
    session.close()
    return _respond(translation_answer(services, item, to, viewer_id, client_ip(request)))
