"""Request and response bodies of the accounts API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from redbridge.text.clean import SingleLine
from redbridge.text.topics import TOPICS

Username = Annotated[str, StringConstraints(min_length=3, max_length=30, pattern=r"^[A-Za-z0-9_]+$")]
ReadLang = Literal["en", "zh"]
UiLang = Literal["en", "zh-Hans", "zh-Hant"]
Topic = Literal[TOPICS]  # type: ignore[valid-type]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignupIn(Strict):
    username: Username
    password: str = Field(min_length=1, max_length=1024)
    email: Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    display_name: Annotated[str, SingleLine] | None = Field(default=None, max_length=40)
    ui_lang: UiLang | None = None
    read_langs: list[ReadLang] | None = Field(default=None, max_length=2)
    # Surge mode's proof-of-work (``accounts.proof``): the challenge from GET /auth/challenge and a
    # nonce that solves it. Ignored while surge mode is off.
    challenge: str | None = Field(default=None, max_length=200)
    nonce: str | None = Field(default=None, max_length=64)


class ChallengeOut(BaseModel):
    """A signup proof-of-work challenge: find ``nonce`` with ``sha256(challenge + nonce)`` starting
    with ``bits`` zero bits. ``required``: whether signup needs it now (surge mode)."""

    required: bool
    challenge: str
    bits: int
    algorithm: str = "sha256"
    expires_at: datetime


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=254, description="Username or email")
    password: str = Field(min_length=1, max_length=1024)


# PostgreSQL text cannot hold NUL: refused as a 422 rather than failing in the database.
NO_NUL = r"^[^\x00]*$"


class ProfileUpdate(Strict):
    display_name: Annotated[str, SingleLine] | None = Field(default=None, max_length=40, pattern=NO_NUL)
    bio: str | None = Field(default=None, max_length=300, pattern=NO_NUL)
    read_langs: list[ReadLang] | None = Field(default=None, min_length=1, max_length=2)
    ui_lang: UiLang | None = None
    region: Annotated[str, SingleLine] | None = Field(default=None, max_length=40, pattern=NO_NUL)
    interests: list[Topic] | None = Field(default=None, max_length=10)
    onboarded: bool | None = None
    # Strict: a JSON client that sends "yes please" (or "yes") gets a 422, not a guess.
    always_translate: StrictBool | None = Field(
        default=None, description="Show notes and comments in another language translated first.")


class PasswordChange(Strict):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class UserBrief(BaseModel):
    id: str
    username: str
    display_name: str
    avatar_url: str | None


class Profile(UserBrief):
    bio: str
    read_langs: list[str]
    region: str
    follower_count: int
    following_count: int
    note_count: int
    engagement_received: int
    created_at: datetime
    followed_by_me: bool = False
    follows_me: bool = False
    blocked_by_me: bool = False
    muted_by_me: bool = False


class Me(Profile):
    email: str | None
    ui_lang: str
    interests: list[str]
    onboarded: bool
    always_translate: bool
    is_admin: bool = Field(description="role == \"admin\" (kept for older clients).")
    role: Literal["user", "moderator", "admin"]


class AuthOut(BaseModel):
    token: str = Field(description="Bearer token for the API (also usable as the session cookie).")
    csrf_token: str = Field(description="Send as X-CSRF-Token with unsafe requests authenticated by cookie.")
    user: Me


class SessionOut(BaseModel):
    id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str
    ip: str
    current: bool
