"""Who may use the moderators' and admins' endpoints: 401 without a session, 403 without the role.
The role is read from the account row (``Viewer.user``), never from a cache, so a change of role
takes effect on the next request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from redbridge.accounts.deps import Viewer, require_viewer
from redbridge.core.errors import forbidden


def require_moderator(viewer: Annotated[Viewer, Depends(require_viewer)]) -> Viewer:
    if not viewer.user.is_moderator:
        raise forbidden()
    return viewer


def require_admin(viewer: Annotated[Viewer, Depends(require_viewer)]) -> Viewer:
    if not viewer.user.is_admin:
        raise forbidden()
    return viewer


ModeratorDep = Annotated[Viewer, Depends(require_moderator)]
AdminDep = Annotated[Viewer, Depends(require_admin)]
