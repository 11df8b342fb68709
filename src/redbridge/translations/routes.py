"""The translation API: machine or community translations of notes and comments, and readers'
own translations with their votes.

``GET /api/v1/notes/{note_id}/translation`` and ``/comments/{comment_id}/translation``: the readers'
best translation when there is one (``status: "community"``, unless ``prefer=machine``), else the
store's answer, else the rate limits and the job, answered 202 ``pending`` with ``Retry-After``
(the client polls). ``…/translations`` lists and takes community translations;
``/translations/{id}`` reads, votes on and deletes one.

Thin: visibility is reading the item's, the rest is ``queries``, ``actions`` and ``service``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse

from redbridge.accounts import trust
from redbridge.accounts.deps import OptionalViewerDep, ViewerDep
from redbridge.core import ids
from redbridge.core.deps import DbDep, ServicesDep, client_ip
from redbridge.core.errors import ErrorEnvelope, path_id
from redbridge.core.pagination import Page
from redbridge.moderation import screening
from redbridge.translations import actions, queries
from redbridge.translations.schemas import (
    CommunityTranslationIn,
    CommunityTranslationOut,
    Target,
    TranslationOut,
    VoteIn,
    VoteOut,
)
from redbridge.translations.service import reader_answer

ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorEnvelope} for code in (401, 403, 404, 422, 429)}
router = APIRouter(prefix="/api/v1", tags=["translations"], responses=ERRORS)

TargetQuery = Annotated[Target, Query(description="The reader's language")]
PreferQuery = Annotated[Literal["community", "machine"], Query(
    description="community: the readers' best translation first, when there is one; machine: the engines'")]
POLL_AFTER_S = 1


def _respond(out: TranslationOut) -> TranslationOut | JSONResponse:
    if out.status == "pending":
        return JSONResponse(out.model_dump(mode="json"), status_code=202, headers={"Retry-After": str(POLL_AFTER_S)})
    return out


RESPONSES: dict[int | str, dict[str, object]] = {202: {"model": TranslationOut, "description": "pending: poll again"}}


def _translation(kind: queries.Kind, raw_id: str, to: Target, prefer: str, request: Request,
                 viewer: OptionalViewerDep, session: DbDep, services: ServicesDep) -> TranslationOut | JSONResponse:
    viewer_id = viewer.id if viewer is not None else None
    item = queries.visible_item(session, kind, path_id(raw_id, kind), viewer_id)
    return _respond(reader_answer(services, session, item, to, viewer_id, client_ip(request), prefer))


@router.get("/notes/{note_id}/translation", response_model=TranslationOut, responses=RESPONSES)
def note_translation(note_id: str, to: TargetQuery, request: Request, viewer: OptionalViewerDep, session: DbDep,
                     services: ServicesDep, prefer: PreferQuery = "community") -> TranslationOut | JSONResponse:
    return _translation("note", note_id, to, prefer, request, viewer, session, services)


@router.get("/comments/{comment_id}/translation", response_model=TranslationOut, responses=RESPONSES)
def comment_translation(comment_id: str, to: TargetQuery, request: Request, viewer: OptionalViewerDep,
                        session: DbDep, services: ServicesDep,
                        prefer: PreferQuery = "community") -> TranslationOut | JSONResponse:
    return _translation("comment", comment_id, to, prefer, request, viewer, session, services)


# ------------------------------------------------------------------------ community translations


def _list(kind: queries.Kind, raw_id: str, to: Target, viewer: OptionalViewerDep,
          session: DbDep) -> Page[CommunityTranslationOut]:
    viewer_id = viewer.id if viewer is not None else None
    item = queries.visible_item(session, kind, path_id(raw_id, kind), viewer_id)
    return Page(items=queries.community_list(session, item, to, viewer_id))


def _submit(kind: queries.Kind, raw_id: str, body: CommunityTranslationIn, request: Request, viewer: ViewerDep,
            session: DbDep, services: ServicesDep) -> CommunityTranslationOut:
    trust.spend_comment(services, session, viewer.user, client_ip(request))
    item = queries.visible_item(session, kind, path_id(raw_id, kind), viewer.user.id)
    row = actions.submit_community(session, services.clock.now(), viewer.user.id, item, body,
                                   checker=screening.checker(services))
    return queries.community_out(session, row, viewer.user.id)


@router.get("/notes/{note_id}/translations", response_model=Page[CommunityTranslationOut])
def note_community(note_id: str, to: TargetQuery, viewer: OptionalViewerDep,
                   session: DbDep) -> Page[CommunityTranslationOut]:
    return _list("note", note_id, to, viewer, session)


@router.get("/comments/{comment_id}/translations", response_model=Page[CommunityTranslationOut])
def comment_community(comment_id: str, to: TargetQuery, viewer: OptionalViewerDep,
                      session: DbDep) -> Page[CommunityTranslationOut]:
    return _list("comment", comment_id, to, viewer, session)


@router.post("/notes/{note_id}/translations", status_code=status.HTTP_201_CREATED,
             response_model=CommunityTranslationOut)
def submit_note_translation(note_id: str, body: CommunityTranslationIn, request: Request, viewer: ViewerDep,
                            session: DbDep, services: ServicesDep) -> CommunityTranslationOut:
    return _submit("note", note_id, body, request, viewer, session, services)


@router.post("/comments/{comment_id}/translations", status_code=status.HTTP_201_CREATED,
             response_model=CommunityTranslationOut)
def submit_comment_translation(comment_id: str, body: CommunityTranslationIn, request: Request, viewer: ViewerDep,
                               session: DbDep, services: ServicesDep) -> CommunityTranslationOut:
    return _submit("comment", comment_id, body, request, viewer, session, services)


@router.get("/translations/{translation_id}", response_model=CommunityTranslationOut)
def community_translation(translation_id: str, viewer: OptionalViewerDep, session: DbDep) -> CommunityTranslationOut:
    viewer_id = viewer.id if viewer is not None else None
    row, _item = queries.community_row(session, path_id(translation_id, "translation"), viewer_id)
    return queries.community_out(session, row, viewer_id)


@router.post("/translations/{translation_id}/vote", response_model=VoteOut)
def vote(translation_id: str, body: VoteIn, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> VoteOut:
    parsed = path_id(translation_id, "translation")
    queries.community_row(session, parsed, viewer.user.id)  # 404 unless the reader may see it
    row = actions.vote(session, services.clock.now(), viewer.user.id, parsed, body.value)
    return VoteOut(id=ids.encode(row.id), score=row.score, votes=row.votes, my_vote=body.value)


@router.delete("/translations/{translation_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_translation(translation_id: str, viewer: ViewerDep, session: DbDep) -> Response:
    parsed = path_id(translation_id, "translation")
    queries.community_row(session, parsed, viewer.user.id)
    actions.delete_community(session, viewer.user, parsed)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
