"""Writes for media: uploads, video posters, avatar files, and the carousel bookkeeping notes use.

Files and rows: an upload is processed (Pillow, ffprobe/ffmpeg) and its files stored first, with
no transaction open, and its row inserted after in a short ``with write(session):`` — so a row
always points at files that exist, and no image or video work ever holds the write lock
(``core.db.write``). If the row cannot be written the files are removed again. Files of deleted
media are removed by jobs after the deleting transaction commits.

Every upload is hostile until :mod:`redbridge.media.processing` says otherwise; any failure
in there becomes a 4xx ``AppError`` with a stable ``media.*`` code, never a 500.
"""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from redbridge.core import events, ids
from redbridge.core.db import write
from redbridge.core.errors import AppError
from redbridge.core.i18n import _
from redbridge.core.services import Services
from redbridge.core.storage import MediaStorage
from redbridge.media import workers as media_workers
from redbridge.media.models import Media
from redbridge.media.processing import (
    ImageLimits,
    MediaError,
    ProbedVideo,
    ProcessedImage,
    VideoLimits,
    ffmpeg_available,
    make_poster,
    probe_video,
    strip_video_metadata,
)
from redbridge.moderation import images
from redbridge.settings import MediaSettings

log = logging.getLogger("redbridge.media")

AVATAR_SIDE = 256
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".webm"})
_VIDEO_EXT = {"video/mp4": "mp4", "video/webm": "webm", "video/quicktime": "mov"}
_IMAGE_EXT = {"image/webp": "webp", "image/jpeg": "jpg"}
_COPY_CHUNK = 1024 * 1024

# One message per processing reason code. ``%(max_mb)s`` / ``%(max_minutes)s`` are filled with
# the configured limits (every message gets both parameters; most use neither).
MESSAGES: dict[str, str] = {
    "media.not_image": _("This file is not an image. Please upload a JPEG, PNG, WebP, GIF or HEIC photo."),
    "media.truncated": _("This image is incomplete or damaged. Please upload it again."),
    "media.too_many_pixels": _("This picture or video has too many pixels. Please upload a smaller one."),
    "media.too_large": _("This file is too large. The limit is %(max_mb)s MB."),
    "media.unsupported_format": _(
        "This file format is not supported. Please upload a JPEG, PNG, WebP, GIF or HEIC photo, "
        "or an MP4, MOV or WebM video."
    ),
    "media.not_video": _("This file is not a video."),
    "media.video_too_long": _("This video is too long. The limit is %(max_minutes)s minutes."),
    "media.ffmpeg_missing": _(
        "Video uploads are not available on this server because ffmpeg is not installed. "
        "Please post photos instead."
    ),
    "media.video_unreadable": _("This video could not be read. It may be damaged."),
}


def upload_error(exc: MediaError, settings: MediaSettings, *, video: bool) -> AppError:
    """The client-facing error for a processing failure: 413 for size, 422 for everything else."""
    max_bytes = settings.max_video_bytes if video else settings.max_image_bytes
    status = 413 if exc.code == "media.too_large" else 422
    return AppError(
        exc.code, MESSAGES[exc.code], status, fields={"file": exc.code.removeprefix("media.")},
        max_mb=f"{max_bytes / 2**20:.3g}", max_minutes=f"{settings.max_video_seconds / 60:.3g}",
    )


BUSY_MESSAGE = _("The server is busy with other uploads right now. Please try again in a moment.")


def busy_error(settings: MediaSettings) -> AppError:
    """503 for an upload that found every processing slot and the wait queue taken."""
    retry = str(settings.processing_retry_after_s)
    return AppError("media.busy", BUSY_MESSAGE, 503, headers={"Retry-After": retry})


@contextmanager
def _processing_slot(services: Services) -> Iterator[media_workers.MediaWorkers]:
    workers = media_workers.for_services(services)
    try:
        workers.acquire()
    except media_workers.Busy:
        raise busy_error(services.settings.media) from None
    try:
        yield workers
    finally:
        workers.release()


def image_limits(settings: MediaSettings) -> ImageLimits:
    return ImageLimits(max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels,
                       max_decode_bytes=settings.max_decode_bytes)


def video_limits(settings: MediaSettings) -> VideoLimits:
    return VideoLimits(max_bytes=settings.max_video_bytes, max_duration_s=settings.max_video_seconds)


def is_video_upload(filename: str | None, content_type: str | None) -> bool:
    """Video by declared type or by file name; the bytes are checked by ffprobe either way."""
    if (content_type or "").lower().startswith("video/"):
        return True
    return Path(filename or "").suffix.lower() in VIDEO_SUFFIXES


def read_capped(fh: BinaryIO, settings: MediaSettings) -> bytes:
    """An uploaded image's bytes; 413 once it is over the cap (never reads more than cap + 1)."""
    data = fh.read(settings.max_image_bytes + 1)
    if len(data) > settings.max_image_bytes:
        raise upload_error(MediaError("media.too_large"), settings, video=False)
    return data


def _spool_capped(fh: BinaryIO, target: Path, settings: MediaSettings) -> None:
    written = 0
    with target.open("wb") as out:
        while chunk := fh.read(_COPY_CHUNK):
            written += len(chunk)
            if written > settings.max_video_bytes:
                raise upload_error(MediaError("media.too_large"), settings, video=True)
            out.write(chunk)


def _key(prefix: str, media_id: int, at: datetime, ext: str) -> str:
    # Month folders keep directories small; the id makes the key unique, so a key's content
    # never changes and it can be cached forever.
    return f"{prefix}/{at:%Y/%m}/{media_id}.{ext}"


def _derived_key(key: str, suffix: str, ext: str) -> str:
    return f"{key.rpartition('.')[0]}{suffix}.{ext}"


@contextmanager
def stored(storage: MediaStorage, files: dict[str, bytes]) -> Iterator[None]:
    """Store ``files`` for the body of the block; remove them again if the block fails."""
    try:
        for key, data in files.items():
            storage.put(key, data)
        yield
    except BaseException:
        delete_files(storage, files)
        raise


def delete_files(storage: MediaStorage, keys: Iterable[str | None]) -> None:
    for key in keys:
        if key:
            storage.delete(key)


def _process(services: Services, raw: bytes) -> ProcessedImage:
    settings = services.settings.media
    with _processing_slot(services) as workers:
        try:
            return workers.process_image(raw, image_limits(settings), images.scorer(services))
        except MediaError as exc:
            raise upload_error(exc, settings, video=False) from None
        except Exception:  # a decoder bug on a hostile file is the file's problem, not a 500
            log.exception("image processing failed unexpectedly")
            raise upload_error(MediaError("media.not_image"), settings, video=False) from None


def _probe(path: Path, settings: MediaSettings) -> ProbedVideo:
    try:
        return probe_video(path, video_limits(settings), ffmpeg=settings.ffmpeg, ffprobe=settings.ffprobe)
    except MediaError as exc:
        raise upload_error(exc, settings, video=True) from None
    except Exception:  # same reason as for images
        log.exception("video probing failed unexpectedly")
        raise upload_error(MediaError("media.video_unreadable"), settings, video=True) from None


def _strip(path: Path, settings: MediaSettings) -> bytes:
    try:
        clean = strip_video_metadata(path, path.with_name("clean" + path.suffix), ffmpeg=settings.ffmpeg,
                                     ffprobe=settings.ffprobe)
    except MediaError as exc:
        raise upload_error(exc, settings, video=True) from None
    except Exception:  # same reason as for images
        log.exception("video remuxing failed unexpectedly")
        raise upload_error(MediaError("media.video_unreadable"), settings, video=True) from None
    return clean.read_bytes()


def _insert(session: Session, media: Media, max_distance: int | None = None) -> None:
    """The upload's one write, once its files are processed and stored. With ``max_distance`` an
    image whose hash is that close to a blocklist entry is refused (422) — checked in the write
    transaction, so on SQLite an entry either commits first (and refuses this) or after (and its
    job, scanning once it has committed, finds this row)."""
    with write(session):
        if max_distance is not None:
            images.refuse_if_blocked(session, media.phash, max_distance)
        session.add(media)
        if media.status == "pending":
            events.publish(session, "media.video_uploaded", {"media_id": media.id})


def _nsfw_verdict(services: Services, processed: ProcessedImage) -> str:
    cfg = services.settings.images
    return images.verdict_of(processed.nsfw_score, label=cfg.nsfw_label, hold=cfg.nsfw_hold)


def upload_image(session: Session, services: Services, owner_id: int, raw: bytes, alt: str) -> Media:
    """Re-encode an uploaded image (metadata stripped), store it and its thumbnail, add a ready row."""
    processed = _process(services, raw)
    now = services.clock.now()
    media_id = ids.new_id(now)
    ext = _IMAGE_EXT[processed.content_type]
    key = _key("i", media_id, now, ext)
    thumb_key = _derived_key(key, "_t", ext)
    media = Media(
        id=media_id, owner_id=owner_id, kind="image", status="ready", content_type=processed.content_type,
        key=key, thumb_key=thumb_key, poster_key=None, width=processed.width, height=processed.height,
        thumb_width=processed.thumb_width, thumb_height=processed.thumb_height, size_bytes=len(processed.data),
        duration_s=None, alt=alt.strip(), note_id=None, position=0, created_at=now,
        phash=processed.phash, nsfw_score=processed.nsfw_score, verdict=_nsfw_verdict(services, processed),
    )
    with stored(services.storage, {key: processed.data, thumb_key: processed.thumb}):
        _insert(session, media, services.settings.images.blocklist_distance)
    return media


def upload_video(
    session: Session, services: Services, owner_id: int, fh: BinaryIO, filename: str | None, alt: str
) -> Media:
    """Check an uploaded video, strip all its metadata (remux), store it; the row starts ``pending``.

    Publishes ``media.video_uploaded`` {media_id}: the ``media.make_poster`` job makes the poster
    and thumbnail and marks the row ``ready`` (or ``failed``). Without ffmpeg nothing is stored.
    """
    settings = services.settings.media
    if not ffmpeg_available(ffmpeg=settings.ffmpeg, ffprobe=settings.ffprobe):
        raise upload_error(MediaError("media.ffmpeg_missing"), settings, video=True)
    suffix = Path(filename or "").suffix.lower()
    with tempfile.TemporaryDirectory(prefix="redbridge-upload-") as tmp:
        # Our own file name: the client's name never reaches ffprobe's command line.
        path = Path(tmp) / ("upload" + (suffix if suffix in VIDEO_SUFFIXES else ""))
        _spool_capped(fh, path, settings)
        with _processing_slot(services):
            probed = _probe(path, settings)
            # What is stored and served is the remuxed copy: phones tag videos with where and
            # when they were shot and on which device, and none of that may reach other people.
            data = _strip(path, settings)
    now = services.clock.now()
    media_id = ids.new_id(now)
    key = _key("v", media_id, now, _VIDEO_EXT[probed.content_type])
    media = Media(
        id=media_id, owner_id=owner_id, kind="video", status="pending", content_type=probed.content_type,
        key=key, thumb_key=None, poster_key=None, width=probed.width, height=probed.height,
        thumb_width=0, thumb_height=0, size_bytes=len(data), duration_s=round(probed.duration_s, 3),
        alt=alt.strip(), note_id=None, position=0, created_at=now,
    )
    with stored(services.storage, {key: data}):
        _insert(session, media)
    return media


def upload(session: Session, services: Services, owner_id: int, fh: BinaryIO, *, filename: str | None,
           content_type: str | None, alt: str) -> Media:
    """Store one upload as a ready image or a pending video (see :func:`upload_video`)."""
    if is_video_upload(filename, content_type):
        return upload_video(session, services, owner_id, fh, filename, alt)
    return upload_image(session, services, owner_id, read_capped(fh, services.settings.media), alt)


def _finish_video(session: Session, media_id: int, **values: object) -> bool:
    """Set the outcome of a pending video; False when the row is gone or no longer pending."""
    with write(session):
        result = session.execute(
            update(Media).where(Media.id == media_id, Media.status == "pending").values(**values)
            .execution_options(synchronize_session=False)
        )
    return bool(getattr(result, "rowcount", 0))


def make_video_poster(services: Services, media_id: int) -> None:
    """Body of the ``media.make_poster`` job (idempotent: only a pending video is processed).

    ffmpeg runs outside any transaction. If the video was deleted meanwhile (its note was
    deleted), the files made here are removed again.
    """
    settings = services.settings.media
    with services.sessions() as session:
        media = session.get(Media, media_id)
        if media is None or media.kind != "video" or media.status != "pending":
            return
        key = media.key
    # The read transaction is over: ffmpeg may take seconds and must not hold a snapshot open.
    path = services.storage.path(key)
    try:
        if path is None:
            raise MediaError("media.video_unreadable", "stored file is missing")
        poster = make_poster(path, image_limits(settings), ffmpeg=settings.ffmpeg, ffprobe=settings.ffprobe)
    except MediaError as exc:
        log.warning("poster for media %s failed: %s", media_id, exc)
        with services.sessions() as session:
            _finish_video(session, media_id, status="failed")
        return
    ext = _IMAGE_EXT[poster.content_type]
    poster_key, thumb_key = _derived_key(key, "_p", ext), _derived_key(key, "_t", ext)
    files = {poster_key: poster.data, thumb_key: poster.thumb}
    with stored(services.storage, files), services.sessions() as session:
        finished = _finish_video(
            session, media_id, status="ready", poster_key=poster_key, thumb_key=thumb_key,
            thumb_width=poster.thumb_width, thumb_height=poster.thumb_height,
        )
    if not finished and not _poster_in_use(services, media_id, poster_key):
        # The row was deleted meanwhile. (If another run of this job finished first, the keys
        # are the same and its row points at them: they stay.)
        delete_files(services.storage, files)


def _poster_in_use(services: Services, media_id: int, poster_key: str) -> bool:
    with services.sessions() as session:
        return session.scalar(select(Media.poster_key).where(Media.id == media_id)) == poster_key


@dataclass(frozen=True)
class SweepResult:
    requeued: list[int]
    failed: list[int]


def sweep_pending(services: Services, *, older_than_s: float | None = None) -> SweepResult:
    """Queue ``media.make_poster`` again for videos pending longer than the requeue bound
    (``older_than_s``, default ``media.pending_requeue_after_s``).

    A job is lost when its worker dies mid-run (kill -9, OOM): huey has already taken it off the
    queue. Queuing it again is harmless because the job only processes a row that is still
    pending. A video pending past the give-up bound is marked ``failed``, so that a file that
    kills its worker every time cannot keep a row pending (and requeued) forever.
    """
    settings = services.settings.media
    now = services.clock.now()
    bound = settings.pending_requeue_after_s if older_than_s is None else older_than_s
    requeue_before = now - timedelta(seconds=bound)
    give_up_before = now - timedelta(seconds=settings.pending_give_up_after_s)
    with services.sessions() as session:
        rows = session.execute(
            select(Media.id, Media.created_at)
            .where(Media.kind == "video", Media.status == "pending", Media.created_at <= requeue_before)
            .order_by(Media.created_at)
        ).all()
    failed = [media_id for media_id, created in rows if created < give_up_before]
    requeued = [media_id for media_id, created in rows if created >= give_up_before]
    for media_id in failed:
        log.warning("video %s pending since before %s: marked failed", media_id, give_up_before)
        with services.sessions() as session:
            _finish_video(session, media_id, status="failed")
    for media_id in requeued:
        services.queue.enqueue("media.make_poster", {"media_id": media_id})
    if requeued:
        log.info("requeued %d pending video(s)", len(requeued))
    return SweepResult(requeued=requeued, failed=failed)


def count_upload(services: Services, user_id: int) -> None:
    """One upload against the account's rate limit (429 once over it): API and pages alike."""
    services.limiter.hit("upload-account", ids.encode(user_id), services.settings.rate_limits.upload_per_account)


def _square_avatar(processed: ProcessedImage) -> bytes:
    """A center-cropped AVATAR_SIDE square, from our own clean re-encoded copy (never the upload)."""
    fmt = "WEBP" if processed.content_type == "image/webp" else "JPEG"
    with Image.open(io.BytesIO(processed.data), formats=[fmt]) as img:
        img.load()
        square = ImageOps.fit(img, (AVATAR_SIDE, AVATAR_SIDE), method=Image.Resampling.LANCZOS)
    if fmt == "JPEG" and square.mode != "RGB":
        square = square.convert("RGB")
    buf = io.BytesIO()
    square.save(buf, fmt, quality=85)
    return buf.getvalue()


def avatar_file(services: Services, fh: BinaryIO, session: Session) -> tuple[str, bytes]:
    """An uploaded picture as the square avatar file to store (``accounts.actions.set_avatar``
    stores it with ``stored`` and points the account at it): its key and bytes. A picture on the
    blocklist, or one the NSFW score would hold, is refused (422): an avatar is shown on every
    byline, with no held state to wait in (``session``: the blocklist is read before any write)."""
    processed = _process(services, read_capped(fh, services.settings.media))
    images.refuse_if_blocked(session, processed.phash, services.settings.images.blocklist_distance)
    if _nsfw_verdict(services, processed) == images.HOLD:
        raise AppError("moderation.rejected", images.AVATAR_HOLD_MESSAGE, 422,
                       fields={"reasons": ["sexual"], "file": "sensitive"})
    now = services.clock.now()
    return _key("a", ids.new_id(now), now, _IMAGE_EXT[processed.content_type]), _square_avatar(processed)


def purge_unattached(services: Services, media_ids: Sequence[int]) -> None:
    """Delete the rows and files of these media if they are (still) attached to no note."""
    if not media_ids:
        return
    with services.sessions() as session, write(session):
        # One statement, "still unattached" in its own WHERE: on PostgreSQL a note edit attaching
        # one of these (it locks the row first) makes this wait and then skip the row.
        rows = session.execute(
            delete(Media).where(Media.id.in_(list(media_ids)), Media.note_id.is_(None))
            .returning(Media.key, Media.thumb_key, Media.poster_key)
            .execution_options(synchronize_session=False)
        ).all()
    # After the commit, not in it: storage is a call-out (and the rows are gone, so nothing
    # points at these files any more).
    delete_files(services.storage, (k for r in rows for k in r))


# ---------------------------------------------------------------------------------------------
# Carousel bookkeeping. These run inside the caller's (the notes action's) write transaction.
# ---------------------------------------------------------------------------------------------


def lock_for_note(session: Session, media_ids: Sequence[int]) -> dict[int, Media]:
    """The rows of ``media_ids``, locked until the caller commits (PostgreSQL; SQLite's write
    transaction already excludes other writers). Two notes racing for one upload serialise
    here, and the loser sees the winner's ``note_id``."""
    if not media_ids:
        return {}
    rows = session.scalars(
        select(Media).where(Media.id.in_(list(media_ids))).with_for_update()
        .execution_options(populate_existing=True)
    )
    return {m.id: m for m in rows}


def attach(note_id: int, ordered: Sequence[Media]) -> None:
    """Attach locked rows to a note in carousel order (flushed with the caller's commit)."""
    for position, media in enumerate(ordered):
        media.note_id = note_id
        media.position = position


def detach_except(session: Session, note_id: int, keep: Iterable[int]) -> list[int]:
    """Detach the note's media not in ``keep``; returns their ids."""
    kept = set(keep)
    removed = [m for m in session.scalars(select(Media).where(Media.note_id == note_id).with_for_update())
               if m.id not in kept]
    for media in removed:
        media.note_id = None
        media.position = 0
    return [m.id for m in removed]


def delete_for_note(session: Session, note_id: int) -> list[str]:
    """Delete a note's media rows; returns the storage keys whose files should go after commit."""
    rows = session.execute(
        select(Media.key, Media.thumb_key, Media.poster_key).where(Media.note_id == note_id)
    ).all()
    session.execute(delete(Media).where(Media.note_id == note_id).execution_options(synchronize_session=False))
    return [key for row in rows for key in row if key]
