"""The rules editor's pages (admins; docs/moderation.md, "Rules editor"): administrators' rules with
filters, the add and edit forms, disable / enable buttons, a "try a text" box, and the shipped
rules with their disable / restore buttons.

The same actions and queries as ``/api/v1/admin/moderation/rules`` (``rules.actions``,
``rules.queries``), so a page change is validated, versioned and audited exactly as the API's. The
role is read from the account row on every request: another account gets the 403 page, nobody
logged in the login redirect. Forms post with the CSRF field and work without JavaScript.
"""

from __future__ import annotations

from typing import Any, get_args

from fastapi import APIRouter, Response
from starlette.datastructures import FormData

from redbridge.core.errors import path_id
from redbridge.moderation.live import live_rules
from redbridge.moderation.rules import ACTIONS, CATEGORIES, LANGS, Kind
from redbridge.rules import actions, queries
from redbridge.rules.schemas import OverrideIn, RuleIn, RulePatch, TryIn
from redbridge.web.deps import FormDep, PageContext, PageDep, form_text
from redbridge.web.forms import FormErrors, catch, validate
from redbridge.web.pages.common import url_with

router = APIRouter(include_in_schema=False)
BASE = "/admin/rules"
FIELDS = ("kind", "pattern", "category", "lang", "action", "allow", "note")
KINDS: tuple[str, ...] = get_args(Kind)


def _filters(page: PageContext) -> dict[str, str | None]:
    params = page.request.query_params

    def one(name: str, allowed: tuple[str, ...]) -> str | None:
        value = params.get(name) or None
        return value if value in allowed else None

    q = (params.get("q") or "")[:200] or None
    return {"category": one("category", CATEGORIES), "lang": one("lang", LANGS), "kind": one("kind", KINDS),
            "enabled": one("enabled", ("true", "false")), "q": q}


def _list(page: PageContext, status: int = 200, *, values: dict[str, Any] | None = None,
          errors: dict[str, str] | None = None, tried: Any = None, try_text: str = "") -> Response:
    filters = _filters(page)
    cursor = page.request.query_params.get("cursor")
    enabled = None if filters["enabled"] is None else filters["enabled"] == "true"
    listed = queries.rules_page(page.session, category=filters["category"], lang=filters["lang"],
                                kind=filters["kind"], enabled=enabled, q=filters["q"],
                                cursor=cursor[:2048] if cursor else None, limit=20)
    more = url_with(BASE, **filters, cursor=listed.next_cursor) if listed.next_cursor else None
    return page.render("pages/rules/list.html", status=status, rules=listed.items, more=more, filters=filters,
                       values=values or {"kind": "term", "lang": "any", "action": "hold", "category": "spam"},
                       errors=errors or {}, tried=tried, try_text=try_text, **_choices())


def _choices() -> dict[str, Any]:
    return {"categories": CATEGORIES, "kinds": KINDS, "langs": LANGS, "actions": ACTIONS, "tab": ""}


def _values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: form_text(form, name) for name in FIELDS if name != "allow"}
    # The pattern as typed: a regex's spaces are its meaning (form_text strips).
    raw = form.get("pattern")
    values["pattern"] = raw if isinstance(raw, str) else ""
    allow = form.get("allow")
    values["allow"] = allow if isinstance(allow, str) else ""
    return values


def _rule_fields(values: dict[str, Any]) -> dict[str, Any]:
    allow = [line.strip() for line in str(values["allow"]).splitlines() if line.strip()]
    return {"kind": values["kind"], "pattern": values["pattern"], "category": values["category"],
            "lang": values["lang"], "action": values["action"], "allow": allow, "note": values["note"]}


@router.get(BASE, name="rules_list")
def rules_list(page: PageDep) -> Response:
    page.require_admin()
    return _list(page)


@router.post(BASE)
def rules_create(page: PageDep, form: FormDep) -> Response:
    viewer = page.require_admin(BASE)
    values = _values(form)
    try:
        data = validate(RuleIn, page.locale, **_rule_fields(values))
        catch(page.locale, lambda: actions.create(page.session, page.services.clock.now(), viewer.id, data))
    except FormErrors as refused:
        return _list(page, refused.status, values=values, errors=refused.errors)
    return page.redirect(BASE)


@router.post(f"{BASE}/try")
def rules_try(page: PageDep, form: FormDep) -> Response:
    viewer = page.require_admin(BASE)
    text = form_text(form, "text")
    try:
        data = validate(TryIn, page.locale, text=text)
    except FormErrors as refused:
        return _list(page, 422, errors={"text": next(iter(refused.errors.values()))}, try_text=text)
    tried = actions.try_text(page.session, page.services.clock.now(), viewer.id, live_rules(page.services), data.text)
    return _list(page, tried=tried, try_text=text)


def _edit_form(page: PageContext, rule_id: str, values: dict[str, Any], errors: dict[str, str],
               status: int = 200) -> Response:
    return page.render("pages/rules/edit.html", status=status, rule_id=rule_id, values=values, errors=errors,
                       **_choices())


@router.get(BASE + "/{rule_id}/edit", name="rules_edit")
def rules_edit_form(rule_id: str, page: PageDep) -> Response:
    page.require_admin()
    rule = queries.get_rule(page.session, path_id(rule_id, "rule"))
    values = {**rule.model_dump(), "allow": "\n".join(rule.allow)}
    return _edit_form(page, rule.id, values, {})


@router.post(BASE + "/{rule_id}/edit")
def rules_edit(rule_id: str, page: PageDep, form: FormDep) -> Response:
    viewer = page.require_admin(BASE)
    parsed = path_id(rule_id, "rule")
    values = _values(form)
    try:
        patch = validate(RulePatch, page.locale, **_rule_fields(values))
        catch(page.locale, lambda: actions.update(page.session, page.services.clock.now(), viewer.id, parsed, patch))
    except FormErrors as refused:
        return _edit_form(page, rule_id, values, refused.errors, refused.status)
    return page.redirect(BASE)


@router.post(BASE + "/{rule_id}/disable")
def rules_disable(rule_id: str, page: PageDep, form: FormDep) -> Response:
    viewer = page.require_admin(BASE)
    actions.set_enabled(page.session, page.services.clock.now(), viewer.id, path_id(rule_id, "rule"), False)
    return page.redirect(BASE)


@router.post(BASE + "/{rule_id}/enable")
def rules_enable(rule_id: str, page: PageDep, form: FormDep) -> Response:
    viewer = page.require_admin(BASE)
    actions.set_enabled(page.session, page.services.clock.now(), viewer.id, path_id(rule_id, "rule"), True)
    return page.redirect(BASE)


# ------------------------------------------------------------------------------- shipped rules


@router.get(BASE + "/shipped", name="rules_shipped")
def shipped_list(page: PageDep) -> Response:
    page.require_admin()
    filters = _filters(page)
    cursor = page.request.query_params.get("cursor")
    listed = queries.shipped_page(page.session, category=filters["category"], lang=filters["lang"],
                                  kind=filters["kind"], q=filters["q"], cursor=cursor[:2048] if cursor else None,
                                  limit=50)
    more = url_with(f"{BASE}/shipped", **filters, cursor=listed.next_cursor) if listed.next_cursor else None
    return page.render("pages/rules/shipped.html", rules=listed.items, more=more, filters=filters, **_choices())


@router.post(BASE + "/shipped/override")
def shipped_override(page: PageDep, form: FormDep) -> Response:
    viewer = page.require_admin(BASE)
    shipped_id = form_text(form, "id")[:300]
    enabled = form_text(form, "enabled") == "true"
    action = form_text(form, "action") or None
    data = validate(OverrideIn, page.locale, enabled=enabled, action=action if action in ACTIONS else None)
    actions.override(page.session, page.services.clock.now(), viewer.id, shipped_id, data)
    return page.redirect(url_with(f"{BASE}/shipped", q=shipped_id))


@router.post(BASE + "/shipped/restore")
def shipped_restore(page: PageDep, form: FormDep) -> Response:
    viewer = page.require_admin(BASE)
    shipped_id = form_text(form, "id")[:300]
    actions.restore(page.session, page.services.clock.now(), viewer.id, shipped_id)
    return page.redirect(url_with(f"{BASE}/shipped", q=shipped_id))
