"""Request and response bodies of reports, the review queue, decisions, the audit log and roles."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from redbridge.accounts.schemas import NO_NUL, Strict, UserBrief
from redbridge.text.clean import RequiredSingleLine, SingleLine
from redbridge.translations.schemas import TranslationOut

SubjectKind = Literal["note", "comment", "translation", "user"]
Category = Literal["harassment", "slur", "threat", "self_harm", "sexual", "spam", "personal_data"]
ReportReason = Literal["harassment", "slur", "threat", "self_harm", "sexual", "spam", "personal_data", "other"]
# A decision's reason: a category, "no_violation" (an approval), or "other" (rule 4: codes, not text).
DecisionReason = Literal["harassment", "slur", "threat", "self_harm", "sexual", "spam", "personal_data",
                         "no_violation", "other"]
# "act": a reported profile decided with an account action (``DecisionIn.account``).
Action = Literal["approve", "remove", "label", "act"]
Role = Literal["user", "moderator", "admin"]
Outcome = Literal["approved", "removed", "labelled", "lifted", "upheld", "reinstated", "actioned"]
Source = Literal["pipeline", "moderator", "appeal"]
AppealAction = Literal["uphold", "reinstate"]
AppealState = Literal["open", "closed"]

DETAIL_MAX = 500
ReportDetail = Annotated[str, StringConstraints(strip_whitespace=True, max_length=DETAIL_MAX, pattern=NO_NUL),
                         SingleLine]
# A note or comment id, or a username for a user: kept short, checked against the kind in the action.
SubjectRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30, pattern=NO_NUL)]


class ReportIn(Strict):
    subject: SubjectKind
    id: SubjectRef
    reason: ReportReason
    detail: ReportDetail = ""


class ReportOut(BaseModel):
    id: str
    subject: SubjectKind
    subject_id: str
    reason: ReportReason
    detail: str
    status: Literal["open", "closed"]
    outcome: Outcome | None
    created_at: datetime
    resolved_at: datetime | None
    merged: bool = Field(False, description="true: an earlier report of yours on this item already existed")


class DecisionRow(BaseModel):
    """One stored decision: the pipeline's (with its evidence) or a moderator's."""

    id: str
    decision: str
    reasons: list[str]
    evidence: list[dict[str, Any]]
    source: Source
    moderator: str | None  # the moderator's username
    created_at: datetime


class QueueContent(BaseModel):
    """What is under review. A note: title, body; a comment: body and its note; a user: the profile."""

    status: str | None = None  # a note's or comment's status (published | held | removed)
    label: str | None = None
    lang: str | None = None
    title: str | None = None
    body: str | None = None
    note_id: str | None = None  # a comment's note
    display_name: str | None = None
    bio: str | None = None


class ReportSummary(BaseModel):
    count: int
    reasons: dict[str, int]
    details: list[str]  # the newest few, as the reporters wrote them


class AuthorHistory(BaseModel):
    decisions: int  # stored decisions about the author's other content
    removals: int  # of which removals by a moderator
    holds: int  # of which holds by the pipeline


class QueueItemOut(BaseModel):
    id: str
    kind: SubjectKind
    subject_id: str
    held: bool
    categories: list[str]
    report_count: int
    state: Literal["open", "closed"]
    outcome: Outcome | None
    created_at: datetime
    author: UserBrief
    content: QueueContent
    evidence: list[DecisionRow]
    reports: ReportSummary
    author_history: AuthorHistory
    appeal_id: str | None = None  # an item opened by the author's appeal: decided under /moderation/appeals
    # One item's view only (GET /moderation/queue/{id}): the note's or comment's machine translation
    # into the moderator's language (``translations.service.moderator_translation``): ``pending``
    # while the job runs; None when there is nothing to translate or no budget left.
    translation: TranslationOut | None = None


class DecisionIn(Strict):
    action: Action
    reason: DecisionReason
    # An account action on the author: with "act" (a user item; required) or with "remove".
    account: AccountSpec | None = None


class DecisionOut(BaseModel):
    item_id: str
    kind: SubjectKind
    subject_id: str
    outcome: Outcome
    status: str | None  # the content's status afterwards (None for a user)
    label: str | None
    reports_resolved: int
    account_action: AccountActionOut | None = None


class MyDecisionOut(BaseModel):
    """A decision about the caller's own content, as its author sees it."""

    id: str  # the decision's id (a moderator's removal is appealed by it)
    kind: Literal["note", "comment", "translation", "profile"]
    subject_id: str
    decision: str
    reasons: list[str]
    message: str  # the first reason in the caller's language
    source: Source
    created_at: datetime
    appeal: AppealState | None = None  # a removal the author appealed: open until decided


class AuditOut(BaseModel):
    id: str
    actor: str | None  # username (None: the account is gone)
    action: str
    subject_kind: str
    subject_id: str
    details: dict[str, Any]
    created_at: datetime


class RoleIn(Strict):
    role: Role


class RoleOut(BaseModel):
    username: str
    role: Role
    previous: Role


APPEAL_MAX = 1000
AppealText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=APPEAL_MAX,
                                              pattern=NO_NUL), RequiredSingleLine]


class AppealIn(Strict):
    text: AppealText


class AppealOut(BaseModel):
    id: str
    decision_id: str  # the removal appealed
    kind: Literal["note", "comment", "translation"]
    subject_id: str
    author: str | None  # username
    text: str
    reasons: list[str]  # the removal's
    removed_by: str | None  # the moderator who removed it (who may not decide the appeal)
    state: AppealState
    outcome: Outcome | None
    decided_by: str | None
    created_at: datetime
    decided_at: datetime | None


class AppealDecisionIn(Strict):
    action: AppealAction
    reason: DecisionReason


# ---------------------------------------------------------------------------------- account actions

AccountActionKind = Literal["warn", "mute", "suspend", "ban"]
MAX_HOURS = 24 * 365
Standing = Literal["ok", "muted", "suspended", "banned"]


class AccountSpec(Strict):
    """An account action: ``hours`` (1 … 8760) is the period of a mute or a suspension and is
    refused for a warning or a ban (a ban has no end)."""

    action: AccountActionKind
    hours: Annotated[int, Field(ge=1, le=MAX_HOURS, strict=True)] | None = None

    @model_validator(mode="after")
    def _period(self) -> AccountSpec:
        timed = self.action in ("mute", "suspend")
        if timed and self.hours is None:
            raise ValueError("a mute or a suspension needs hours")
        if not timed and self.hours is not None:
            raise ValueError("a warning or a ban has no period")
        return self


class AccountActionIn(AccountSpec):
    reason: ReportReason  # a category code or "other"


class AccountActionOut(BaseModel):
    id: str
    username: str
    action: AccountActionKind
    reason: str
    until: datetime | None  # a mute's or suspension's end; None for a warning or a ban
    in_force: bool  # a mute, suspension or ban not yet over nor lifted
    moderator: str | None  # username
    queue_item_id: str | None
    created_at: datetime
    lifted_at: datetime | None
    lifted_by: str | None


class AccountDecision(BaseModel):
    """A decision about the account's content (or profile), for its history."""

    id: str
    kind: str  # note | comment | profile
    subject_id: str
    decision: str
    reasons: list[str]
    source: Source
    created_at: datetime


class AccountReport(BaseModel):
    """A report of the account's content or profile (the reporter is not named)."""

    id: str
    subject: SubjectKind
    subject_id: str
    reason: str
    detail: str
    outcome: Outcome | None
    created_at: datetime


class AccountCounts(BaseModel):
    decisions: int
    removals: int  # by a moderator
    holds: int  # by the pipeline
    reports: int  # reports against the account
    actions: int


class AccountHistoryOut(BaseModel):
    """What a moderator needs to act on an account: its standing, counts and the newest rows."""

    user: UserBrief
    role: Role
    standing: Standing
    muted_until: datetime | None
    suspended_until: datetime | None  # a ban: None here, standing "banned"
    counts: AccountCounts
    actions: list[AccountActionOut]
    decisions: list[AccountDecision]
    reports: list[AccountReport]


# Decisions carry an account action (defined above them in reading order, below them here).
DecisionIn.model_rebuild()
DecisionOut.model_rebuild()


# ------------------------------------------------------------------------------ semantic examples

EXAMPLE_MAX = 2000  # e5 reads 512 tokens; a marked example is a sentence or a paragraph
ExampleText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=EXAMPLE_MAX,
                                               pattern=NO_NUL)]
ExampleSource = Literal["text", "queue"]


class ExampleIn(Strict):
    """Mark an example of violating content: a ``text``, or the content of a queue item
    (``queue_item_id``: a note's title and body, a comment's body). Exactly one of the two."""

    category: Category
    text: ExampleText | None = None
    queue_item_id: SubjectRef | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ExampleIn:
        if (self.text is None) == (self.queue_item_id is None):
            raise ValueError("give either text or queue_item_id")
        return self


class ExampleOut(BaseModel):
    id: str
    text: str
    lang: str
    category: Category
    source: ExampleSource
    queue_item_id: str | None
    added_by: str | None  # username
    created_at: datetime
    disabled: bool
    disabled_by: str | None
    disabled_at: datetime | None


# -------------------------------------------------------------------------------- image blocklist

# What a moderator files a blocked picture under (rule 4: codes; the author reads the category's sentence).
ImageCategory = Literal["sexual", "violence", "hate", "self_harm", "spam", "other"]
IMAGE_REASON_MAX = 300
ImageBlockReason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=IMAGE_REASON_MAX,
                                                    pattern=NO_NUL), SingleLine]


class ImageBlockIn(Strict):
    """Block a picture by its perceptual hash: one upload (``media_id``), or every picture of a
    note (``note_id``). Exactly one of the two. ``reason`` is the moderators' own note."""

    media_id: SubjectRef | None = None
    note_id: SubjectRef | None = None
    category: ImageCategory
    reason: ImageBlockReason = ""

    @model_validator(mode="after")
    def _one_source(self) -> ImageBlockIn:
        if (self.media_id is None) == (self.note_id is None):
            raise ValueError("give either media_id or note_id")
        return self


class ImageBlockOut(BaseModel):
    id: str
    phash: str  # 16 hex digits (the unsigned 64-bit pHash)
    category: ImageCategory
    reason: str
    source_media_id: str | None
    added_by: str | None  # username
    created_at: datetime


# exists: already blocked; plain: too plain to block (it would match every blank picture);
# no_hash: uploaded before image moderation, never hashed
ImageSkipWhy = Literal["exists", "plain", "no_hash"]


class ImageBlockSkipped(BaseModel):
    media_id: str
    why: ImageSkipWhy


class ImageBlocksAdded(BaseModel):
    items: list[ImageBlockOut]
    skipped: list[ImageBlockSkipped]


# ------------------------------------------------------------------------------------ surge mode

SurgeMode = Literal["off", "auto", "on"]


class SurgeIn(Strict):
    mode: SurgeMode


class SurgeOut(BaseModel):
    """Surge mode's switch and what it means now: ``active`` (signup needs a proof-of-work, new
    accounts get the surge limits), the open review items (counted up to ``threshold`` + 1) and
    the threshold past which ``auto`` turns it on."""

    mode: SurgeMode
    active: bool
    queue_open: int
    threshold: int
    changed_by: str | None
    changed_at: datetime | None
