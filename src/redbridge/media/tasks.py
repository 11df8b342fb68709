"""Jobs of the media feature: video posters and removal of files nothing points at any more."""

from __future__ import annotations

from typing import Any

from redbridge.core.jobs import job
from redbridge.core.services import Services
from redbridge.media import actions


@job("media.make_poster", on=("media.video_uploaded",), retries=2, retry_delay=10.0)
def make_poster(services: Services, payload: dict[str, Any]) -> None:
    """Poster frame + thumbnail for a pending video; marks it ready, or failed if ffmpeg can't."""
    actions.make_video_poster(services, int(payload["media_id"]))


@job("media.delete_note_files", on=("note.deleted",))
def delete_note_files(services: Services, payload: dict[str, Any]) -> None:
    """Remove the stored files of a deleted note's media (their rows went with the note)."""
    actions.delete_files(services.storage, [str(k) for k in payload.get("media_keys", ())])


@job("media.purge_detached", on=("media.detached",))
def purge_detached(services: Services, payload: dict[str, Any]) -> None:
    """Media taken out of a carousel by an edit are deleted, unless re-attached since."""
    actions.purge_unattached(services, [int(i) for i in payload.get("media_ids", ())])


@job("media.delete_files")
def delete_files(services: Services, payload: dict[str, Any]) -> None:
    """Remove files by key (a replaced avatar); deleting a missing file is a no-op, so retries are safe."""
    actions.delete_files(services.storage, [str(k) for k in payload.get("keys", ())])


@job("media.sweep_pending")
def sweep_pending(services: Services, payload: dict[str, Any]) -> None:
    """Queue the poster job again for videos left pending too long (see ``actions.sweep_pending``)."""
    actions.sweep_pending(services)
