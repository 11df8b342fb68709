"""Screening at write time (``moderation.screening``) through the API and the pages: what a reject,
a hold and a label do to notes, comments and profiles, and who sees held content afterwards.

The checker here is a stand-in that decides by marker words, so these tests pin the write and
read paths and not the shipped term lists (those have their own tests and evaluation set; the
visibility test, ``tests/reads/test_visibility.py``, uses the real checker end to end).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from redbridge.core.services import Services
from redbridge.moderation.live import live_rules
from redbridge.moderation.models import ModerationDecision
from redbridge.notes.models import Note
from tests.engagement.helpers import make_admin
from tests.factories import PASSWORD, Factory, UserHandle, png_bytes
from tests.web.helpers import browser

REJECT, HOLD, LABEL = "xxrejectxx", "xxholdxx", "xxlabelxx"


@dataclass(frozen=True)
class FakeVerdict:
    decision: str
    reasons: tuple[str, ...] = ()
    evidence: tuple[dict[str, Any], ...] = field(default=())


class FakeChecker:
    """Rejects (spam), holds (personal data) or labels (sexual) text carrying a marker word."""

    def check(self, text: str) -> FakeVerdict:
        for marker, decision, reason in ((REJECT, "reject", "spam"), (HOLD, "hold", "personal_data"),
                                         (LABEL, "label", "sexual")):
            if marker in text:
                return FakeVerdict(decision, (reason,), ({"rule": marker, "span": [0, len(marker)]},))
        return FakeVerdict("allow")


@pytest.fixture(autouse=True)
def fake_checker(services: Services) -> None:
    live = live_rules(services)
    live.pin(FakeChecker())  # type: ignore[arg-type]
    assert isinstance(live.current(), FakeChecker), "the stand-in checker is not the one in force"


def _decisions(services: Services) -> list[ModerationDecision]:
    with services.sessions() as session:
        return list(session.scalars(select(ModerationDecision).order_by(ModerationDecision.id)))


def _note_rows(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Note)) or 0)


def _moderator(factory: Factory, services: Services) -> UserHandle:
    from sqlalchemy import update

    from redbridge.accounts.models import User

    mod = factory.user()
    with services.sessions() as session:
        session.execute(update(User).where(User.id == mod.int_id).values(role="moderator"))
        session.commit()
    return mod


def _feed_ids(client: TestClient, url: str, user: UserHandle | None = None) -> list[str]:
    response = client.get(url, headers=user.headers if user else {})
    assert response.status_code == 200, response.text
    return [card["id"] for card in response.json()["items"]]


# ------------------------------------------------------------------------------------------ notes


def test_benign_note_from_a_new_account_is_published_at_once(client: TestClient, factory: Factory,
                                                               services: Services) -> None:
    author = factory.user()
    note = factory.note(author, images=0, title="Dumplings on Mott Street", body="Best 小笼包 in town #food")
    assert note["status"] == "published"
    assert note["label"] is None
    assert client.get(f"/api/v1/notes/{note['id']}").status_code == 200
    assert _decisions(services) == []


def test_rejected_note_is_422_with_reasons_and_nothing_is_stored(client: TestClient, factory: Factory,
                                                                 services: Services) -> None:
    author = factory.user()
    for payload in ({"title": f"Free gift {REJECT}"}, {"title": "Fine", "body": f"see {REJECT}"},
                    {"title": "Fine", "tags": [REJECT]}, {"title": "Fine", "place": {"name": f"{REJECT} mall"}}):
        response = client.post("/api/v1/notes", headers=author.headers, json=payload)
        assert response.status_code == 422, (payload, response.text)
        error = response.json()["error"]
        assert error["code"] == "moderation.rejected"
        assert error["fields"] == {"reasons": ["spam"]}
        assert "spam" in error["message"]
    zh = client.post("/api/v1/notes", headers=factory.user(ui_lang="zh-Hans").headers, json={"title": f"x {REJECT}"})
    assert zh.status_code == 422
    assert "垃圾" in zh.json()["error"]["message"]
    assert _note_rows(services) == 0
    assert _decisions(services) == []
    me = client.get("/api/v1/auth/me", headers=author.headers).json()
    assert me["note_count"] == 0


def test_held_note_answers_its_author_and_moderators_only(client: TestClient, factory: Factory,
                                                          services: Services) -> None:
    author, other, follower = factory.user(), factory.user(), factory.user()
    moderator, admin = _moderator(factory, services), factory.user()
    make_admin(services, admin)
    client.post(f"/api/v1/users/{author.username}/follow", headers=follower.headers)
    response = client.post("/api/v1/notes", headers=author.headers,
                           json={"title": "Call me", "body": f"{HOLD} #heldtag", "topic": "food"})
    assert response.status_code == 201, response.text
    note = response.json()
    assert note["status"] == "held"
    url = f"/api/v1/notes/{note['id']}"
    assert client.get(url).status_code == 404
    assert client.get(url, headers=other.headers).status_code == 404
    assert client.get(url, headers=follower.headers).status_code == 404
    assert client.get(f"{url}/share", headers=other.headers).status_code == 404
    assert client.get(f"{url}/comments", headers=other.headers).status_code == 404
    for who in (author, moderator, admin):
        got = client.get(url, headers=who.headers)
        assert (got.status_code, got.json().get("status")) == (200, "held"), got.text
    # Others cannot engage with it either.
    assert client.post(f"{url}/like", headers=other.headers).status_code == 404
    assert client.post(f"{url}/collect", headers=other.headers, json={}).status_code == 404
    assert client.post(f"{url}/comments", headers=moderator.headers, json={"body": "hi"}).status_code == 404
    # Absent from every feed, but on its author's own list (marked).
    for feed, who in (("/api/v1/feeds/explore", None), ("/api/v1/feeds/explore", author),
                      ("/api/v1/feeds/explore?topic=food", other), ("/api/v1/feeds/following", follower),
                      (f"/api/v1/users/{author.username}/notes", other), (f"/api/v1/users/{author.username}/notes", None)):
        assert note["id"] not in _feed_ids(client, feed, who), feed
    own = client.get(f"/api/v1/users/{author.username}/notes", headers=author.headers).json()["items"]
    assert [(c["id"], c["status"]) for c in own] == [(note["id"], "held")]
    # The profile does not count it for others.
    assert client.get(f"/api/v1/users/{author.username}").json()["note_count"] == 0
    [decision] = _decisions(services)
    assert (decision.subject_kind, decision.subject_id, decision.decision, decision.reasons, decision.source) == (
        "note", int(note["id"]), "hold", ["personal_data"], "pipeline")
    assert decision.author_id == author.int_id
    assert decision.evidence[0]["rule"] == HOLD


def test_labelled_note_is_published_with_its_label(client: TestClient, factory: Factory, services: Services) -> None:
    author = factory.user()
    note = factory.note(author, images=0, title="Night out", body=f"{LABEL} vibes")
    assert (note["status"], note["label"]) == ("published", "sensitive")
    got = client.get(f"/api/v1/notes/{note['id']}")
    assert got.status_code == 200
    assert got.json()["label"] == "sensitive"
    assert note["id"] in _feed_ids(client, f"/api/v1/users/{author.username}/notes")
    assert [d.decision for d in _decisions(services)] == ["label"]


def test_edit_into_a_hold_hides_the_note_and_a_clean_edit_publishes_it(client: TestClient, factory: Factory,
                                                                        services: Services) -> None:
    author, other = factory.user(), factory.user()
    note = factory.note(author, images=0, title="Ramen", body="Rich broth")
    url = f"/api/v1/notes/{note['id']}"
    assert client.get(url, headers=other.headers).status_code == 200  # warm the page cache
    edited = client.patch(url, headers=author.headers, json={"body": f"Rich broth {HOLD}"})
    assert edited.status_code == 200
    assert edited.json()["status"] == "held"
    assert client.get(url, headers=other.headers).status_code == 404
    assert client.get(url).status_code == 404
    assert note["id"] not in _feed_ids(client, f"/api/v1/users/{author.username}/notes", other)
    # A rejected edit changes nothing.
    refused = client.patch(url, headers=author.headers, json={"title": f"{REJECT}"})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "moderation.rejected"
    assert client.get(url, headers=author.headers).json()["title"] == "Ramen"
    cleaned = client.patch(url, headers=author.headers, json={"body": "Rich broth, no more"})
    assert cleaned.status_code == 200
    assert cleaned.json()["status"] == "published"
    assert client.get(url, headers=other.headers).status_code == 200
    assert client.get(f"/api/v1/users/{author.username}").json()["note_count"] == 1


def test_someone_elses_note_is_not_screened_before_the_403(client: TestClient, factory: Factory) -> None:
    author, other = factory.user(), factory.user()
    note = factory.note(author, images=0, title="Mine")
    response = client.patch(f"/api/v1/notes/{note['id']}", headers=other.headers, json={"body": REJECT})
    assert response.status_code in (403, 422)  # body refused first is fine; never a 200
    response = client.patch(f"/api/v1/notes/{note['id']}", headers=other.headers, json={"body": "hello"})
    assert response.status_code == 403


# --------------------------------------------------------------------------------------- comments


def test_rejected_comment_never_appears(client: TestClient, factory: Factory, services: Services) -> None:
    author, commenter = factory.user(), factory.user()
    note = factory.note(author, images=0, title="Tea")
    url = f"/api/v1/notes/{note['id']}/comments"
    response = client.post(url, headers=commenter.headers, json={"body": f"cheap {REJECT} here"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"reasons": ["spam"]}
    for who in (None, author, commenter):
        assert client.get(url, headers=who.headers if who else {}).json()["items"] == []
    assert client.get(f"/api/v1/notes/{note['id']}").json()["comment_count"] == 0
    assert _decisions(services) == []


def test_held_comment_is_its_authors_and_moderators_only(client: TestClient, factory: Factory,
                                                         services: Services) -> None:
    author, commenter, other = factory.user(), factory.user(), factory.user()
    moderator = _moderator(factory, services)
    note = factory.note(author, images=0, title="Tea")
    url = f"/api/v1/notes/{note['id']}/comments"
    visible = client.post(url, headers=commenter.headers, json={"body": "lovely"}).json()
    response = client.post(url, headers=commenter.headers, json={"body": f"text me {HOLD}"})
    assert response.status_code == 201
    assert response.json()["status"] == "held"
    held = response.json()
    reply = client.post(url, headers=commenter.headers, json={"body": f"and {HOLD}", "parent_id": visible["id"]})
    assert reply.status_code == 201
    assert reply.json()["status"] == "held"

    def listed(who: UserHandle | None) -> list[str]:
        items = client.get(url, headers=who.headers if who else {}).json()["items"]
        return [c["id"] for c in items] + [r["id"] for c in items for r in c["replies_preview"]]

    assert listed(None) == listed(other) == listed(author) == [visible["id"]]
    assert set(listed(commenter)) == set(listed(moderator)) == {visible["id"], held["id"], reply.json()["id"]}
    assert client.get(f"/api/v1/comments/{held['id']}/replies", headers=other.headers).status_code == 404
    assert client.get(f"/api/v1/comments/{visible['id']}/replies", headers=other.headers).json()["items"] == []
    # Not counted for anyone, not liked or answered by others.
    assert client.get(f"/api/v1/notes/{note['id']}").json()["comment_count"] == 1
    assert client.get(url).json()["items"][0]["reply_count"] == 0
    assert client.post(f"/api/v1/comments/{held['id']}/like", headers=other.headers).status_code == 404
    answer = client.post(url, headers=other.headers, json={"body": "what?", "parent_id": held["id"]})
    assert answer.status_code == 404
    # Nobody was notified about it.
    kinds = [n["kind"] for n in client.get("/api/v1/notifications", headers=author.headers).json()["items"]]
    assert kinds == ["comment"]
    # Deleting it leaves the counters exact.
    assert client.delete(f"/api/v1/comments/{held['id']}", headers=commenter.headers).status_code == 204
    assert client.delete(f"/api/v1/comments/{visible['id']}", headers=commenter.headers).status_code == 204
    assert client.get(f"/api/v1/notes/{note['id']}").json()["comment_count"] == 0
    assert {d.subject_kind for d in _decisions(services)} == {"comment"}


# --------------------------------------------------------------------------------------- profiles


def test_profile_text_is_screened(client: TestClient, factory: Factory, services: Services) -> None:
    user = factory.user(display_name="Mei")
    for body, code in (({"display_name": f"{REJECT}"}, "moderation.rejected"),
                       ({"bio": f"call {HOLD}"}, "moderation.review_required")):
        response = client.patch("/api/v1/auth/me", headers=user.headers, json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (422, code), response.text
    me = client.get("/api/v1/auth/me", headers=user.headers).json()
    assert (me["display_name"], me["bio"]) == ("Mei", "")
    assert client.patch("/api/v1/auth/me", headers=user.headers, json={"bio": f"{LABEL}"}).status_code == 200
    assert [(d.subject_kind, d.decision) for d in _decisions(services)] == [("profile", "label")]
    signup = client.post("/api/v1/auth/signup", json={"username": "spammy1", "password": PASSWORD,
                                                       "display_name": f"{REJECT}"})
    assert signup.status_code == 422
    assert signup.json()["error"]["code"] == "moderation.rejected"
    assert client.patch("/api/v1/auth/me", json={"bio": "x"}).status_code == 401


def test_me_has_the_role(client: TestClient, factory: Factory, services: Services) -> None:
    user, admin = factory.user(), factory.user()
    make_admin(services, admin)
    moderator = _moderator(factory, services)
    for who, role in ((user, "user"), (moderator, "moderator"), (admin, "admin")):
        me = client.get("/api/v1/auth/me", headers=who.headers).json()
        assert (me["role"], me["is_admin"]) == (role, role == "admin")
    hostile = client.patch("/api/v1/auth/me", headers=user.headers, json={"role": "admin"})
    assert hostile.status_code == 422
    assert client.get("/api/v1/auth/me", headers=user.headers).json()["role"] == "user"


# ------------------------------------------------------------------------------------------ pages


def test_pages_show_refusals_and_the_review_mark(app: Any, client: TestClient, factory: Factory) -> None:
    author, other = factory.user(), factory.user()
    tab = browser(app, author)
    refused = tab.post("/compose", data={"csrf_token": author.csrf_token, "title": "Deal", "body": REJECT},
                       files=[("files", ("a.png", png_bytes(), "image/png"))])
    assert refused.status_code == 422
    assert "spam" in refused.text
    held = factory.note(author, images=0, title="Held one", body=HOLD)
    page = tab.get(f"/n/{held['id']}")
    assert page.status_code == 200
    assert "Under review" in page.text
    assert "Under review" in tab.get(f"/u/{author.username}").text
    assert browser(app, other).get(f"/n/{held['id']}").status_code == 404
    assert "Held one" not in browser(app, other).get(f"/u/{author.username}").text
    note = factory.note(author, images=0, title="Open one")
    other_tab = browser(app, other)
    said = other_tab.post(f"/n/{note['id']}/comments", data={"csrf_token": other.csrf_token, "body": REJECT})
    assert said.status_code == 422
    assert "spam" in said.text
    assert REJECT in said.text  # what they typed stays in the box
    assert REJECT not in browser(app, None).get(f"/n/{note['id']}").text
