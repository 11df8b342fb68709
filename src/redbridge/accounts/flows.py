"""Signup and login as async flows, shared by the JSON API (``accounts.routes``) and the pages
(``web.pages.auth``), so both apply the same rate limits, password policy and timing defences.

They are ``async`` because argon2 hashing runs on the password hasher's own bounded pool (awaited,
never blocking the event loop); the database steps run in the request thread pool. Each returns
the new login session; what to do with its token (a JSON body or a cookie) is the caller's choice.
Errors are ``AppError`` s (with ``fields`` where one form field is at fault).
"""

from __future__ import annotations

import asyncio
import ipaddress
import unicodedata
from dataclasses import dataclass

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from redbridge.accounts import actions, proof, queries, standing
from redbridge.accounts.models import AuthSession, User
from redbridge.accounts.schemas import ChallengeOut, LoginIn, SignupIn
from redbridge.core.deps import client_ip
from redbridge.core.errors import AppError
from redbridge.core.i18n import _
from redbridge.core.services import Services
from redbridge.moderation import screening, surge
from redbridge.settings import RateLimitSettings


@dataclass(frozen=True)
class Opened:
    """A login session just opened: ``token`` is shown once (the row only keeps its digest)."""

    token: str
    auth: AuthSession
    user: User


async def open_session(services: Services, request: Request, user: User) -> Opened:
    def work() -> Opened:
        with services.sessions() as session:
            token, auth = actions.open_session(
                session, user, services.clock.now(), services.settings.session_days,
                request.headers.get("user-agent", ""), client_ip(request),
            )
            return Opened(token=token, auth=auth, user=user)

    return await run_in_threadpool(work)


async def signup(services: Services, request: Request, body: SignupIn) -> Opened:
    """Create the account and log it in. The UI language defaults to the request's locale."""
    services.limiter.hit("signup-ip", client_ip(request), services.settings.rate_limits.signup_per_ip)
    actions.check_password(body.password, body.username, body.email,
                           min_strength=services.settings.passwords.min_strength)

    def check() -> None:
        # The username and display name are on every byline: screened like a profile edit (422
        # for a reject or a hold), off the event loop (the first check builds the app's checker).
        checker = screening.checker(services)
        screening.screen_username(checker, body.username)
        screening.screen_profile(checker, body.display_name)
        with services.sessions() as session:
            actions.check_username(session, body.username)

    await run_in_threadpool(check)
    # The proof is spent after the cheap checks (a typo or a taken name keeps it), still before
    # the password hash, the expensive part.
    await run_in_threadpool(check_proof, services, body.challenge, body.nonce)
    password_hash = await services.passwords.hash(body.password)

    def create() -> User:
        with services.sessions() as session:
            return actions.create_user(
                session, services.clock.now(), username=body.username, password_hash=password_hash,
                email=body.email, display_name=body.display_name, ui_lang=body.ui_lang or request.state.locale,
                read_langs=list(body.read_langs) if body.read_langs else None,
            )

    user = await run_in_threadpool(create)
    return await open_session(services, request, user)


def surge_active(services: Services) -> bool:
    with services.sessions() as session:
        return surge.active(session, services.settings.spam.surge_queue_threshold)


def challenge(services: Services) -> ChallengeOut:
    """A proof-of-work challenge, and whether signup needs one now (surge mode)."""
    spam = services.settings.spam
    issued = proof.issue(services.secret, services.clock.now(), spam.pow_bits, spam.pow_ttl_s)
    return ChallengeOut(required=surge_active(services), challenge=issued.challenge, bits=issued.bits,
                        expires_at=issued.expires_at)


def check_proof(services: Services, challenge: str | None, nonce: str | None) -> None:
    """In surge mode, spend the signup's proof-of-work (422 ``signup.proof_*`` without a valid,
    unexpired, unused one); nothing otherwise. Before the password hash, the expensive part."""
    with services.sessions() as session:
        if surge.active(session, services.settings.spam.surge_queue_threshold):
            proof.spend(session, services.clock.now(), services.secret, challenge, nonce,
                        services.settings.spam.pow_bits)


def source_key(ip: str) -> str:
    """The source an attempt is counted against: the IPv4 address, or the IPv6 /64 (one
    customer's allocation, which they can rotate through freely)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def account_key(user: User | None, login: str) -> str:
    """What the per-account counters are keyed by: the account, however it was named (username
    or email), or for no account the normalised identifier (so probing an unknown name costs the
    same as a known one)."""
    return f"u{user.id}" if user is not None else "n:" + unicodedata.normalize("NFKC", login).strip().casefold()


def slowdown_delay(limits: RateLimitSettings, failures: int) -> float:
    """Seconds an attempt waits after ``failures`` recent failed logins for its account (from
    any source): none up to the threshold, then doubling from the step up to the cap."""
    threshold = limits.login_account_slowdown[0]
    if failures < threshold:
        return 0.0
    return float(min(limits.login_slowdown_max_s, limits.login_slowdown_step_s * 2 ** min(failures - threshold, 16)))


def _failure_budget(limits: RateLimitSettings) -> tuple[int, int]:
    # The failure counter never refuses; it saturates a little past the point where the delay
    # has reached its cap.
    count, window = limits.login_account_slowdown
    return count + 32, window


async def login(services: Services, request: Request, body: LoginIn) -> Opened:
    """Check the credentials (username or email) and open a session; 401 ``auth.invalid`` on any
    mismatch, without saying which part was wrong.

    Limits (docs/accounts.md): per source IP overall (``login_per_ip``, 429); per account *and*
    source (``login_per_account``, 429), keyed by the resolved account so username and email
    share one budget, and one attacker's address spends only its own; per account from anywhere,
    failed attempts slow further attempts down (``login_account_slowdown``) but never lock the
    account: a stranger cannot keep its owner out."""
    limits = services.settings.rate_limits
    source = source_key(client_ip(request))
    services.limiter.hit("login-ip", source, limits.login_per_ip)

    def find() -> User | None:
        with services.sessions() as session:
            return queries.by_login(session, body.username)

    user = await run_in_threadpool(find)
    account = account_key(user, body.username)
    services.limiter.hit("login-account-ip", f"{account}|{source}", limits.login_per_account)
    delay = slowdown_delay(limits, services.limiter.count("login-account-fail", account, _failure_budget(limits)))
    if delay > 0:
        await asyncio.sleep(delay)
    # Always verify (against a dummy hash when there is no user) so timing does not reveal
    # which usernames exist.
    ok = await services.passwords.verify(user.password_hash if user else None, body.password)
    if user is None or not ok or not user.is_active:
        services.limiter.record("login-account-fail", account, _failure_budget(limits))
        raise AppError("auth.invalid", _("Wrong username or password."), 401)
    # After the password: only the account's owner learns that it is suspended.
    standing.check_can_log_in(user, services.clock.now())
    if services.passwords.needs_rehash(user.password_hash):
        new_hash = await services.passwords.hash(body.password)

        def rehash() -> None:
            with services.sessions() as session:
                actions.set_password_hash(session, user.id, new_hash)

        await run_in_threadpool(rehash)
    return await open_session(services, request, user)
