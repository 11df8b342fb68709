"""The checker in force when things go wrong (``moderation.live``): a rebuild that fails keeps the
previous checker, a first use whose load fails serves the shipped lists, and a stored row that no
longer passes validation is left out (and logged) instead of failing the rebuild."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from redbridge.core import ids
from redbridge.core.db import write
from redbridge.core.services import Services
from redbridge.moderation import live as live_module
from redbridge.moderation.live import LiveRules, bump
from redbridge.moderation.models import ModerationRule
from redbridge.moderation.text import default_checker
from redbridge.rules import actions
from redbridge.rules.schemas import RuleIn

MARKER = "quillnarrow bargain"  # in no shipped list
LOGGER = "redbridge.moderation.live"


@pytest.fixture
def live(services: Services) -> Iterator[LiveRules]:
    rules = LiveRules(services.sessions)  # not the app's: nothing else refreshes it
    yield rules
    rules.close()


def _broken(*args: Any) -> Any:
    raise RuntimeError("the database went away")


def _add(services: Services, pattern: str) -> int:
    with services.sessions() as session:
        return actions.create(session, services.clock.now(), None,
                              RuleIn(pattern=pattern, category="spam", action="hold")).version


def test_a_failed_rebuild_keeps_the_previous_checker(services: Services, live: LiveRules,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    first, version = live.settle()
    monkeypatch.setattr(live_module, "in_force", _broken)
    added = _add(services, MARKER)
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        after, after_version = live.settle()
    assert after is first
    assert after_version == version < added
    assert live.current() is first
    assert "rebuilding the moderation rules failed" in caplog.text
    monkeypatch.undo()
    fixed, fixed_version = live.settle()
    assert fixed_version == added
    assert fixed.check(f"a {MARKER} here").decision == "hold"


def test_a_failed_first_load_serves_the_shipped_lists(live: LiveRules, monkeypatch: pytest.MonkeyPatch,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(live_module, "in_force", _broken)
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        checker = live.current()
    assert checker is default_checker()
    assert "rebuilding the moderation rules failed" in caplog.text
    assert live.settle()[0] is checker


def test_a_stored_row_that_fails_validation_is_skipped_and_logged(services: Services, live: LiveRules,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    now = services.clock.now()
    with services.sessions() as session, write(session):
        bump(session, now)
        bad = ModerationRule(id=ids.new_id(now), kind="regex", pattern="(a+)+$", category="spam", lang="any",
                             action="reject", allow=[], enabled=True, note="", created_by=None, updated_by=None,
                             created_at=now, updated_at=now)
        session.add(bad)
    added = _add(services, MARKER)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        checker, version = live.settle()
    assert version == added
    assert checker.check(f"a {MARKER} here").decision == "hold"  # the good rule is in force
    assert checker.check("aaaa").decision == "allow"
    assert f"administrator rule {bad.id} no longer passes validation; skipped" in caplog.text
