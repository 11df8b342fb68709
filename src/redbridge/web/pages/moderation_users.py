"""The moderators' page for one account, ``/moderation/users/{username}`` (docs/moderation.md,
"Account actions"): its standing, counts, the decisions about its content, the reports against it
and its account actions, with the form to warn, mute, suspend or ban it and a lift button per
action in force. Works without JavaScript (plain forms, CSRF-checked, 303 back to the page).

The same query and actions as the API (``safety.queries.account_history``,
``safety.actions.act_on_account`` / ``lift_action``), so the role rules, the audit rows and the
notices are the API's. A refusal the moderator can fix (a missing period: 422, an action no longer
in force: 409) comes back at the form; the role rules' 403 is the error page, as a wrong role is.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Response

from redbridge.core.errors import path_id
from redbridge.safety import actions, queries
from redbridge.safety.models import ACCOUNT_ACTIONS, ACTION_REASONS
from redbridge.safety.schemas import MAX_HOURS, AccountActionIn
from redbridge.web.deps import FormDep, PageContext, PageDep, form_text
from redbridge.web.forms import FormErrors, catch, validate

router = APIRouter(include_in_schema=False)
TEMPLATE = "pages/moderation_users/account.html"
# The periods the form offers (the API takes any number of hours up to MAX_HOURS).
PERIODS = (1, 24, 72, 168, 720, MAX_HOURS)


def _url(username: str) -> str:
    return f"/moderation/users/{quote(username, safe='')}"


def _page(page: PageContext, username: str, status: int = 200, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None) -> Response:
    history = queries.account_history(page.session, username, page.services.clock.now())
    viewer = page.viewer
    return page.render(TEMPLATE, status=status, account=history, errors=errors or {}, values=values or {},
                       actions=ACCOUNT_ACTIONS, reasons=ACTION_REASONS, periods=PERIODS, section="account",
                       is_admin=viewer is not None and viewer.user.is_admin, tab="moderation")


@router.get("/moderation/users/{username}", name="moderation_user")
def account_page(username: str, page: PageDep) -> Response:
    page.require_moderator()
    return _page(page, username)


@router.post("/moderation/users/{username}/actions", name="moderation_user_act")
def act(username: str, page: PageDep, form: FormDep) -> Response:
    moderator = page.require_moderator(_url(username)).user
    values = {"action": form_text(form, "action"), "reason": form_text(form, "reason"),
              "hours": form_text(form, "hours")}
    hours = values["hours"].strip()
    try:
        data = validate(AccountActionIn, page.locale, action=values["action"], reason=values["reason"],
                        hours=(int(hours) if hours.isdigit() else hours) if hours else None)
        catch(page.locale, lambda: actions.act_on_account(
            page.session, page.services.clock.now(), moderator, username, data))
    except FormErrors as refused:
        return _page(page, username, refused.status, refused.errors, values)
    return page.redirect(_url(username))


@router.post("/moderation/users/{username}/actions/{action_id}/lift", name="moderation_user_lift")
def lift(username: str, action_id: str, page: PageDep) -> Response:
    moderator = page.require_moderator(_url(username)).user
    parsed = path_id(action_id, "account_action")
    try:
        catch(page.locale, lambda: actions.lift_action(page.session, page.services.clock.now(), moderator,
                                                       username, parsed))
    except FormErrors as refused:
        return _page(page, username, refused.status, refused.errors)
    return page.redirect(_url(username))
