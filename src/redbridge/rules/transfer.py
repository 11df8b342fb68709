"""The rules as YAML files, in the format of the shipped lists (``moderation/data/*.yaml``), so a
deployment can keep its lists under version control (``redbridge moderation export / import``).

A file is a stream of YAML documents. A *list* document is a shipped list's format: ``category``,
``lang`` and the default ``action``, then ``terms`` and ``regexes``, each entry a string or
``{pattern, action, allow, enabled, note, id}``. An entry whose ``id`` names a shipped rule is that
shipped rule (its ``enabled`` / ``action`` become an override where they differ from the shipped
ones); every other entry is an administrator's rule. An *overrides* document (``overrides:`` a list
of ``{id, enabled, action, note}``) states shipped rules' overrides without repeating the lists.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import yaml  # type: ignore[import-untyped,unused-ignore]  # no stubs installed here

from redbridge.moderation.live import with_override
from redbridge.moderation.models import ModerationRule, RuleOverride
from redbridge.moderation.rules import load_defaults, shipped_by_id
from redbridge.rules.actions import Entry, ShippedState

DEFAULT_ACTION = "hold"


class FileError(ValueError):
    """A file that is not in the format (the message says where)."""


def _entries(doc: dict[str, Any], index: int) -> Iterable[tuple[str, dict[str, Any]]]:
    for kind, key in (("term", "terms"), ("regex", "regexes")):
        items = doc.get(key) or []
        if not isinstance(items, list):
            raise FileError(f"document {index}: {key} is not a list")
        for item in items:
            entry = {"pattern": item} if isinstance(item, str) else item
            if not isinstance(entry, dict) or not isinstance(entry.get("pattern"), str):
                raise FileError(f"document {index}: bad entry {item!r}")
            yield kind, entry


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise FileError(f"{where}: enabled must be true or false")
    return value


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FileError(f"{where}: expected text, got {value!r}")
    return value


def parse(text: str) -> tuple[list[Entry], list[ShippedState]]:
    """Administrators' rules and shipped rules' states of a file (validated later, all at once)."""
    shipped_ids = shipped_by_id()
    entries: list[Entry] = []
    states: list[ShippedState] = []
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise FileError(f"not YAML: {exc}") from None
    for index, doc in enumerate(docs, 1):
        if not isinstance(doc, dict):
            raise FileError(f"document {index} is not a mapping")
        for item in doc.get("overrides") or []:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise FileError(f"document {index}: bad override {item!r}")
            where = f"override {item['id']!r}"
            states.append(ShippedState(item["id"], _bool(item.get("enabled", True), where),
                                       _text(item.get("action"), where) or None, _text(item.get("note"), where)))
        category, lang = doc.get("category"), doc.get("lang", "any")
        action = doc.get("action", DEFAULT_ACTION)
        for kind, entry in _entries(doc, index):
            where = f"document {index}: {entry['pattern']!r}"
            enabled = _bool(entry.get("enabled", True), where)
            if isinstance(entry.get("id"), str) and entry["id"] in shipped_ids:
                states.append(ShippedState(entry["id"], enabled, _text(entry.get("action"), where) or None,
                                           _text(entry.get("note"), where)))
                continue
            allow = entry.get("allow") or []
            if not isinstance(allow, list) or not all(isinstance(a, str) for a in allow):
                raise FileError(f"{where}: allow must be a list of phrases")
            entries.append(Entry(kind=kind, pattern=entry["pattern"],
                                 category=_text(entry.get("category", category), where),
                                 lang=_text(entry.get("lang", lang), where),
                                 action=_text(entry.get("action", action), where), allow=tuple(allow),
                                 enabled=enabled, note=_text(entry.get("note"), where)))
    return entries, states


def _entry(pattern: str, action: str, allow: Sequence[str], enabled: bool, note: str = "",
           rule_id: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"pattern": pattern}
    if rule_id is not None:
        out["id"] = rule_id
    if action != DEFAULT_ACTION or rule_id is not None:  # a shipped rule's state is always spelled out
        out["action"] = action
    if allow:
        out["allow"] = list(allow)
    if not enabled:
        out["enabled"] = False
    if note:
        out["note"] = note
    return out


def _docs(grouped: dict[tuple[str, str], dict[str, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    return [{"category": category, "lang": lang, "action": DEFAULT_ACTION,
             **{key: items for key, items in lists.items() if items}}
            for (category, lang), lists in sorted(grouped.items())] if grouped else []


def dump(rows: Sequence[ModerationRule], overrides: Sequence[RuleOverride], *, include_defaults: bool) -> str:
    """The rules as a file :func:`parse` reads back to the same state. ``include_defaults``: the
    shipped rules too, as in force (with their ids), instead of an overrides document."""
    grouped: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: {"terms": [], "regexes": []})
    for row in rows:
        grouped[(row.category, row.lang)]["terms" if row.kind == "term" else "regexes"].append(
            _entry(row.pattern, row.action, row.allow or [], row.enabled, row.note))
    docs = _docs(grouped)
    by_id = {o.rule_id: o for o in overrides}
    if include_defaults:
        shipped: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = defaultdict(
            lambda: {"terms": [], "regexes": []})
        for rule in load_defaults():
            now = with_override(rule, by_id.get(rule.id))
            shipped[(rule.category, rule.lang)]["terms" if rule.kind == "term" else "regexes"].append(
                _entry(rule.pattern, now.action, rule.allow, now.enabled, rule_id=rule.id))
        docs += _docs(shipped)
    elif overrides:
        docs.append({"overrides": [{"id": o.rule_id, "enabled": o.enabled,
                                    **({"action": o.action} if o.action else {}), **({"note": o.note} if o.note else {})}
                                   for o in overrides]})
    body: str = yaml.safe_dump_all(docs, allow_unicode=True, sort_keys=False, explicit_start=True)
    header = "# Redbridge moderation rules (redbridge moderation export); format: docs/moderation.md\n"
    return header + body


