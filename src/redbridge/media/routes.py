"""Thin HTTP layer of media: uploads (/api/v1/media), avatars (/api/v1/auth/me/avatar) and the
file server (/media/<key>, what ``<img src>`` points at)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, FastAPI, File, Form, UploadFile, status
from fastapi.responses import FileResponse

from redbridge.accounts import actions as account_actions
from redbridge.accounts import queries as account_queries
from redbridge.accounts.deps import ViewerDep
from redbridge.accounts.schemas import Me
from redbridge.core.deps import DbDep, ServicesDep
from redbridge.core.errors import ErrorEnvelope, not_found, path_id
from redbridge.core.services import Services
from redbridge.core.storage import valid_key
from redbridge.media import actions, background, queries
from redbridge.media.schemas import MediaOut

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorEnvelope} for code in (401, 403, 404, 413, 422, 429, 503)
}
# Keys embed a fresh id, so the bytes behind a key never change: browsers and CDNs may keep them.
CACHE_FOREVER = "public, max-age=31536000, immutable"

@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Merged into the app's lifespan by ``include_router`` (inside it: the job worker is running)."""
    services: Services = app.state.services
    sweeper = None
    if services.settings.jobs_mode != "immediate":
        sweeper = background.PendingSweeper(services)
        sweeper.start()
    try:
        yield
    finally:
        if sweeper is not None:
            sweeper.stop()
        # The worker processes are closed with the services (``Services.state``).


router = APIRouter(lifespan=lifespan)

UploadField = Annotated[UploadFile, File(description="An image (JPEG, PNG, WebP, GIF, HEIC/AVIF) or a video "
                                                     "(MP4, MOV, WebM).")]
# PostgreSQL text cannot hold NUL; refusing it here makes it a 422 instead of a database error.
AltField = Annotated[str, Form(max_length=200, pattern=r"^[^\x00]*$",
                               description="Alternative text for screen readers.")]


def _count_upload(services: Services, user_id: int) -> None:
    actions.count_upload(services, user_id)


@router.post("/api/v1/media", status_code=status.HTTP_201_CREATED, response_model=MediaOut, tags=["media"],
             responses=ERRORS)
def upload(file: UploadField, viewer: ViewerDep, session: DbDep, services: ServicesDep, alt: AltField = "") -> MediaOut:
    """Upload one image (stored ready) or one video (stored pending until its poster is made)."""
    # The viewer's id, not its row: loading the row would hold a connection through the wait
    # for a processing slot and the processing itself (docs/security.md, "Crowds").
    _count_upload(services, viewer.id)
    media = actions.upload(session, services, viewer.id, file.file, filename=file.filename,
                           content_type=file.content_type, alt=alt)
    return queries.media_out(media)


@router.get("/api/v1/media/{media_id}", response_model=MediaOut, tags=["media"], responses=ERRORS)
def get_media(media_id: str, viewer: ViewerDep, session: DbDep) -> MediaOut:
    """One of your own uploads (poll this for a video's status: pending → ready / failed)."""
    parsed = path_id(media_id, "media")
    return queries.media_out(queries.owned(session, parsed, viewer.user.id))


@router.get(
    "/media/{key:path}",
    response_class=FileResponse,
    response_model=None,
    tags=["media"],
    responses={
        200: {"description": "The stored file.", "content": {ct: {} for ct in sorted(set(queries.CONTENT_TYPES.values()))}},
        206: {"description": "The requested byte range of the stored file."},
        400: {"description": "Malformed Range header (plain text)."},
        404: {"model": ErrorEnvelope},
        416: {"description": "Range not satisfiable."},
    },
)
def serve(key: str, services: ServicesDep) -> FileResponse:
    """A stored file, cacheable forever; supports Range requests (video seeking)."""
    content_type = queries.content_type_for(key)
    path = services.storage.path(key) if content_type is not None and valid_key(key) else None
    if path is None:
        raise not_found("media")
    return FileResponse(path, media_type=content_type,
                        headers={"Cache-Control": CACHE_FOREVER, "X-Content-Type-Options": "nosniff"})


@router.put("/api/v1/auth/me/avatar", response_model=Me, tags=["auth"], responses=ERRORS)
def put_avatar(file: UploadField, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> Me:
    """Replace your avatar with a picture (center-cropped to a square)."""
    _count_upload(services, viewer.id)
    return account_queries.me(account_actions.set_avatar(session, services, viewer.user, file.file))


@router.delete("/api/v1/auth/me/avatar", response_model=Me, tags=["auth"], responses=ERRORS)
def delete_avatar(viewer: ViewerDep, session: DbDep, services: ServicesDep) -> Me:
    return account_queries.me(account_actions.clear_avatar(session, services, viewer.user))
