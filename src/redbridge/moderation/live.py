"""The rules in force: the shipped lists, administrators' overrides of them and administrators' own
rules (``moderation_rules``, ``moderation_rule_overrides``), compiled into one :class:`TextChecker`
per app and replaced — never changed — when the rules change.

How a change reaches every process:

* every rules write bumps ``moderation_rules_version`` in its own transaction (:func:`bump`) and
  announces :data:`RULES_CHANGED`; the writing process starts its rebuild at once (commit hook);
* every process reads the version at most once a second (:data:`POLL_S`), when a request asks for
  the checker, and rebuilds when it moved. The version lives in the database, not in a
  ``core.cache`` generation: it commits with the change it counts, and survives a Redis flush (a
  flushed generation would look like a change to every process at once; a lost bump would never
  be seen). The command line (``redbridge moderation import``) has no app to tell: the servers
  notice its bump within a second;
* a rebuild (~30 ms warm, docs/benchmarks.md, "Rules editor: rebuild": the lexicon normalises
  every term; a regex's timed check runs once per pattern per process) runs on a
  background thread while the old checker keeps answering; the new one is swapped in with one
  assignment, so a check never sees half a rule set.

Only the first use blocks — a request must not be screened without administrators' rules after a
restart. It reads on a helper thread: a request already holds its one database connection (see
``core.db._guard_one_connection``), and the loader is single-flight, so it takes at most one of
the pool's reserved connections. With no administrator rows the checker is the process-wide
:func:`default_checker` (tests start hundreds of apps).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from redbridge.core import ids
from redbridge.core.changes import Announcement
from redbridge.core.db import dialect_insert
from redbridge.moderation.lexicon import Lexicon
from redbridge.moderation.models import ModerationRule, RuleOverride, RulesVersion
from redbridge.moderation.rules import Rule, RuleError, load_defaults
from redbridge.moderation.text import TextChecker, default_checker

if TYPE_CHECKING:
    from redbridge.core.services import Services

__all__ = ["ADMIN_PREFIX", "POLL_S", "RULES_CHANGED", "LiveRules", "admin_rule", "bump", "in_force", "live_rules"]

log = logging.getLogger("redbridge.moderation.live")
POLL_S = 1.0
ADMIN_PREFIX = "admin:"
_VERSION_ROW = 1

RULES_CHANGED = Announcement(
    "moderation_rules_changed", '{"version": int} — an administrator rule or an override of a shipped '
    "rule was added, changed or removed (the checker in force is rebuilt)")


def bump(session: Session, now: datetime) -> int:
    """Count a rules change, in the caller's write transaction, and announce it after commit.
    Returns the new version. The upsert also serialises rules writes on the version row."""
    ins = dialect_insert(session, RulesVersion).values(id=_VERSION_ROW, version=1, updated_at=now)
    ins = ins.on_conflict_do_update(index_elements=[RulesVersion.id],
                                    set_={"version": RulesVersion.version + 1, "updated_at": now})
    version = int(session.execute(ins.returning(RulesVersion.version)).scalar_one())
    RULES_CHANGED.announce(session, {"version": version})
    return version


def current_version(session: Session) -> int:
    return int(session.scalar(select(RulesVersion.version).where(RulesVersion.id == _VERSION_ROW)) or 0)


def admin_rule(row: ModerationRule) -> Rule:
    """The lexicon's rule of an administrator's row (validated again: raises :class:`RuleError`)."""
    return Rule(id=ADMIN_PREFIX + ids.encode(row.id), category=row.category,  # type: ignore[arg-type]
                lang=row.lang, kind=row.kind, pattern=row.pattern, action=row.action,  # type: ignore[arg-type]
                enabled=row.enabled, allow=tuple(row.allow or ()))


def with_override(rule: Rule, override: RuleOverride | None) -> Rule:
    """A shipped rule as an override leaves it (disabled, or another action)."""
    if override is None:
        return rule
    return dataclasses.replace(rule, enabled=override.enabled,
                               action=override.action or rule.action)  # type: ignore[arg-type]


def in_force(session: Session) -> tuple[list[Rule], bool]:
    """Every rule in force (enabled or not) and whether any administrator row exists."""
    overrides = {o.rule_id: o for o in session.scalars(select(RuleOverride))}
    rows = list(session.scalars(select(ModerationRule).order_by(ModerationRule.id)))
    rules = [with_override(r, overrides.get(r.id)) for r in load_defaults()]
    for row in rows:
        try:
            rules.append(admin_rule(row))
        except RuleError:
            # Validated when written; a row a newer check refuses is left out, not fatal.
            log.warning("administrator rule %s no longer passes validation; skipped", row.id)
    return rules, bool(overrides or rows)


class LiveRules:
    """The checker in force for one app (see the module docstring)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._checker: TextChecker | None = None
        self._version = -1  # the version the checker reflects
        self._polled = 0.0
        self._lock = threading.Lock()  # guards _worker and the swap
        self._done = threading.Condition(self._lock)
        self._worker: threading.Thread | None = None
        self._again = False  # a poke arrived during a rebuild: read the version once more after it
        self._closed = False

    @property
    def version(self) -> int:
        return self._version

    def current(self) -> TextChecker:
        """The checker in force now. Never waits except the first time; at most once a second it
        starts a background check of the version (and a rebuild when it moved)."""
        checker = self._checker
        if checker is None:
            return self._first()
        if time.monotonic() - self._polled >= POLL_S:
            self.refresh()
        return checker

    def pin(self, checker: TextChecker) -> None:
        """Serve ``checker`` from now on and stop reading the version (tests: a stand-in checker)."""
        with self._lock:
            self._checker, self._closed = checker, True

    def _first(self) -> TextChecker:
        self.refresh()
        with self._lock:
            while self._checker is None and self._worker is not None:
                self._done.wait()
            if self._checker is None:  # the loader failed (logged): serve the shipped lists
                self._checker = default_checker()
            return self._checker

    def refresh(self) -> None:
        """Start a background read of the version (and a rebuild when it moved); returns at once."""
        with self._lock:
            self._polled = time.monotonic()
            if self._closed:
                return
            if self._worker is not None:
                self._again = True
                return
            # A fresh thread starts with an empty context: it is no request's, so its one
            # connection is not counted as a request's second (core.db).
            self._worker = threading.Thread(target=self._run, name="rules-rebuild", daemon=True)
            self._worker.start()

    def settle(self, timeout: float = 30.0) -> tuple[TextChecker, int]:
        """Read the version now, rebuild if it moved, and wait for it: the deterministic way for
        tests (and the ``try`` endpoint after a change) to see the rules as they are committed.
        Returns the checker and the version it reflects, read together (a swap cannot fall between)."""
        self.refresh()
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._worker is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("rules rebuild did not finish")
                self._done.wait(left)
            if self._checker is None:  # the loader failed (logged): serve the shipped lists
                self._checker = default_checker()
            return self._checker, self._version

    def _run(self) -> None:
        while True:
            try:
                self._load()
            except Exception:
                log.exception("rebuilding the moderation rules failed; the previous checker stays")
            with self._lock:
                if self._again and not self._closed:
                    self._again = False
                    continue
                self._worker = None
                self._done.notify_all()
                return

    def _load(self) -> None:
        with self._sessions() as session:
            version = current_version(session)
            if version == self._version and self._checker is not None:
                return
            rules, custom = in_force(session)
        checker = TextChecker(Lexicon.build(rules)) if custom else default_checker()
        with self._lock:
            if version >= self._version and not self._closed:  # closed or pinned: keep what is there
                self._checker, self._version = checker, version

    def close(self) -> None:
        with self._lock:
            self._closed = True
            worker = self._worker
        if worker is not None:
            worker.join(timeout=10)


def live_rules(services: Services) -> LiveRules:
    """The app's :class:`LiveRules` (one per services)."""
    return services.state(LiveRules, lambda: LiveRules(services.sessions))


@RULES_CHANGED.subscribe
def _rebuild(services: Services, payload: dict[str, Any]) -> None:
    # The writing process need not wait for its next poll.
    live_rules(services).refresh()

