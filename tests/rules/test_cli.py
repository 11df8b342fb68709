"""``redbridge moderation export / import``: the YAML round trip, validation (all or nothing), dry
runs, --replace, the audit row, and a running app picking the import up (docs/moderation.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from redbridge.cli import main
from redbridge.core.services import Services
from redbridge.moderation.models import AuditEntry, ModerationRule, RuleOverride
from redbridge.settings import Settings
from tests.factories import Factory
from tests.rules.helpers import BASE, add_rule, settle
from tests.safety.helpers import audit_rows, staff

LIST = """\
category: spam
lang: en
action: hold
terms:
  - zorblax deal
  - {pattern: "quuxcoin pump", action: reject, note: "seen in March"}
regexes:
  - pattern: "\\\\bzz\\\\d{5}\\\\b"
    allow: ["zz12345 is a part number"]
---
overrides:
  - {id: "spam_zh:vx", enabled: false, note: "too broad"}
"""


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line reads its settings from the environment, as in a deployment."""
    monkeypatch.setenv("REDBRIDGE_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("REDBRIDGE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("REDBRIDGE_SECRET_KEY", "test-secret")


def _rules(services: Services) -> dict[str, ModerationRule]:
    with services.sessions() as session:
        return {r.pattern: r for r in session.scalars(select(ModerationRule))}


def test_import_applies_and_a_running_app_picks_it_up(cli_env: None, tmp_path: Path, services: Services,
                                                      client: TestClient, factory: Factory) -> None:
    admin = staff(factory, services, "admin")
    path = tmp_path / "rules.yaml"
    path.write_text(LIST, encoding="utf-8")
    before = audit_rows(services)
    assert main(["moderation", "import", str(path)]) == 0
    rules = _rules(services)
    assert set(rules) == {"zorblax deal", "quuxcoin pump", r"\bzz\d{5}\b"}
    assert rules["quuxcoin pump"].action == "reject"
    assert rules["quuxcoin pump"].note == "seen in March"
    assert rules[r"\bzz\d{5}\b"].kind == "regex"
    assert rules["zorblax deal"].created_by is None
    assert audit_rows(services) == before + 1
    with services.sessions() as session:
        row = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert row is not None
        assert row.actor_id is None
        assert row.action == "rules.import"
        assert row.details["via"] == "cli"
        assert row.details["created"] == 3
        assert row.details["overrides_set"] == 1
        assert session.scalar(select(RuleOverride.enabled).where(RuleOverride.rule_id == "spam_zh:vx")) is False
    settle(services)  # the app was not told: it notices the version
    tried = client.post(f"{BASE}/try", headers=admin.headers, json={"text": "quuxcoin pump now"}).json()
    assert tried["decision"] == "reject"
    # Importing the same file again changes nothing.
    assert main(["moderation", "import", str(path)]) == 0
    assert {p: r.updated_at for p, r in _rules(services).items()} == {p: r.updated_at for p, r in rules.items()}


def test_export_round_trips(cli_env: None, tmp_path: Path, services: Services, client: TestClient,
                            factory: Factory) -> None:
    admin = staff(factory, services, "admin")
    add_rule(client, admin, pattern="伽马词语", category="harassment", lang="zh", action="label", note="说明")
    add_rule(client, admin, kind="regex", pattern=r"\bqq\d{6}\b", category="spam", enabled=False)
    client.put(f"{BASE}/shipped/override", params={"id": "spam_zh:vx"}, headers=admin.headers,
               json={"enabled": True, "action": "label"}).raise_for_status()
    out = tmp_path / "export.yaml"
    assert main(["moderation", "export", "--file", str(out)]) == 0
    docs = list(yaml.safe_load_all(out.read_text(encoding="utf-8")))
    assert {"category": "harassment", "lang": "zh", "action": "hold",
            "terms": [{"pattern": "伽马词语", "action": "label", "note": "说明"}]} in docs
    assert {"overrides": [{"id": "spam_zh:vx", "enabled": True, "action": "label"}]} in docs
    # Into an empty database with --replace: the same state.
    before = {(r.kind, r.pattern, r.category, r.lang, r.action, r.enabled, r.note) for r in _rules(services).values()}
    assert main(["moderation", "import", "--replace", str(out)]) == 0
    after = {(r.kind, r.pattern, r.category, r.lang, r.action, r.enabled, r.note) for r in _rules(services).values()}
    assert after == before
    full = tmp_path / "full.yaml"
    assert main(["moderation", "export", "--include-defaults", "--file", str(full)]) == 0
    text = full.read_text(encoding="utf-8")
    assert "id: spam_zh:vx" in text
    assert "personal_data:cn_mobile" in text
    assert main(["moderation", "import", "--replace", str(full)]) == 0  # shipped entries stay shipped
    assert set(_rules(services)) == {"伽马词语", r"\bqq\d{6}\b"}
    with services.sessions() as session:
        overrides = {o.rule_id: o.action for o in session.scalars(select(RuleOverride))}
    assert overrides == {"spam_zh:vx": "label"}


def test_invalid_files_import_nothing(cli_env: None, tmp_path: Path, services: Services,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(LIST + """\
---
category: spam
lang: en
action: hold
terms: [a, ok words]
regexes: ["(a+)+$", "(x"]
""", encoding="utf-8")
    before = audit_rows(services)
    assert main(["moderation", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "regex_backtracking" in err
    assert "regex_invalid" in err
    assert "term_too_short" in err
    assert "3 invalid rule(s): nothing imported" in err
    assert _rules(services) == {}
    assert audit_rows(services) == before
    for text in ("just: [unclosed", "- a list", "category: spam\nterms: {pattern: 5}\n",
                 "overrides: [{id: 'spam_zh:vx', enabled: maybe}]\n", "overrides: [{id: 'no such'}]\n"):
        bad.write_text(text, encoding="utf-8")
        assert main(["moderation", "import", str(bad)]) == 1, text
    assert _rules(services) == {}
    assert main(["moderation", "import", str(tmp_path / "missing.yaml")]) == 1


def test_dry_run_writes_nothing_and_replace_deletes(cli_env: None, tmp_path: Path, services: Services,
                                                    client: TestClient, factory: Factory,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    admin = staff(factory, services, "admin")
    add_rule(client, admin, pattern="old phrase here")
    path = tmp_path / "rules.yaml"
    path.write_text(LIST, encoding="utf-8")
    before = audit_rows(services)
    assert main(["moderation", "import", "--dry-run", "--replace", str(path)]) == 0
    assert "dry run (nothing written): created 3, updated 0, unchanged 0, deleted 1" in capsys.readouterr().out
    assert set(_rules(services)) == {"old phrase here"}
    assert audit_rows(services) == before
    assert main(["moderation", "import", str(path)]) == 0
    assert "old phrase here" in _rules(services)  # without --replace, kept
    assert main(["moderation", "import", "--replace", str(path)]) == 0
    assert "old phrase here" not in _rules(services)
