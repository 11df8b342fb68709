"""The viewer's own settings: edit profile (``/settings/profile``) and login sessions
(``/settings/sessions``).

The same actions as the API: ``accounts.actions.update_profile`` (``PATCH /api/v1/auth/me``),
``accounts.actions.set_avatar`` / ``clear_avatar`` (``PUT`` / ``DELETE /api/v1/auth/me/avatar``, with
the same upload rate limit), ``accounts.queries.session_list`` and ``accounts.actions.revoke_session``
/ ``revoke_all_sessions`` (``/api/v1/auth/sessions``). Everything here is the viewer's own: a
session id of another account is not found, exactly as in the API.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from starlette.datastructures import FormData, UploadFile

from redbridge.accounts import actions, queries
from redbridge.accounts.models import User
from redbridge.accounts.schemas import ProfileUpdate
from redbridge.core.errors import AppError, path_id
from redbridge.core.i18n import gettext
from redbridge.media import actions as media_actions
from redbridge.moderation import screening
from redbridge.web.deps import FormDep, PageContext, PageDep, form_list, form_text, is_htmx
from redbridge.web.forms import FormErrors, app_error_fields, validate
from redbridge.web.pages.auth import require_read_langs

router = APIRouter(include_in_schema=False)
TEXT_FIELDS = ("display_name", "bio", "region", "ui_lang")
AVATAR = "avatar"


# ----------------------------------------------------------------------------------- edit profile


def _current(user: User) -> dict[str, Any]:
    return {"display_name": user.display_name, "bio": user.bio, "region": user.region, "ui_lang": user.ui_lang,
            "read_langs": list(user.read_langs or []), "interests": list(user.interests or []),
            "always_translate": bool(user.always_translate)}


def _profile_form(page: PageContext, user: User, values: dict[str, Any], errors: dict[str, str],
                  status: int = 200) -> Response:
    return page.render("pages/settings_profile.html", status=status, values=values, errors=errors,
                       avatar=queries.brief(user), section="profile", tab="")


@router.get("/settings/profile", name="settings_profile")
def edit_profile_form(page: PageDep) -> Response:
    viewer = page.require_login()
    return _profile_form(page, viewer.user, _current(viewer.user), {})


def _uploaded(form: FormData) -> UploadFile | None:
    """The avatar file, if one was chosen (a form without a choice sends an empty, nameless part)."""
    value = form.get(AVATAR)
    return value if isinstance(value, UploadFile) and value.filename else None


@router.post("/settings/profile")
def edit_profile(page: PageDep, form: FormDep) -> Response:
    """Save the profile. Nothing is stored unless everything is valid: the fields are checked first,
    then the picture (a refused picture leaves the old one and the text unchanged)."""
    viewer = page.require_login("/settings/profile")
    values: dict[str, Any] = {name: form_text(form, name) for name in TEXT_FIELDS}
    values["read_langs"] = form_list(form, "read_langs")
    values["interests"] = form_list(form, "interests")
    # A checkbox: sent when ticked, absent when not (this form always carries every setting).
    values["always_translate"] = form_text(form, "always_translate") == "1"
    errors: dict[str, str] = {}
    changes = None
    try:
        require_read_langs(values["read_langs"], page.locale)
    except FormErrors as refused:
        errors.update(refused.errors)
    try:
        changes = validate(ProfileUpdate, page.locale, **{**values, "ui_lang": values["ui_lang"] or None})
    except FormErrors as refused:
        errors = {**refused.errors, **errors}
    if errors or changes is None:
        return _profile_form(page, viewer.user, values, errors, 422)
    # The text is screened before the picture is stored (the action screens it again, as one
    # text): a refused name or bio leaves everything unchanged, and says which field.
    checker = screening.checker(page.services)
    for name in ("display_name", "bio"):
        try:
            screening.screen_profile(checker, values.get(name) or "")
        except AppError as exc:
            errors[name] = gettext(exc.message, page.locale, **exc.params)
    if errors:
        return _profile_form(page, viewer.user, values, errors, 422)
    upload = _uploaded(form)
    try:
        if upload is not None:
            media_actions.count_upload(page.services, viewer.id)
            actions.set_avatar(page.session, page.services, viewer.user, upload.file)
        elif form_text(form, "remove_avatar") == "1" and viewer.user.avatar_key:
            actions.clear_avatar(page.session, page.services, viewer.user)
    except AppError as exc:
        if exc.status not in (413, 422):
            raise
        # The upload's refusal names the API's "file" field; here the field is the avatar input.
        message = next(iter(app_error_fields(exc, page.locale).values()))
        return _profile_form(page, viewer.user, values, {AVATAR: message}, exc.status)
    try:
        user = actions.update_profile(page.session, viewer.user, changes, checker=checker, now=page.services.clock.now())
    except AppError as exc:
        if exc.status != 422:
            raise
        return _profile_form(page, viewer.user, values, app_error_fields(exc, page.locale), 422)
    return page.redirect(f"/u/{user.username}")


# --------------------------------------------------------------------------------------- sessions


@router.get("/settings/sessions", name="settings_sessions")
def sessions_page(page: PageDep) -> Response:
    viewer = page.require_login()
    listed = queries.session_list(page.session, viewer.id, viewer.auth.id, page.services.clock.now())
    return page.render("pages/settings_sessions.html", sessions=listed, section="sessions", tab="")


@router.post("/settings/sessions/{session_id}/revoke", name="revoke_session")
def revoke_session(session_id: str, page: PageDep) -> Response:
    """End one of the viewer's sessions (another account's id: 404, nothing changes). Ending the
    current one is logging out: the cookie goes too."""
    viewer = page.require_login("/settings/sessions")
    target = path_id(session_id, "session")
    actions.revoke_session(page.session, viewer.user, target, page.services.clock.now())
    if target == viewer.auth.id:
        response = page.redirect("/")
        page.clear_session_cookie(response)
        return response
    if is_htmx(page.request):
        return Response(status_code=200)  # hx-swap="outerHTML" on the row: an empty answer removes it
    return page.redirect("/settings/sessions")


@router.post("/settings/sessions/revoke-others", name="revoke_other_sessions")
def revoke_other_sessions(page: PageDep) -> Response:
    """Log out everywhere else: every session of the viewer's but this one."""
    viewer = page.require_login("/settings/sessions")
    actions.revoke_all_sessions(page.session, viewer.id, page.services.clock.now(), keep=viewer.auth.id)
    return page.redirect("/settings/sessions")
