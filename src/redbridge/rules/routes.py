"""Thin HTTP layer of the rules editor under /api/v1/admin/moderation/rules (docs/moderation.md,
"Rules editor"). Moderators and admins read the rules and try texts against them (a moderator
needs to know what a verdict's evidence names); only admins change them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from redbridge.core.deps import DbDep, ServicesDep
from redbridge.core.errors import ErrorEnvelope, path_id
from redbridge.core.pagination import Page, PageLimit
from redbridge.moderation.live import live_rules
from redbridge.rules import actions, queries
from redbridge.rules.schemas import (
    Category,
    Kind,
    Lang,
    OverrideIn,
    RuleIn,
    RuleOut,
    RulePatch,
    ShippedRuleOut,
    TryIn,
    TryOut,
)
from redbridge.safety.deps import AdminDep, ModeratorDep

ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorEnvelope} for code in (400, 401, 403, 404, 409, 422)}
router = APIRouter(prefix="/api/v1/admin/moderation/rules", tags=["rules"], responses=ERRORS)
Cursor = Annotated[str | None, Query(max_length=2048)]
Search = Annotated[str | None, Query(max_length=200)]
ShippedId = Annotated[str, Query(max_length=300)]


@router.get("", response_model=Page[RuleOut])
def list_rules(viewer: ModeratorDep, session: DbDep, category: Category | None = None, lang: Lang | None = None,
               kind: Kind | None = None, enabled: bool | None = None, q: Search = None, cursor: Cursor = None,
               limit: PageLimit = 20) -> Page[RuleOut]:
    """Administrators' rules, newest first; ``q`` finds text in the pattern or the note."""
    return queries.rules_page(session, category=category, lang=lang, kind=kind, enabled=enabled, q=q,
                              cursor=cursor, limit=limit)


@router.post("", response_model=RuleOut, status_code=status.HTTP_201_CREATED)
def create_rule(body: RuleIn, viewer: AdminDep, session: DbDep, services: ServicesDep) -> RuleOut:
    """Add a term or a regex; in force on every process within a second or two."""
    return actions.create(session, services.clock.now(), viewer.id, body)


@router.post("/try", response_model=TryOut)
def try_text(body: TryIn, viewer: ModeratorDep, session: DbDep, services: ServicesDep) -> TryOut:
    """The verdict, with its evidence, on a text under the rules in force (after any change that
    has committed: waits for this process's rebuild)."""
    return actions.try_text(session, services.clock.now(), viewer.id, live_rules(services), body.text)


@router.get("/shipped", response_model=Page[ShippedRuleOut])
def shipped_rules(viewer: ModeratorDep, session: DbDep, category: Category | None = None, lang: Lang | None = None,
                  kind: Kind | None = None, overridden: bool | None = None, q: Search = None, cursor: Cursor = None,
                  limit: PageLimit = 50) -> Page[ShippedRuleOut]:
    """The shipped lists' rules by id, each with the action and state in force."""
    return queries.shipped_page(session, category=category, lang=lang, kind=kind, overridden=overridden, q=q,
                                cursor=cursor, limit=limit)


@router.put("/shipped/override", response_model=ShippedRuleOut)
def override_shipped(body: OverrideIn, viewer: AdminDep, session: DbDep, services: ServicesDep,
                     id: ShippedId) -> ShippedRuleOut:
    """Disable a shipped rule or change its action (``?id=spam_zh:加vx``: shipped ids hold spaces,
    colons and Chinese, so they travel in the query string)."""
    return actions.override(session, services.clock.now(), viewer.id, id, body)


@router.delete("/shipped/override", response_model=ShippedRuleOut)
def restore_shipped(viewer: AdminDep, session: DbDep, services: ServicesDep, id: ShippedId) -> ShippedRuleOut:
    """Remove a shipped rule's override: in force as shipped again."""
    return actions.restore(session, services.clock.now(), viewer.id, id)


@router.get("/{rule_id}", response_model=RuleOut)
def get_rule(rule_id: str, viewer: ModeratorDep, session: DbDep) -> RuleOut:
    return queries.get_rule(session, path_id(rule_id, "rule"))


@router.patch("/{rule_id}", response_model=RuleOut)
def edit_rule(rule_id: str, body: RulePatch, viewer: AdminDep, session: DbDep, services: ServicesDep) -> RuleOut:
    return actions.update(session, services.clock.now(), viewer.id, path_id(rule_id, "rule"), body)


@router.post("/{rule_id}/disable", response_model=RuleOut)
def disable_rule(rule_id: str, viewer: AdminDep, session: DbDep, services: ServicesDep) -> RuleOut:
    return actions.set_enabled(session, services.clock.now(), viewer.id, path_id(rule_id, "rule"), False)


@router.post("/{rule_id}/enable", response_model=RuleOut)
def enable_rule(rule_id: str, viewer: AdminDep, session: DbDep, services: ServicesDep) -> RuleOut:
    return actions.set_enabled(session, services.clock.now(), viewer.id, path_id(rule_id, "rule"), True)
