"""Writes of the rules editor: administrators' rules, overrides of shipped rules, and imports.

Each public function owns its transaction (``with write(session):``) and, in it, bumps the rules
version (``moderation.live.bump``: every process rebuilds its checker) and writes the audit row
(``moderation.audit.audit``; ``actor_id`` None for the command line). Every rule is validated
before the block ("check, then do"): a regex's safety check is CPU work (``rules.check_regex``
times a trial), and a refused rule never takes the write lock. Lock order: the version row first
(the upsert in ``bump``), then the rule or override row — rules writes are serialised on it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from redbridge.core import ids
from redbridge.core.db import write
from redbridge.core.errors import AppError, not_found
from redbridge.core.i18n import _
from redbridge.moderation.audit import audit
from redbridge.moderation.live import ADMIN_PREFIX, LiveRules, bump
from redbridge.moderation.models import ModerationRule, RuleOverride
from redbridge.moderation.normalize import normalize
from redbridge.moderation.rules import Rule, RuleError
from redbridge.rules.queries import get_row, rules_out, shipped_out, shipped_rule
from redbridge.rules.schemas import MAX_TERM, OverrideIn, RuleIn, RuleOut, RulePatch, ShippedRuleOut, TryOut

MIN_TERM = 2  # characters after normalisation: one letter or one 的 would hit nearly every text

# What an administrator reads when a rule is refused, per ``RuleError.code`` (docs/moderation.md).
RULE_ERRORS: dict[str, str] = {
    "regex_too_long": _("This regex is too long (at most 512 characters)."),
    "regex_invalid": _("This regex is not valid."),
    "regex_matches_empty": _("This regex can match empty text, so it would hit every text."),
    "regex_unsupported": _("This regex uses backreferences, which rules cannot use."),
    "regex_too_complex": _("This regex is nested too deeply."),
    "regex_backtracking": _("This regex can backtrack catastrophically (a repeat inside a repeat, or overlapping alternatives under a repeat). Rewrite it without nested repeats."),
    "regex_too_slow": _("This regex gets too slow on repetitive input. Rewrite it without nested repeats."),
    "rule_empty_pattern": _("Give a term or a pattern."),
    "term_too_long": _("A term has at most 200 characters."),
    "term_too_short": _("This term is too short to be a rule: it would match almost every text."),
    "term_multiline": _("A term is one line."),
}
_FALLBACK = _("This rule is not valid.")


def rule_error(code: str) -> AppError:
    return AppError(f"rule.{code}", RULE_ERRORS.get(code, _FALLBACK), 422, fields={"pattern": code})


def _exists() -> AppError:
    return AppError("rule.exists", _("A rule with this pattern already exists."), 409, fields={"pattern": "exists"})


def validate(kind: str, pattern: str, category: str, lang: str, action: str,
             allow: list[str] | tuple[str, ...]) -> Rule:
    """The rule as the lexicon will compile it, or 422 naming the problem (``fields.pattern``)."""
    if kind == "term":
        if len(pattern) > MAX_TERM:
            raise rule_error("term_too_long")
        if "\n" in pattern or "\r" in pattern:
            raise rule_error("term_multiline")
    try:
        rule = Rule(id=ADMIN_PREFIX + "new", category=category, lang=lang, kind=kind, pattern=pattern,  # type: ignore[arg-type]
                    action=action, allow=tuple(allow))  # type: ignore[arg-type]
    except RuleError as exc:
        raise rule_error(exc.code) from None
    if kind == "term" and len(normalize(pattern.strip("*").strip()).compact.replace(" ", "")) < MIN_TERM:
        raise rule_error("term_too_short")
    return rule


def _details(row: ModerationRule, **extra: Any) -> dict[str, Any]:
    return {"rule": ADMIN_PREFIX + ids.encode(row.id), "kind": row.kind, "pattern": row.pattern,
            "category": row.category, "lang": row.lang, "action": row.action, "enabled": row.enabled, **extra}


# ------------------------------------------------------------------------------ administrators' rules


def create(session: Session, now: datetime, actor_id: int | None, data: RuleIn) -> RuleOut:
    """Add a rule (409 ``rule.exists`` for a kind and pattern already listed); audited ``rule.create``."""
    validate(data.kind, data.pattern, data.category, data.lang, data.action, data.allow)
    try:
        with write(session):
            version = bump(session, now)
            if session.scalar(select(ModerationRule.id).where(ModerationRule.kind == data.kind,
                                                              ModerationRule.pattern == data.pattern)) is not None:
                raise _exists()
            row = ModerationRule(id=ids.new_id(now), kind=data.kind, pattern=data.pattern, category=data.category,
                                 lang=data.lang, action=data.action, allow=list(data.allow), enabled=data.enabled,
                                 note=data.note, created_by=actor_id, updated_by=actor_id, created_at=now,
                                 updated_at=now)
            session.add(row)
            session.flush()
            audit(session, now, actor_id, "rule.create", "rule", row.id, _details(row, version=version))
    except IntegrityError:  # the same pattern added at the same moment: the unique key decided
        raise _exists() from None
    return rules_out(session, [row], version)[0]


_EDITABLE = ("kind", "pattern", "category", "lang", "action", "allow", "enabled", "note")


def _merge(row: ModerationRule, changes: dict[str, Any]) -> dict[str, Any]:
    merged = {name: changes.get(name, getattr(row, name)) for name in _EDITABLE}
    validate(merged["kind"], merged["pattern"], merged["category"], merged["lang"], merged["action"], merged["allow"])
    return merged


def update(session: Session, now: datetime, actor_id: int | None, rule_id: int, patch: RulePatch) -> RuleOut:
    """Change the fields sent; the rule as changed is validated whole. Audited ``rule.update``
    with the fields that changed (before and after).

    The patch is merged onto the row as read before the block (a refusal takes no lock; the regex
    check is cached, so the second check costs nothing) and then again onto the row locked in the
    block, which is what is validated and written: a field another admin changed in between is
    kept, not reverted."""
    changes = patch.model_dump(exclude_unset=True, exclude_none=True)
    _merge(get_row(session, rule_id), changes)
    try:
        with write(session):  # begin_write ends the read transaction: the lock is taken on a fresh snapshot
            version = bump(session, now)
            # populate_existing: the row read before the block is in the session; read it anew.
            row = session.scalar(select(ModerationRule).where(ModerationRule.id == rule_id).with_for_update()
                                 .execution_options(populate_existing=True))
            if row is None:
                raise not_found("rule")
            merged = _merge(row, changes)
            if (merged["kind"], merged["pattern"]) != (row.kind, row.pattern) and session.scalar(
                    select(ModerationRule.id).where(ModerationRule.kind == merged["kind"],
                                                    ModerationRule.pattern == merged["pattern"])) is not None:
                raise _exists()
            before = {name: getattr(row, name) for name in merged}
            for name, value in merged.items():
                setattr(row, name, list(value) if name == "allow" else value)
            row.updated_by, row.updated_at = actor_id, now
            changed = {n: {"from": before[n], "to": merged[n]} for n in merged if before[n] != merged[n]}
            audit(session, now, actor_id, "rule.update", "rule", row.id, _details(row, changed=changed, version=version))
    except IntegrityError:
        raise _exists() from None
    return rules_out(session, [row], version)[0]


def set_enabled(session: Session, now: datetime, actor_id: int | None, rule_id: int, enabled: bool) -> RuleOut:
    """Disable or enable a rule (it stays listed either way); audited ``rule.disable`` / ``rule.enable``."""
    with write(session):
        version = bump(session, now)
        row = session.scalar(select(ModerationRule).where(ModerationRule.id == rule_id).with_for_update())
        if row is None:
            raise not_found("rule")
        was = row.enabled
        row.enabled, row.updated_by, row.updated_at = enabled, actor_id, now
        audit(session, now, actor_id, "rule.enable" if enabled else "rule.disable", "rule", row.id,
              _details(row, was_enabled=was, version=version))
    return rules_out(session, [row], version)[0]


# ------------------------------------------------------------------------------- shipped rules


def override(session: Session, now: datetime, actor_id: int | None, shipped_id: str, data: OverrideIn) -> ShippedRuleOut:
    """Disable a shipped rule or give it another action (404 for an id no shipped rule has);
    audited ``rule.override``."""
    rule = shipped_rule(shipped_id)
    try:
        with write(session):
            version = bump(session, now)
            row = _set_override(session, now, actor_id, rule, data.enabled, data.action, data.note,
                                _locked_override(session, rule.id))
            audit(session, now, actor_id, "rule.override", "shipped", row.id,
                  {"rule": rule.id, "enabled": row.enabled, "action": row.action, "version": version})
    except IntegrityError:  # two overrides of one rule at once: the other one won; try again
        raise AppError("rule.conflict", _("Someone changed this rule at the same moment. Try again."), 409) from None
    return shipped_out(session, [rule], {rule.id: row}, version)[0]


def _locked_override(session: Session, rule_id: str) -> RuleOverride | None:
    return session.scalar(select(RuleOverride).where(RuleOverride.rule_id == rule_id).with_for_update())


def _set_override(session: Session, now: datetime, actor_id: int | None, rule: Rule, enabled: bool,
                  action: str | None, note: str, row: RuleOverride | None) -> RuleOverride:
    """Write ``rule``'s override onto ``row`` (its override read under the lock; None: a new one)."""
    if row is None:
        row = RuleOverride(id=ids.new_id(now), rule_id=rule.id)
        session.add(row)
    row.enabled, row.action, row.note = enabled, (action if action != rule.action else None), note
    row.updated_by, row.updated_at = actor_id, now
    session.flush()
    return row


def restore(session: Session, now: datetime, actor_id: int | None, shipped_id: str) -> ShippedRuleOut:
    """Remove a shipped rule's override: it is in force as shipped again. Audited ``rule.restore``;
    404 ``override.not_found`` when it has none."""
    rule = shipped_rule(shipped_id)
    with write(session):
        version = bump(session, now)
        row = _locked_override(session, rule.id)
        if row is None:
            raise not_found("override")
        audit(session, now, actor_id, "rule.restore", "shipped", row.id,
              {"rule": rule.id, "enabled": row.enabled, "action": row.action, "version": version})
        session.delete(row)
    return shipped_out(session, [rule], {}, version)[0]


# -------------------------------------------------------------------------------------- trying


def try_text(session: Session, now: datetime, actor_id: int, live: LiveRules, text: str) -> TryOut:
    """The verdict on ``text`` under the rules in force after every committed change (``live``
    settled: this process's rebuild waited for). Audited ``rule.try`` with the verdict and the
    text's length, never the text (it may hold personal data): probing the rules is a staff action
    like any other."""
    checker, version = live.settle()
    verdict = checker.check(text)
    with write(session):
        audit(session, now, actor_id, "rule.try", "ruleset", version,
              {"decision": verdict.decision, "reasons": list(verdict.reasons), "length": len(text)})
    return TryOut(decision=verdict.decision, reasons=list(verdict.reasons),
                  evidence=[dict(e) for e in verdict.evidence], version=version)


# ------------------------------------------------------------------------------------- imports


@dataclass(frozen=True, slots=True)
class Entry:
    """One administrator rule of an import file."""

    kind: str
    pattern: str
    category: str
    lang: str
    action: str
    allow: tuple[str, ...] = ()
    enabled: bool = True
    note: str = ""


@dataclass(frozen=True, slots=True)
class ShippedState:
    """A shipped rule's state in an import file (an override unless it is the shipped state)."""

    rule_id: str
    enabled: bool
    action: str | None
    note: str = ""


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    overrides_set: int = 0
    overrides_cleared: int = 0
    version: int = 0

    def summary(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "deleted": self.deleted, "overrides_set": self.overrides_set,
                "overrides_cleared": self.overrides_cleared}


class ImportRefusedError(Exception):
    """An import file with invalid rules: nothing was written (``errors``: one line per rule)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def check_import(entries: list[Entry], shipped: list[ShippedState]) -> list[str]:
    """Every problem in an import, one line each (empty: it can be imported)."""
    errors: list[str] = []
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        try:
            validate(entry.kind, entry.pattern, entry.category, entry.lang, entry.action, entry.allow)
        except AppError as exc:
            errors.append(f"{entry.kind} {entry.pattern!r}: {exc.code}")
        if (entry.kind, entry.pattern) in seen:
            errors.append(f"{entry.kind} {entry.pattern!r}: listed twice")
        seen.add((entry.kind, entry.pattern))
    for state in shipped:
        try:
            shipped_rule(state.rule_id)
        except AppError:
            errors.append(f"shipped rule {state.rule_id!r}: no such rule")
    return errors


class _DryRun(Exception):  # noqa: N818  # not an error: leaves the write block through its rollback
    pass


def import_rules(session: Session, now: datetime, entries: list[Entry], shipped: list[ShippedState], *,
                 replace: bool, dry_run: bool, source: str) -> ImportResult:
    """Apply an import file, all or nothing: every rule is validated first (:class:`ImportRefusedError`
    lists every problem, and nothing is written). Rules are matched to rows by (kind, pattern):
    changed ones are updated, new ones created. ``replace``: administrators' rules and overrides
    the file does not name are deleted. ``dry_run``: the counts, then a rollback. One audit row,
    ``rules.import`` (actor None: the command line; details: ``via: cli``, the file, the counts)."""
    errors = check_import(entries, shipped)
    if errors:
        raise ImportRefusedError(errors)
    result = ImportResult()
    with contextlib.suppress(_DryRun):
        _apply(session, now, entries, shipped, replace=replace, dry_run=dry_run, source=source, result=result)
    return result


def _apply(session: Session, now: datetime, entries: list[Entry], shipped: list[ShippedState], *, replace: bool,
           dry_run: bool, source: str, result: ImportResult) -> None:
    fields = ("category", "lang", "action", "allow", "enabled", "note")
    with write(session):
        result.version = bump(session, now)
        rows = {(r.kind, r.pattern): r for r in session.scalars(select(ModerationRule).with_for_update())}
        for entry in entries:
            wanted = {"category": entry.category, "lang": entry.lang, "action": entry.action,
                      "allow": list(entry.allow), "enabled": entry.enabled, "note": entry.note}
            row = rows.pop((entry.kind, entry.pattern), None)
            if row is None:
                session.add(ModerationRule(id=ids.new_id(now), kind=entry.kind, pattern=entry.pattern,
                                           created_by=None, updated_by=None, created_at=now, updated_at=now, **wanted))
                result.created += 1
            elif any(getattr(row, n) != wanted[n] for n in fields):
                for name, value in wanted.items():
                    setattr(row, name, value)
                row.updated_by, row.updated_at = None, now
                result.updated += 1
            else:
                result.unchanged += 1
        if replace and rows:
            session.execute(delete(ModerationRule).where(ModerationRule.id.in_([r.id for r in rows.values()])))
            result.deleted = len(rows)
        overrides = {o.rule_id: o for o in session.scalars(select(RuleOverride).with_for_update())}
        named: set[str] = set()
        for state in shipped:
            rule = shipped_rule(state.rule_id)
            named.add(rule.id)
            existing = overrides.get(rule.id)
            if state.enabled == rule.enabled and state.action in (None, rule.action):
                if existing is not None:  # the file says "as shipped"
                    session.delete(existing)
                    del overrides[rule.id]
                    result.overrides_cleared += 1
                continue
            overrides[rule.id] = _set_override(session, now, None, rule, state.enabled, state.action, state.note,
                                               existing)
            result.overrides_set += 1
        if replace:
            stale = [o for o in overrides.values() if o.rule_id not in named]
            for old in stale:
                session.delete(old)
            result.overrides_cleared += len(stale)
        audit(session, now, None, "rules.import", "ruleset", result.version,
              {"via": "cli", "file": source, "replace": replace, "dry_run": dry_run, **result.summary()})
        if dry_run:
            raise _DryRun


