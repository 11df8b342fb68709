"""Request and response bodies of the rules editor (``/api/v1/admin/moderation/rules``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints
from pydantic_core import PydanticCustomError

from redbridge.accounts.schemas import NO_NUL, Strict
from redbridge.moderation.rules import MAX_PATTERN_LENGTH, Category, Kind, Lang
from redbridge.moderation.rules import Action as RuleAction
from redbridge.text.clean import RequiredSingleLine, SingleLine

__all__ = ["Category", "Kind", "Lang", "RuleAction"]  # re-exported for the routes and pages

MAX_TERM = 200
MAX_ALLOW = 20


def _encodable(value: str) -> str:
    # json.loads (which reads the body before validation) accepts lone surrogates; no database
    # column can store them, and no rule needs them.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("string_unicode", "The text contains an invalid character") from None
    return value


Encodable = AfterValidator(_encodable)
# A term or a regex as written: not cleaned (a regex's spaces and escapes are its meaning); the
# action checks its length per kind and runs ``rules.check_regex``.
Pattern = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PATTERN_LENGTH, pattern=NO_NUL), Encodable]
AllowPhrase = Annotated[str, StringConstraints(max_length=100, pattern=NO_NUL), Encodable, RequiredSingleLine]
Note = Annotated[str, StringConstraints(max_length=500, pattern=NO_NUL), Encodable, SingleLine]


class RuleIn(Strict):
    kind: Kind = "term"
    pattern: Pattern
    category: Category
    lang: Lang = "any"
    action: RuleAction = "hold"
    allow: list[AllowPhrase] = Field(default_factory=list, max_length=MAX_ALLOW)
    enabled: bool = True
    note: Note = ""


class RulePatch(Strict):
    """Only the fields sent change."""

    kind: Kind | None = None
    pattern: Pattern | None = None
    category: Category | None = None
    lang: Lang | None = None
    action: RuleAction | None = None
    allow: list[AllowPhrase] | None = Field(default=None, max_length=MAX_ALLOW)
    enabled: bool | None = None
    note: Note | None = None


class RuleOut(BaseModel):
    id: str
    rule_id: str = Field(description="the id verdicts name in their evidence (admin:<id>)")
    kind: Kind
    pattern: str
    category: Category
    lang: Lang
    action: RuleAction
    allow: list[str]
    enabled: bool
    note: str
    created_by: str | None  # usernames; None: the command line (or a deleted account)
    updated_by: str | None
    created_at: datetime
    updated_at: datetime
    version: int = Field(0, description="the rules version this change made (0 on reads)")


class ShippedRuleOut(BaseModel):
    """A rule of the shipped lists with its override, if an administrator set one."""

    id: str
    kind: Kind
    pattern: str
    category: Category
    lang: Lang
    shipped_action: RuleAction
    action: RuleAction  # in force
    enabled: bool  # in force
    allow: list[str]
    overridden: bool
    note: str = ""
    updated_by: str | None = None
    updated_at: datetime | None = None
    version: int = 0


class OverrideIn(Strict):
    enabled: bool = True
    action: RuleAction | None = Field(None, description="None: the shipped action")
    note: Note = ""


TryText = Annotated[str, StringConstraints(min_length=1, max_length=5000, pattern=NO_NUL), Encodable]


class TryIn(Strict):
    text: TryText


class TryOut(BaseModel):
    decision: Literal["allow", "label", "hold", "reject"]
    reasons: list[str]
    evidence: list[dict[str, Any]]
    version: int = Field(description="the rules version the verdict was reached under")
