"""Screening at write time: every piece of user text goes through the text pipeline
(``moderation.text``) before the write that would show it, and the write follows the verdict.

How a write action uses it (the "check, then do" rule of ``core.db.write``)::

    screened = screening.screen(checker, title, body, place, *tags)   # before the block: may 422
    with write(session):
        note = Note(..., status=screened.status, label=screened.label)
        ...
        screening.record(session, now, screened, "note", note.id, author_id)  # same transaction

Verdicts:

* ``reject`` — :func:`screen` raises ``moderation.rejected`` (422) with the reason codes in
  ``fields["reasons"]`` and a message in the author's language naming the first reason. Nothing is
  written, no decision row: the author is told, and there is nothing to review.
* ``hold`` — the write goes ahead with status ``held``: the content is visible to its author
  (marked "under review") and to moderators only, until reviewed (phase 2).
* ``label`` — published, with a label (``sensitive``).
* ``allow`` — published; no decision row (the overwhelming majority, and it says nothing).

Profiles (:func:`screen_profile`) have no held state: a display name or bio is shown on every
byline, so a held one would need a second, pending copy of the profile. A ``hold`` there refuses
the change (422 ``moderation.review_required``) and the old value stays; ``label`` is accepted.

One checker per app (``services.state``): the lists are compiled once, and two apps in one process
(the tests) each have their own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from redbridge.core import ids
from redbridge.core.errors import AppError
from redbridge.core.i18n import _
from redbridge.core.services import Services
from redbridge.moderation import fingerprints, queue, signals
from redbridge.moderation.live import live_rules
from redbridge.moderation.models import ModerationDecision
from redbridge.moderation.text import TextChecker, Verdict

PUBLISHED, HELD = "published", "held"
LABEL_SENSITIVE = "sensitive"

# What the author reads, per reason code (the categories of ``moderation.text``). One sentence each,
# naming the rule rather than quoting the text back.
REASON_MESSAGES: dict[str, str] = {
    "harassment": _("This can't be posted: it reads as harassment or an insult aimed at someone."),
    "slur": _("This can't be posted: it contains a slur."),
    "threat": _("This can't be posted: it reads as a threat of violence."),
    "self_harm": _("This can't be posted: it encourages self-harm. If you are struggling, please reach out to someone you trust or a local helpline."),
    "sexual": _("This can't be posted: it contains sexual solicitation."),
    "spam": _("This can't be posted: it looks like spam or a request to move off the platform."),
    "personal_data": _("This can't be posted: it contains personal data such as a phone or ID number."),
}
_FALLBACK = _("This can't be posted: it breaks the community rules.")
_REVIEW_REQUIRED = _("Your profile can't be changed to this text without a review. Please change it and try again.")


@dataclass(frozen=True, slots=True)
class Screening:
    """What the pipeline decided about the text of one write (a ``reject`` never gets this far)."""

    decision: str  # allow | label | hold
    reasons: tuple[str, ...] = ()
    evidence: tuple[dict[str, Any], ...] = field(default=())
    # The text's SimHash (``moderation.signals``) when the spam signals ran on it and it is long
    # enough: :func:`record` stores it for the near-duplicate lookup of later writes.
    fingerprint: int | None = None

    @property
    def status(self) -> str:
        """The status the written content takes: ``held`` for a hold, else ``published``."""
        return HELD if self.decision == "hold" else PUBLISHED

    @property
    def label(self) -> str | None:
        return LABEL_SENSITIVE if self.decision == "label" else None

    @property
    def stored(self) -> bool:
        """Whether the write records a decision row (everything but ``allow``)."""
        return self.decision != "allow"


ALLOW = Screening("allow")


def checker(services: Services) -> TextChecker:
    """The app's checker in force now: the shipped lists, administrators' overrides and rules
    (``moderation.live``; rebuilt in the background after a change, noticed by every process
    within a second or two). A test pins a stand-in checker with ``LiveRules.pin``."""
    return live_rules(services).current()


def reason_message(reasons: tuple[str, ...] | list[str]) -> str:
    return REASON_MESSAGES.get(reasons[0], _FALLBACK) if reasons else _FALLBACK


def rejected(reasons: tuple[str, ...] | list[str]) -> AppError:
    return AppError("moderation.rejected", reason_message(reasons), 422, fields={"reasons": list(reasons)})


def _check(text_checker: TextChecker, texts: tuple[str | None, ...]) -> Verdict | None:
    # One check over the joined text: a phrase split between the title and the body (or a tag)
    # is still one phrase. Newlines keep the parts from running into each other.
    text = "\n".join(t for t in texts if t and t.strip())
    return text_checker.check(text) if text else None


def _screening(verdict: Verdict) -> Screening:
    return Screening(verdict.decision, tuple(verdict.reasons), tuple(verdict.evidence))


def screen(text_checker: TextChecker, *texts: str | None, writer: Writer | None = None) -> Screening:
    """Screen the text of a note or comment (the parts are checked as one text). Raises
    ``moderation.rejected`` (422) for a ``reject``; otherwise the write proceeds as the result says.
    Call it before the write transaction: the check is CPU work, and a refusal takes no lock.
    With ``writer`` the spam signals run too (:func:`spam_signals`: one indexed read)."""
    verdict = _check(text_checker, texts)
    if verdict is not None and verdict.decision == "reject":
        raise rejected(tuple(verdict.reasons))
    screened = ALLOW if verdict is None or verdict.decision == "allow" else _screening(verdict)
    return screened if writer is None else spam_signals(screened, writer, texts)


def screen_profile(text_checker: TextChecker, *texts: str | None) -> Screening:
    """Screen a display name or bio: a ``reject`` is 422 ``moderation.rejected`` and a ``hold`` is
    422 ``moderation.review_required`` (profiles have no held state: the old value stays)."""
    verdict = _check(text_checker, texts)
    if verdict is None or verdict.decision == "allow":
        return ALLOW
    if verdict.decision == "reject":
        raise rejected(tuple(verdict.reasons))
    if verdict.decision == "hold":
        raise AppError("moderation.review_required", _REVIEW_REQUIRED, 422,
                       fields={"reasons": list(verdict.reasons)})
    return _screening(verdict)


# A username is one token (``[A-Za-z0-9_]``): its words are split where a person reads them apart
# — underscores, a lower-to-upper change (``KillYourself``), letters next to digits — so the
# lexicon's word boundaries see them.
_USERNAME_BREAKS = re.compile(r"_+|(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
_USERNAME_REFUSED = _("This username can't be used: it breaks the community rules. Please choose another one.")


def username_words(username: str) -> str:
    """``nazi_Scum88`` → ``nazi Scum 88``: what the pipeline reads of a username."""
    return " ".join(part for part in _USERNAME_BREAKS.split(username) if part)


def screen_username(text_checker: TextChecker, username: str) -> None:
    """Screen a new username (it names its owner on every byline and in every URL, and cannot be
    held or labelled away): a ``reject`` or a ``hold`` is 422 ``moderation.username_rejected`` at
    the ``username`` field, with the reason codes; nothing is stored. A ``label`` passes, as a
    display name's does."""
    verdict = _check(text_checker, (username_words(username),))
    if verdict is not None and verdict.decision in ("reject", "hold"):
        raise AppError("moderation.username_rejected", _USERNAME_REFUSED, 422,
                       fields={"username": "rejected", "reasons": list(verdict.reasons)})


def _jsonable(evidence: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    # Evidence is the pipeline's to shape (rule ids, spans, scores); store what JSON can hold.
    loaded: list[dict[str, Any]] = json.loads(json.dumps(list(evidence), default=str))
    return loaded


def record(session: Session, now: datetime, screened: Screening, subject_kind: str, subject_id: int,
           author_id: int) -> None:
    """Store the pipeline's decision about a subject, in the caller's write transaction (so held
    content never exists without the decision that held it), and put held content in the review
    queue in the same transaction (``moderation.queue.open_item``). Nothing for ``allow``."""
    if screened.fingerprint is not None:
        fingerprints.store(session, now, screened.fingerprint, subject_kind, subject_id, author_id)
    if not screened.stored:
        return
    if screened.decision == "hold":
        queue.open_item(session, now, subject_kind, subject_id, author_id, categories=screened.reasons, held=True)
    session.add(ModerationDecision(
        id=ids.new_id(now), subject_kind=subject_kind, subject_id=subject_id, author_id=author_id,
        decision=screened.decision, reasons=list(screened.reasons), evidence=_jsonable(screened.evidence),
        source="pipeline", moderator_id=None, created_at=now,
    ))


def held_by_pipeline(session: Session, subject_kind: str, subject_id: int) -> bool:
    """Whether the subject's latest decision is the pipeline's: such a hold lifts when an edit
    passes screening, while a moderator's (phase 2) stays until a moderator lifts it."""
    source = session.scalar(
        select(ModerationDecision.source)
        .where(ModerationDecision.subject_kind == subject_kind, ModerationDecision.subject_id == subject_id)
        .order_by(ModerationDecision.id.desc()).limit(1)
    )
    return source in (None, "pipeline")


# ---------------------------------------------------------------------------------- spam signals


@dataclass(frozen=True, slots=True)
class Writer:
    """Who is writing, as the spam signals need it: the session to read recent fingerprints with
    (before the write transaction), the time, the author, what is written (``note`` | ``comment``;
    ``subject_id`` for an edit, so its own old text is no copy) and whether the author's links wait
    for review (a new account: ``accounts.trust``)."""

    session: Session
    now: datetime
    author_id: int
    subject_kind: str
    subject_id: int | None = None
    hold_links: bool = False
    thresholds: signals.Thresholds = field(default_factory=signals.Thresholds)


def spam_signals(screened: Screening, writer: Writer, texts: tuple[str | None, ...]) -> Screening:
    """Add the spam signals to the text pipeline's verdict: link flooding, mention flooding, a
    new account's link, near copies across accounts (and many of one's own). Any of them holds
    the write with reason ``spam`` and one evidence entry per signal (``{"signal": ...}``); a
    ``label`` or ``hold`` of the pipeline keeps its own reasons and evidence."""
    text = "\n".join(t for t in texts if t and t.strip())
    limits = writer.thresholds
    found: list[dict[str, Any]] = []
    links = signals.count_links(text)
    if links > limits.max_links:
        found.append({"signal": "link_flood", "links": links, "max": limits.max_links})
    elif links and writer.hold_links:
        found.append({"signal": "new_account_link", "links": links})
    mentions = signals.count_mentions(text)
    if mentions > limits.max_mentions:
        found.append({"signal": "mention_flood", "mentions": mentions, "max": limits.max_mentions})
    fingerprint = signals.simhash(text)
    if fingerprint is not None:
        copies = fingerprints.near_copies(
            writer.session, writer.now, fingerprint, author_id=writer.author_id, subject_kind=writer.subject_kind,
            subject_id=writer.subject_id, max_distance=limits.max_distance,
            window=timedelta(seconds=limits.window_s))
        if copies.accounts >= limits.accounts:
            found.append({"signal": "near_duplicate", "accounts": copies.accounts, "distance": copies.closest,
                          "window_s": limits.window_s})
        elif copies.own >= limits.own_copies:
            found.append({"signal": "own_copies", "copies": copies.own, "window_s": limits.window_s})
    if not found:
        return replace(screened, fingerprint=fingerprint)
    reasons = screened.reasons if "spam" in screened.reasons else (*screened.reasons, "spam")
    return Screening("hold", reasons, (*screened.evidence, *found), fingerprint=fingerprint)
