"""Spam and abuse signals (``moderation.signals``, ``moderation.fingerprints``, the ``Writer`` part
of ``moderation.screening``) and trust levels (``accounts.trust``), through the API with the real
checker: near copies across accounts, link and mention flooding, a new account's links, and the
per-level limits."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from redbridge.accounts import trust
from redbridge.accounts.models import User
from redbridge.app import create_app
from redbridge.core import ids
from redbridge.core.clock import SystemClock
from redbridge.core.services import Services
from redbridge.moderation import signals
from redbridge.moderation.models import ModerationDecision, QueueItem, SpamFingerprint
from redbridge.settings import Settings, TrustLimits
from tests.conftest import prepare_schema
from tests.factories import Factory, UserHandle

CAMPAIGN = ("Big weekend sale at our corner shop this Saturday morning, every jacket and pair of "
            "boots half price until noon, come early and bring your friends along")
CAMPAIGN_ZH = "周六上午我们小店周末大促销，所有外套和靴子半价到中午，欢迎早点来并带上朋友们一起逛逛"

BENIGN = [
    "The food here is great and the view from the terrace is the best in the whole city today",
    "The food here is great, we came back twice and the noodles are the best we had on the trip",
    "The view from the terrace is great, the food is fine and the staff are the best in town",
    "这家店的火锅真的太好吃了，下次还要再来，强烈推荐给大家",
    "这家店的环境真的太好了，服务也很周到，下次还要带朋友来",
]


# ------------------------------------------------------------------------------- pure functions


def test_copies_with_trivial_changes_fingerprint_alike() -> None:
    base = signals.simhash(CAMPAIGN)
    assert base is not None
    for variant in (CAMPAIGN.upper(), CAMPAIGN.replace(",", " !!"), f"🔥 {CAMPAIGN} 🔥",
                    CAMPAIGN.replace("a", "ａ"), CAMPAIGN.replace(" ", "  ")):
        fingerprint = signals.simhash(variant)
        assert fingerprint is not None
        assert signals.distance(base, fingerprint) <= 3, variant
    zh = signals.simhash(CAMPAIGN_ZH)
    zh_variant = signals.simhash(CAMPAIGN_ZH.replace("，", "！") + "～～")
    assert zh is not None
    assert zh_variant is not None
    assert signals.distance(zh, zh_variant) <= 3


def test_benign_texts_sharing_common_words_are_not_near_duplicates() -> None:
    prints = [signals.simhash(text) for text in BENIGN]
    assert all(p is not None for p in prints)
    for i, a in enumerate(prints):
        for b in prints[i + 1:]:
            assert a is not None
            assert b is not None
            assert signals.distance(a, b) > 3


@pytest.mark.parametrize("short", ["nice!", "好看", "太好看了吧，已经收藏了！", "thank you so much for sharing this"])
def test_short_texts_get_no_fingerprint(short: str) -> None:
    assert signals.simhash(short) is None


def test_bands_find_everything_within_three_bits() -> None:
    rng = random.Random(8)
    for _ in range(500):
        a = rng.getrandbits(64)
        b = a
        for bit in rng.sample(range(64), rng.randint(0, 3)):
            b ^= 1 << bit
        assert any(x == y for x, y in zip(signals.bands(a), signals.bands(b), strict=True))
        assert signals.from_signed(signals.to_signed(a)) == a
        assert -(1 << 63) <= signals.to_signed(a) < 1 << 63


def test_links_and_mentions_are_counted() -> None:
    assert signals.count_links("see https://a.example/x and www.b.net, shop.xyz/abc") == 3
    assert signals.count_links("ｗｗｗ．ｓｈｏｐ．ｘｙｚ") == 1
    assert signals.count_links("mail me at mei@example.com, Node.js rocks, 3.5 stars") == 0
    assert signals.count_mentions("@alice @bob @alice hi a.b@example.com") == 2


# ------------------------------------------------------------------------------------- helpers


def _trusted(services: Services, user: UserHandle) -> None:
    with services.sessions() as session:
        created = services.clock.now() - timedelta(days=60)
        session.execute(update(User).where(User.id == user.int_id)
                        .values(created_at=created, note_count=10, engagement_received=50))
        session.commit()


def _post(client: TestClient, user: UserHandle, body: str, title: str = "Saturday") -> dict[str, Any]:
    response = client.post("/api/v1/notes", headers=user.headers, json={"title": title, "body": body})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _evidence(services: Services, note_id: str) -> list[dict[str, Any]]:
    from redbridge.core import ids
    with services.sessions() as session:
        rows = session.scalars(select(ModerationDecision).where(ModerationDecision.subject_kind == "note",
                                                                ModerationDecision.subject_id == ids.decode(note_id)))
        return [entry for row in rows for entry in row.evidence]


# ----------------------------------------------------------------------------- near duplicates


def test_the_same_text_from_three_accounts_holds_the_third(client: TestClient, factory: Factory,
                                                            services: Services) -> None:
    authors = [factory.user() for _ in range(4)]
    reader = factory.user()
    notes = [_post(client, author, CAMPAIGN if i % 2 else CAMPAIGN.upper()) for i, author in enumerate(authors)]
    assert [n["status"] for n in notes] == ["published", "published", "held", "held"]
    third = notes[2]
    # Invisible to everyone but its author.
    assert client.get(f"/api/v1/notes/{third['id']}", headers=reader.headers).status_code == 404
    assert client.get(f"/api/v1/notes/{third['id']}", headers=authors[2].headers).json()["status"] == "held"
    near = [e for e in _evidence(services, third["id"]) if e.get("signal") == "near_duplicate"]
    assert near
    assert near[0]["accounts"] == 3
    assert near[0]["distance"] <= 3
    assert next(e for e in _evidence(services, notes[3]["id"]) if e.get("signal") == "near_duplicate")["accounts"] == 4
    with services.sessions() as session:
        item = session.scalar(select(QueueItem).where(QueueItem.subject_kind == "note"))
        assert item is not None
        assert item.held
        assert ",spam," in item.categories


def test_comments_across_accounts_and_chinese(client: TestClient, factory: Factory) -> None:
    host = factory.user()
    note = _post(client, host, "A quiet walk by the river")
    statuses = []
    for _ in range(3):
        commenter = factory.user()
        response = client.post(f"/api/v1/notes/{note['id']}/comments", headers=commenter.headers,
                               json={"body": CAMPAIGN_ZH})
        assert response.status_code == 201, response.text
        statuses.append(response.json()["status"])
    assert statuses == ["published", "published", "held"]


def test_one_account_repeating_itself_is_a_lower_grade_signal(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    statuses = [_post(client, author, CAMPAIGN)["status"] for _ in range(5)]
    # Reposting one's own text is common (a fix, a second try); five copies in a day is flooding.
    assert statuses == ["published"] * 4 + ["held"]


def test_benign_texts_from_many_accounts_publish(client: TestClient, factory: Factory, services: Services) -> None:
    for text in BENIGN:
        for _ in range(2):
            assert _post(client, factory.user(), text)["status"] == "published"
    # Short texts are not fingerprinted at all.
    note = _post(client, factory.user(), "hello")
    for _ in range(4):
        response = client.post(f"/api/v1/notes/{note['id']}/comments", headers=factory.user().headers,
                               json={"body": "好看"})
        assert response.json()["status"] == "published"
    with services.sessions() as session:
        kinds = set(session.scalars(select(SpamFingerprint.subject_kind)))
    assert kinds == {"note"}


def test_an_edit_is_no_copy_of_itself(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    note = _post(client, author, CAMPAIGN)
    for _ in range(3):
        response = client.patch(f"/api/v1/notes/{note['id']}", headers=author.headers, json={"body": CAMPAIGN + " ok"})
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "published"


# ---------------------------------------------------------------------- links, mentions, trust


def test_link_and_mention_floods_are_held_even_for_trusted_accounts(client: TestClient, factory: Factory,
                                                                    services: Services) -> None:
    author = factory.user()
    _trusted(services, author)
    links = _post(client, author, "Deals: https://a.example/1 https://b.example/2 www.c.net shop.xyz/4")
    assert links["status"] == "held"
    assert any(e.get("signal") == "link_flood" for e in _evidence(services, links["id"]))
    mentions = _post(client, author, "Thanks @aaa1 @bbb2 @ccc3 @ddd4 @eee5 @fff6 for the trip")
    assert mentions["status"] == "held"
    assert any(e.get("signal") == "mention_flood" for e in _evidence(services, mentions["id"]))
    few = _post(client, author, "Thanks @aaa1 and @bbb2, photos at https://photos.example/trip")
    assert few["status"] == "published"


def test_a_new_accounts_link_is_held_and_a_trusted_accounts_publishes(client: TestClient, factory: Factory,
                                                                      services: Services) -> None:
    newcomer, regular = factory.user(), factory.user()
    _trusted(services, regular)
    text = "The full recipe is on my blog https://cooking.example/mapo-tofu"
    held = _post(client, newcomer, text)
    assert held["status"] == "held"
    assert any(e.get("signal") == "new_account_link" for e in _evidence(services, held["id"]))
    assert _post(client, regular, text)["status"] == "published"
    # Benign text from a brand-new account publishes at once.
    assert _post(client, newcomer, "First hotpot in Chengdu, so spicy")["status"] == "published"


def test_trust_levels(factory: Factory, services: Services) -> None:
    user = factory.user()
    now = services.clock.now()
    with services.sessions() as session:
        row = session.get(User, user.int_id)
        assert row is not None
        assert trust.level(session, row, now) == trust.NEW
        assert trust.level(session, row, now + timedelta(days=4)) == trust.BASIC
        row.note_count, row.engagement_received = 5, 20
        assert trust.level(session, row, now + timedelta(days=31)) == trust.TRUSTED
        removal = ids.new_id(now)
        session.add(ModerationDecision(id=removal, subject_kind="note", subject_id=1, author_id=row.id,
                                       decision="remove", reasons=["spam"], evidence=[], source="moderator",
                                       moderator_id=None, created_at=now))
        session.flush()
        assert trust.level(session, row, now + timedelta(days=31)) == trust.NEW
        assert trust.level(session, row, now + timedelta(days=200)) == trust.TRUSTED
        # An appeal that reinstated the note takes the removal off the record.
        session.add(ModerationDecision(id=removal + 1, subject_kind="note", subject_id=1, author_id=row.id,
                                       decision="reinstate", reasons=[], evidence=[], source="appeal",
                                       moderator_id=None, created_at=now))
        session.flush()
        assert trust.level(session, row, now + timedelta(days=31)) == trust.TRUSTED
        session.rollback()


@contextmanager
def _limited_app(settings: Settings) -> Iterator[FastAPI]:
    spam = settings.spam.model_copy(update={"limits_new": TrustLimits(note=(2, 3600), comment=(2, 3600),
                                                                      follow=(2, 3600))})
    app = create_app(settings.model_copy(update={"spam": spam}), SystemClock())
    prepare_schema(app.state.services)
    try:
        yield app
    finally:
        app.state.services.close()


def test_per_level_limits_answer_429_with_retry_after(settings: Settings) -> None:
    with _limited_app(settings) as app, TestClient(app) as client:
        factory = Factory(client, app.state.services)
        newcomer, regular = factory.user(), factory.user()
        _trusted(app.state.services, regular)
        for _ in range(2):
            _post(client, newcomer, "a note")
        refused = client.post("/api/v1/notes", headers=newcomer.headers, json={"title": "t", "body": "b"})
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
        assert refused.json()["error"]["code"] == "rate_limited"
        for _ in range(3):  # the trusted account's budget is the trusted level's
            _post(client, regular, "a note")
        note = _post(client, regular, "a note")
        for _ in range(2):
            ok = client.post(f"/api/v1/notes/{note['id']}/comments", headers=newcomer.headers, json={"body": "hi"})
            assert ok.status_code == 201
        assert client.post(f"/api/v1/notes/{note['id']}/comments", headers=newcomer.headers,
                           json={"body": "hi"}).status_code == 429
        others = [factory.user() for _ in range(3)]
        for other in others[:2]:
            assert client.post(f"/api/v1/users/{other.username}/follow", headers=newcomer.headers).status_code == 200
        follow = client.post(f"/api/v1/users/{others[2].username}/follow", headers=newcomer.headers,
                             params={"lang": "zh"})
        assert follow.status_code == 429
        assert "Retry-After" in follow.headers
