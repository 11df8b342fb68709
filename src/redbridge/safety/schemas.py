"""Request and response bodies of reports, the review queue, decisions, the audit log and roles."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from redbridge.accounts.schemas import NO_NUL, Strict, UserBrief
from redbridge.text.clean import RequiredSingleLine, SingleLine

SubjectKind = Literal["note", "comment", "user"]
Category = Literal["harassment", "slur", "threat", "self_harm", "sexual", "spam", "personal_data"]
ReportReason = Literal["harassment", "slur", "threat", "self_harm", "sexual", "spam", "personal_data", "other"]
# A decision's reason: a category, "no_violation" (an approval), or "other" (rule 4: codes, not text).
DecisionReason = Literal["harassment", "slur", "threat", "self_harm", "sexual", "spam", "personal_data",
                         "no_violation", "other"]
Action = Literal["approve", "remove", "label"]
Role = Literal["user", "moderator", "admin"]
Outcome = Literal["approved", "removed", "labelled", "lifted", "upheld", "reinstated"]
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


class DecisionIn(Strict):
    action: Action
    reason: DecisionReason


class DecisionOut(BaseModel):
    item_id: str
    kind: SubjectKind
    subject_id: str
    outcome: Outcome
    status: str | None  # the content's status afterwards (None for a user)
    label: str | None
    reports_resolved: int


class MyDecisionOut(BaseModel):
    """A decision about the caller's own content, as its author sees it."""

    id: str  # the decision's id (a moderator's removal is appealed by it)
    kind: Literal["note", "comment", "profile"]
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
    kind: Literal["note", "comment"]
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
