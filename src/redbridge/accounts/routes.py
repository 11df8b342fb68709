"""Thin HTTP layer of accounts: /api/v1/auth/* and /api/v1/users/*."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from redbridge.accounts import actions, flows, queries, trust
from redbridge.accounts.deps import OptionalViewerDep, ViewerDep
from redbridge.accounts.models import User
from redbridge.accounts.schemas import (
    AuthOut,
    ChallengeOut,
    LoginIn,
    Me,
    PasswordChange,
    Profile,
    ProfileUpdate,
    SessionOut,
    SignupIn,
    UserBrief,
)
from redbridge.core.deps import DbDep, ServicesDep
from redbridge.core.errors import AppError, path_id
from redbridge.core.i18n import _
from redbridge.core.pagination import Page, PageLimit
from redbridge.core.security import csrf_token
from redbridge.core.services import Services
from redbridge.moderation import screening

auth_router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
users_router = APIRouter(prefix="/api/v1/users", tags=["users"])


def _auth_out(services: Services, opened: flows.Opened) -> AuthOut:
    return AuthOut(token=opened.token, csrf_token=csrf_token(services.secret, opened.auth.token_digest),
                   user=queries.me(opened.user))


@auth_router.post("/signup", status_code=status.HTTP_201_CREATED, response_model=AuthOut)
async def signup(body: SignupIn, request: Request, services: ServicesDep) -> AuthOut:
    return _auth_out(services, await flows.signup(services, request, body))


@auth_router.get("/challenge", response_model=ChallengeOut)
def challenge(services: ServicesDep) -> ChallengeOut:
    """A signup proof-of-work challenge (required while surge mode is on: docs/security.md)."""
    return flows.challenge(services)


@auth_router.post("/login", response_model=AuthOut)
async def login(body: LoginIn, request: Request, services: ServicesDep) -> AuthOut:
    return _auth_out(services, await flows.login(services, request, body))


@auth_router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(viewer: ViewerDep, session: DbDep, services: ServicesDep) -> Response:
    actions.revoke_session(session, viewer.user, viewer.auth.id, services.clock.now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@auth_router.get("/me", response_model=Me)
def get_me(viewer: ViewerDep) -> Me:
    return queries.me(viewer.user)


@auth_router.patch("/me", response_model=Me)
def update_me(body: ProfileUpdate, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> Me:
    """Change your profile and settings; a display name or bio the moderation pipeline refuses is
    422 (``moderation.rejected``, or ``moderation.review_required`` for one it would hold)."""
    return queries.me(actions.update_profile(session, viewer.user, body, checker=screening.checker(services),
                                             now=services.clock.now()))


@auth_router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(body: PasswordChange, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> Response:
    if not await services.passwords.verify(viewer.user.password_hash, body.current_password):
        raise AppError("auth.invalid", _("Wrong password."), 403, fields={"current_password": "invalid"})
    actions.check_password(body.new_password, viewer.user.username, viewer.user.email,
                           min_strength=services.settings.passwords.min_strength)
    new_hash = await services.passwords.hash(body.new_password)

    def store() -> None:
        # The request's own session (the viewer was loaded in it): a second one would hold a
        # second connection (core.admission).
        actions.set_password_hash(session, viewer.user.id, new_hash)
        # A changed password ends every other session: the usual reason to change it is
        # that someone else might be logged in.
        actions.revoke_all_sessions(session, viewer.user.id, services.clock.now(), keep=viewer.auth.id)

    await run_in_threadpool(store)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@auth_router.get("/sessions", response_model=list[SessionOut])
def list_sessions(viewer: ViewerDep, session: DbDep, services: ServicesDep) -> list[SessionOut]:
    return queries.session_list(session, viewer.user.id, viewer.auth.id, services.clock.now())


@auth_router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_session(session_id: str, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> Response:
    parsed = path_id(session_id, "session")
    actions.revoke_session(session, viewer.user, parsed, services.clock.now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@users_router.get("/{username}", response_model=Profile)
def get_profile(username: str, viewer: OptionalViewerDep, session: DbDep) -> Profile:
    user = queries.get_active(session, username)
    return queries.profile(session, user, viewer.user.id if viewer else None)


def _target(session: Session, username: str) -> User:
    return queries.get_active(session, username)


@users_router.post("/{username}/follow", response_model=Profile)
def follow(username: str, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> Profile:
    target = _target(session, username)
    trust.limit(services, session, viewer.user, "follow")
    actions.follow(session, viewer.user, target, services.clock.now())
    return queries.profile(session, queries.get_active(session, username), viewer.user.id)


@users_router.delete("/{username}/follow", response_model=Profile)
def unfollow(username: str, viewer: ViewerDep, session: DbDep) -> Profile:
    target = _target(session, username)
    actions.unfollow(session, viewer.user, target)
    return queries.profile(session, queries.get_active(session, username), viewer.user.id)


@users_router.post("/{username}/block", status_code=status.HTTP_204_NO_CONTENT)
def block(username: str, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> Response:
    actions.block(session, viewer.user, _target(session, username), services.clock.now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@users_router.delete("/{username}/block", status_code=status.HTTP_204_NO_CONTENT)
def unblock(username: str, viewer: ViewerDep, session: DbDep) -> Response:
    actions.unblock(session, viewer.user, _target(session, username))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@users_router.post("/{username}/mute", status_code=status.HTTP_204_NO_CONTENT)
def mute(username: str, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> Response:
    actions.mute(session, viewer.user, _target(session, username), services.clock.now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@users_router.delete("/{username}/mute", status_code=status.HTTP_204_NO_CONTENT)
def unmute(username: str, viewer: ViewerDep, session: DbDep) -> Response:
    actions.unmute(session, viewer.user, _target(session, username))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@users_router.get("/{username}/followers", response_model=Page[UserBrief])
def followers(username: str, session: DbDep, cursor: str | None = None, limit: PageLimit = 20) -> Page[UserBrief]:
    return queries.followers(session, _target(session, username), cursor, limit)


@users_router.get("/{username}/following", response_model=Page[UserBrief])
def following(username: str, session: DbDep, cursor: str | None = None, limit: PageLimit = 20) -> Page[UserBrief]:
    return queries.following(session, _target(session, username), cursor, limit)
