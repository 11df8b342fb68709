"""Reads of the rules editor: administrators' rules (keyset pages, newest first) and the shipped
rules with their override state (from the package data, paged by position: the list is fixed for a
process and sorted by id)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from redbridge.accounts.queries import usernames
from redbridge.core import ids
from redbridge.core.errors import not_found
from redbridge.core.pagination import Page, cursor_int, decode_cursor, encode_cursor, id_page
from redbridge.moderation.live import ADMIN_PREFIX, with_override
from redbridge.moderation.models import ModerationRule, RuleOverride
from redbridge.moderation.rules import Rule, load_defaults, shipped_by_id
from redbridge.rules.schemas import RuleOut, ShippedRuleOut


def rules_out(session: Session, rows: Sequence[ModerationRule], version: int = 0) -> list[RuleOut]:
    """Rules as the API shows them; the authors' names read once per page."""
    names = usernames(session, {r.created_by for r in rows} | {r.updated_by for r in rows})
    return [RuleOut(
        id=ids.encode(r.id), rule_id=ADMIN_PREFIX + ids.encode(r.id), kind=r.kind,
        pattern=r.pattern, category=r.category, lang=r.lang, action=r.action,
        allow=list(r.allow or []), enabled=r.enabled, note=r.note,
        created_by=names.get(r.created_by) if r.created_by is not None else None,
        updated_by=names.get(r.updated_by) if r.updated_by is not None else None,
        created_at=r.created_at, updated_at=r.updated_at, version=version,
    ) for r in rows]


def _contains(column: object, q: str) -> object:
    # LIKE with the wildcards escaped: ``q`` is matched as typed.
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")  # type: ignore[attr-defined]


def rules_page(session: Session, *, category: str | None = None, lang: str | None = None, kind: str | None = None,
               enabled: bool | None = None, q: str | None = None, cursor: str | None = None,
               limit: int = 20) -> Page[RuleOut]:
    query = select(ModerationRule)
    if category is not None:
        query = query.where(ModerationRule.category == category)
    if lang is not None:
        query = query.where(ModerationRule.lang == lang)
    if kind is not None:
        query = query.where(ModerationRule.kind == kind)
    if enabled is not None:
        query = query.where(ModerationRule.enabled == enabled)
    if q:
        query = query.where(or_(_contains(ModerationRule.pattern, q), _contains(ModerationRule.note, q)))  # type: ignore[arg-type]
    rows, next_cursor = id_page(session, query, ModerationRule.id, cursor, limit, newest_first=True)
    return Page(items=rules_out(session, rows), next_cursor=next_cursor)


def get_row(session: Session, rule_id: int) -> ModerationRule:
    row = session.get(ModerationRule, rule_id)
    if row is None:
        raise not_found("rule")
    return row


def get_rule(session: Session, rule_id: int) -> RuleOut:
    return rules_out(session, [get_row(session, rule_id)])[0]


def shipped_rule(rule_id: str) -> Rule:
    """The shipped rule named ``rule_id`` (404 ``rule.not_found``)."""
    rule = shipped_by_id().get(rule_id)
    if rule is None:
        raise not_found("rule")
    return rule


def shipped_out(session: Session, rules: Sequence[Rule], overrides: dict[str, RuleOverride],
                version: int = 0) -> list[ShippedRuleOut]:
    names = usernames(session, {o.updated_by for o in overrides.values()})
    out = []
    for rule in rules:
        override = overrides.get(rule.id)
        now = with_override(rule, override)
        out.append(ShippedRuleOut(
            id=rule.id, kind=rule.kind, pattern=rule.pattern, category=rule.category, lang=rule.lang,
            shipped_action=rule.action, action=now.action, enabled=now.enabled, allow=list(rule.allow),
            overridden=override is not None, note=override.note if override else "",
            updated_by=names.get(override.updated_by) if override and override.updated_by is not None else None,
            updated_at=override.updated_at if override else None, version=version,
        ))
    return out


def shipped_page(session: Session, *, category: str | None = None, lang: str | None = None,
                 kind: str | None = None, overridden: bool | None = None, q: str | None = None,
                 cursor: str | None = None, limit: int = 50) -> Page[ShippedRuleOut]:
    """The shipped rules sorted by id, filtered; the cursor is a position in the filtered list."""
    start = cursor_int(decode_cursor(cursor), "o") or 0
    overrides = {o.rule_id: o for o in session.scalars(select(RuleOverride))}
    needle = q.casefold() if q else None
    matching = [r for r in sorted(load_defaults(), key=lambda r: r.id)
                if (category is None or r.category == category) and (lang is None or r.lang == lang)
                and (kind is None or r.kind == kind) and (overridden is None or (r.id in overrides) == overridden)
                and (needle is None or needle in r.pattern.casefold() or needle in r.id.casefold())]
    chunk = matching[start:start + limit]
    more = start + limit < len(matching)
    return Page(items=shipped_out(session, chunk, overrides),
                next_cursor=encode_cursor({"o": start + limit}) if more else None)


def overrides_all(session: Session) -> list[RuleOverride]:
    return list(session.scalars(select(RuleOverride).order_by(RuleOverride.rule_id)))


def rules_all(session: Session) -> list[ModerationRule]:
    return list(session.scalars(select(ModerationRule).order_by(ModerationRule.id)))
