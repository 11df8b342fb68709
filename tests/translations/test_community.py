"""Community translations through the API: submit, list, vote, the best one answering ahead of the
machine, moderation of what is submitted (screening, reports, the queue, appeals), visibility,
edits and deletes, and hostile input."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from redbridge.translations.models import CommunityTranslation, CommunityVote
from tests.factories import UserHandle
from tests.moderation.test_screening import HOLD, REJECT
from tests.safety.helpers import find_item, install_fake_checker, report, staff
from tests.translation.fakes import serve
from tests.translations.conftest import MakeSite, Site, chat
from tests.translations.test_api import BAD_IDS, ZH_BODY, comment, note, settle, url

EN_TITLE = "Chengdu hotpot"
EN_BODY = "Let's go to Chengdu for hotpot! It is so good."


def submit(site: Site, user: UserHandle, kind: str, item: str, expected: int = 201, **body: Any) -> dict[str, Any]:
    payload = {"to": "en", "body": EN_BODY, **({"title": EN_TITLE} if kind == "note" else {}), **body}
    r = site.client.post(f"/api/v1/{kind}s/{item}/translations", headers=user.headers, json=payload)
    assert r.status_code == expected, r.text
    result: dict[str, Any] = r.json()
    return result


def listing(site: Site, kind: str, item: str, user: UserHandle | None = None, to: str = "en") -> list[dict[str, Any]]:
    r = site.client.get(f"/api/v1/{kind}s/{item}/translations?to={to}", headers=user.headers if user else {})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def vote(site: Site, user: UserHandle, translation: str, value: int, expected: int = 200) -> dict[str, Any]:
    r = site.client.post(f"/api/v1/translations/{translation}/vote", headers=user.headers, json={"value": value})
    assert r.status_code == expected, r.text
    result: dict[str, Any] = r.json()
    return result


@pytest.fixture
def site(make_site: MakeSite) -> Site:
    return make_site()


# ------------------------------------------------------------------------------- the happy path


def test_a_community_translation_answers_first_credited_and_the_machine_one_stays_a_tap_away(make_site: MakeSite) -> None:
    with serve("chat") as server:
        site = make_site(engines=[chat(server.url)])
        author, translator, reader = site.factory.user(), site.factory.user(), site.factory.user()
        note_id = note(site, author)
        before = settle(site, url("note", note_id))
        assert before["status"] == "translated"
        assert before["community_count"] == 0
        made = submit(site, translator, "note", note_id)
        assert made["status"] == "published"
        assert made["score"] == 0
        assert made["current"] is True
        assert made["author"]["username"] == translator.username
        answer = site.client.get(url("note", note_id), headers=reader.headers).json()
        assert answer["status"] == "community"
        assert (answer["title"], answer["body"]) == (EN_TITLE, EN_BODY)
        assert answer["credit"] == f"@{translator.username}"
        assert answer["community"]["id"] == made["id"]
        assert answer["community_count"] == 1
        machine = site.client.get(url("note", note_id) + "&prefer=machine").json()
        assert machine["status"] == "translated"
        assert machine["community_count"] == 1
        # Its writer asked for a translation: theirs is not the answer they get.
        assert site.client.get(url("note", note_id), headers=translator.headers).json()["status"] == "translated"


def test_votes_rank_the_translations_and_one_voted_below_zero_is_not_shown_first(site: Site) -> None:
    author = site.factory.user()
    first, second = site.factory.user(), site.factory.user()
    voters = [site.factory.user() for _ in range(3)]
    note_id = note(site, author)
    a = submit(site, first, "note", note_id, body="Let's go to Chengdu and eat hotpot! Delicious.")
    b = submit(site, second, "note", note_id)
    assert [t["id"] for t in listing(site, "note", note_id)] == [a["id"], b["id"]]  # a tie: the older first
    assert vote(site, voters[0], b["id"], 1) == {"id": b["id"], "score": 1, "votes": 1, "my_vote": 1}
    vote(site, voters[1], b["id"], 1)
    vote(site, voters[2], a["id"], -1)
    ranked = listing(site, "note", note_id, voters[0])
    assert [(t["id"], t["score"], t["votes"]) for t in ranked] == [(b["id"], 2, 2), (a["id"], -1, 1)]
    assert [t["my_vote"] for t in ranked] == [1, 0]
    assert site.client.get(url("note", note_id)).json()["community"]["id"] == b["id"]
    # Changing a vote moves the score by the difference; 0 takes it back; the same vote twice is one.
    assert vote(site, voters[0], b["id"], -1)["score"] == 0
    assert vote(site, voters[0], b["id"], -1)["score"] == 0
    assert vote(site, voters[0], b["id"], 0) == {"id": b["id"], "score": 1, "votes": 1, "my_vote": 0}
    vote(site, voters[1], b["id"], -1)
    vote(site, voters[2], b["id"], -1)
    # Both below zero now: neither answers first, so the machine's answer (no engine here) does.
    answer = site.client.get(url("note", note_id)).json()
    assert answer["status"] == "no_engine"
    assert answer["community_count"] == 2
    with site.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(CommunityVote)) == 3


def test_submitting_again_replaces_the_text_and_its_votes(site: Site) -> None:
    author, translator, voter = site.factory.user(), site.factory.user(), site.factory.user()
    note_id = note(site, author)
    first = submit(site, translator, "note", note_id)
    vote(site, voter, first["id"], 1)
    again = submit(site, translator, "note", note_id, body="Chengdu hotpot, let's go! So tasty.")
    assert again["id"] == first["id"]
    assert (again["body"], again["score"], again["votes"]) == ("Chengdu hotpot, let's go! So tasty.", 0, 0)
    assert listing(site, "note", note_id, voter)[0]["my_vote"] == 0
    with site.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(CommunityTranslation)) == 1


def test_a_comment_is_translated_without_a_title(site: Site) -> None:
    author, commenter, translator = site.factory.user(), site.factory.user(), site.factory.user()
    note_id = note(site, author)
    comment_id = comment(site, commenter, note_id, "这家店的锅底太香了，下次还来")
    made = submit(site, translator, "comment", comment_id, body="The broth at this place is so fragrant, I'll be back")
    assert made["subject"] == "comment"
    assert made["title"] is None
    answer = site.client.get(url("comment", comment_id)).json()
    assert answer["status"] == "community"
    assert answer["title"] is None
    submit(site, translator, "comment", comment_id, expected=422, title="A title")


def test_into_chinese_for_an_english_note(site: Site) -> None:
    author, translator = site.factory.user(), site.factory.user()
    note_id = note(site, author, title="Night market", body="The dumplings at the night market were great.")
    submit(site, translator, "note", note_id, to="zh-Hans", title="夜市", body="夜市的饺子太好吃了。")
    assert site.client.get(url("note", note_id, "zh-Hans")).json()["status"] == "community"
    assert site.client.get(url("note", note_id, "en")).json()["status"] == "unchanged"
    assert listing(site, "note", note_id, to="zh-Hant") == []


# ------------------------------------------------------------------------------------ refusals


def test_refusals_in_the_callers_language(site: Site) -> None:
    author, translator = site.factory.user(), site.factory.user()
    note_id = note(site, author)
    cases = [
        ({"to": "zh-Hans", "title": "成都火锅", "body": "去成都吃火锅"}, "translation.same_language"),
        ({"body": "我们去成都吃火锅吧！", "title": "火锅"}, "translation.wrong_language"),
        ({"body": ZH_BODY, "title": "成都火锅", "to": "en"}, "translation.same_language"),
    ]
    for body, code in cases[:2]:
        r = site.client.post(f"/api/v1/notes/{note_id}/translations", headers=translator.headers,
                             json={"to": "en", **body})
        assert (r.status_code, r.json()["error"]["code"]) == (422, code), (body, r.text)
    reader_zh = site.factory.user(ui_lang="zh-Hans")
    zh = site.client.post(f"/api/v1/notes/{note_id}/translations", headers=reader_zh.headers,
                          json={"to": "en", "title": "火锅", "body": "我们去成都吃火锅吧！"})
    assert zh.status_code == 422
    assert zh.json()["error"]["message"] == "译文不是你选择的语言。"
    # The original copied is not a translation (an English note "translated" into English is same_language).
    en_note = note(site, author, title="Night market", body="The dumplings were great.")
    copy = site.client.post(f"/api/v1/notes/{en_note}/translations", headers=translator.headers,
                            json={"to": "zh-Hans", "title": "Night market", "body": "The dumplings were great."})
    assert copy.status_code == 422
    assert copy.json()["error"]["code"] == "translation.wrong_language"


def test_not_logged_in_wrong_user_and_hostile_input(site: Site) -> None:
    author, translator, other = site.factory.user(), site.factory.user(), site.factory.user()
    note_id = note(site, author)
    made = submit(site, translator, "note", note_id)
    anonymous = [
        ("POST", f"/api/v1/notes/{note_id}/translations", {"to": "en", "body": EN_BODY}),
        ("POST", f"/api/v1/translations/{made['id']}/vote", {"value": 1}),
        ("DELETE", f"/api/v1/translations/{made['id']}", None),
    ]
    for method, path, body in anonymous:
        assert site.client.request(method, path, json=body).status_code == 401, path
    # Anyone may read them; only its author (or a moderator) deletes one; nobody votes on their own.
    assert site.client.get(f"/api/v1/translations/{made['id']}").json()["body"] == EN_BODY
    assert site.client.delete(f"/api/v1/translations/{made['id']}", headers=other.headers).status_code == 403
    assert vote(site, translator, made["id"], 1, expected=422)["error"]["code"] == "translation.own_vote"
    hostile: list[dict[str, Any]] = [
        {}, {"to": "fr", "body": EN_BODY}, {"to": "en", "body": ""}, {"to": "en", "body": "   "},
        {"to": "en", "body": "a\x00b"}, {"to": "en", "body": "x" * 6001}, {"to": "en", "body": 7},
        {"to": "en", "body": EN_BODY, "title": "t" * 121}, {"to": "en", "body": EN_BODY, "extra": 1},
        {"to": ["en"], "body": EN_BODY},
    ]
    for body in hostile:
        r = site.client.post(f"/api/v1/notes/{note_id}/translations", headers=other.headers, json=body)
        assert r.status_code == 422, (body, r.text)
    for value in (2, -2, "1", None, 1.5, True):
        r = site.client.post(f"/api/v1/translations/{made['id']}/vote", headers=other.headers, json={"value": value})
        assert r.status_code == 422, (value, r.text)
    for bad in BAD_IDS:
        for path in (f"/api/v1/notes/{bad}/translations?to=en", f"/api/v1/translations/{bad}",
                     f"/api/v1/comments/{bad}/translations?to=en"):
            assert site.client.get(path).status_code == 404, path
        r = site.client.post(f"/api/v1/translations/{bad}/vote", headers=other.headers, json={"value": 1})
        assert r.status_code == 404, bad
    assert site.client.get(f"/api/v1/notes/{note_id}/translations?to=fr").status_code == 422
    assert site.client.get(f"/api/v1/notes/{note_id}/translations").status_code == 422
    # Nothing stored was touched by any of it.
    assert listing(site, "note", note_id) == [{**made, "my_vote": 0}]


def test_the_submissions_spend_the_comment_budget(make_site: MakeSite) -> None:
    from redbridge.settings import RateLimitSettings

    site = make_site()
    author, translator = site.factory.user(), site.factory.user()
    note_id = note(site, author)
    limits: RateLimitSettings = site.services.settings.rate_limits
    per_account = limits.comment_per_account[0]
    for _ in range(per_account):
        site.services.limiter.hit("comment-account", translator.id, limits.comment_per_account)
    r = site.client.post(f"/api/v1/notes/{note_id}/translations", headers=translator.headers,
                         json={"to": "en", "title": EN_TITLE, "body": EN_BODY})
    assert r.status_code == 429, r.text
    assert r.headers["Retry-After"]


# ---------------------------------------------------------------------------------- visibility


def test_visibility_follows_the_item_and_blocks(site: Site) -> None:
    author, translator, reader = site.factory.user(), site.factory.user(), site.factory.user()
    note_id = note(site, author)
    made = submit(site, translator, "note", note_id)
    # The reader blocks the translator: their translation is neither listed nor the answer.
    assert site.client.post(f"/api/v1/users/{translator.username}/block", headers=reader.headers).status_code in (200, 201, 204)
    assert listing(site, "note", note_id, reader) == []
    assert site.client.get(url("note", note_id), headers=reader.headers).json()["status"] == "no_engine"
    assert site.client.get(url("note", note_id)).json()["status"] == "community"
    # The note's author blocks the reader: the note, its translations and each translation are 404.
    assert site.client.post(f"/api/v1/users/{reader.username}/block", headers=author.headers).status_code in (200, 201, 204)
    assert site.client.get(f"/api/v1/notes/{note_id}/translations?to=en", headers=reader.headers).status_code == 404
    assert site.client.get(f"/api/v1/translations/{made['id']}", headers=reader.headers).status_code == 404
    r = site.client.post(f"/api/v1/translations/{made['id']}/vote", headers=reader.headers, json={"value": -1})
    assert r.status_code == 404
    r = site.client.post(f"/api/v1/notes/{note_id}/translations", headers=reader.headers,
                         json={"to": "en", "body": EN_BODY})
    assert r.status_code == 404


def test_an_edit_makes_translations_stale_and_a_delete_removes_them(site: Site) -> None:
    author, translator = site.factory.user(), site.factory.user()
    note_id = note(site, author)
    comment_id = comment(site, author, note_id, "锅底很香")
    made = submit(site, translator, "note", note_id)
    submit(site, translator, "comment", comment_id, body="The broth smells great")
    r = site.client.patch(f"/api/v1/notes/{note_id}", headers=author.headers, json={"body": "我们去重庆吃火锅吧！"})
    assert r.status_code == 200, r.text
    site.services.queue.run_pending()
    # Others no longer see it (it translates words that are gone); its writer sees it, marked stale.
    assert listing(site, "note", note_id) == []
    mine = listing(site, "note", note_id, translator)
    assert [(t["id"], t["current"]) for t in mine] == [(made["id"], False)]
    assert site.client.get(url("note", note_id)).json()["status"] == "no_engine"
    refreshed = submit(site, translator, "note", note_id, body="Let's go to Chongqing for hotpot!")
    assert refreshed["current"] is True
    assert site.client.get(url("note", note_id)).json()["status"] == "community"
    # Deleting the note deletes its translations and its comments' (the comments go without events).
    assert site.client.delete(f"/api/v1/notes/{note_id}", headers=author.headers).status_code == 204
    site.services.queue.run_pending()
    with site.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(CommunityTranslation)) == 0


# ---------------------------------------------------------------------------------- moderation


def test_screening_rejects_and_holds_submitted_translations(site: Site) -> None:
    install_fake_checker(site.services)
    author, translator, reader = site.factory.user(), site.factory.user(), site.factory.user()
    moderator = staff(site.factory, site.services, "moderator")
    note_id = note(site, author)
    refused = submit(site, translator, "note", note_id, expected=422, body=f"Let's go eat hotpot {REJECT} now")
    assert refused["error"]["code"] == "moderation.rejected"
    assert refused["error"]["fields"]["reasons"] == ["spam"]
    held = submit(site, translator, "note", note_id, body=f"Let's go eat hotpot in Chengdu {HOLD} now")
    assert held["status"] == "held"
    assert listing(site, "note", note_id, reader) == []
    assert [t["status"] for t in listing(site, "note", note_id, translator)] == ["held"]
    assert site.client.get(f"/api/v1/translations/{held['id']}", headers=reader.headers).status_code == 404
    assert site.client.get(url("note", note_id), headers=reader.headers).json()["status"] == "no_engine"
    item = find_item(site.client, moderator, held["id"], kind="translation")
    assert item is not None
    assert item["kind"] == "translation"
    assert item["held"] is True
    assert item["content"]["body"] == held["body"]
    assert item["content"]["lang"] == "en"
    assert item["content"]["note_id"] == note_id
    assert find_item(site.client, moderator, held["id"], content_lang="en") is not None
    assert find_item(site.client, moderator, held["id"], content_lang="zh") is None
    # A clean resubmission lifts the pipeline's hold and closes the item.
    clean = submit(site, translator, "note", note_id)
    assert clean["status"] == "published"
    assert find_item(site.client, moderator, held["id"]) is None
    assert site.client.get(url("note", note_id), headers=reader.headers).json()["status"] == "community"


def test_a_reported_translation_removed_by_a_moderator_is_gone_and_can_be_appealed(site: Site) -> None:
    author, translator, reporter = site.factory.user(), site.factory.user(), site.factory.user()
    moderator, second = staff(site.factory, site.services, "moderator"), staff(site.factory, site.services, "moderator")
    note_id = note(site, author)
    made = submit(site, translator, "note", note_id)
    filed = report(site.client, reporter, "translation", made["id"], reason="spam")
    assert filed["subject"] == "translation"
    report(site.client, translator, "translation", made["id"], expected=422)  # one's own
    item = find_item(site.client, moderator, made["id"], kind="translation")
    assert item is not None
    assert item["reports"]["count"] == 1
    r = site.client.post(f"/api/v1/moderation/queue/{item['id']}/decision", headers=moderator.headers,
                         json={"action": "remove", "reason": "spam"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "removed"
    assert listing(site, "note", note_id, reporter) == []
    assert site.client.get(url("note", note_id)).json()["status"] == "no_engine"
    assert [t["status"] for t in listing(site, "note", note_id, translator)] == ["removed"]
    # Sending it again does not undo a moderator's removal.
    assert submit(site, translator, "note", note_id, body="Hotpot in Chengdu, let's go!")["status"] == "removed"
    notices = site.client.get("/api/v1/notifications", headers=translator.headers).json()["items"]
    assert any("removed your translation" in (n.get("message") or "") for n in notices), notices
    mine = site.client.get("/api/v1/moderation/mine", headers=translator.headers).json()["items"]
    decision = next(d for d in mine if d["subject_id"] == made["id"] and d["decision"] == "remove")
    appealed = site.client.post(f"/api/v1/moderation/decisions/{decision['id']}/appeal", headers=translator.headers,
                                json={"text": "It is a faithful translation."})
    assert appealed.status_code == 201, appealed.text
    decided = site.client.post(f"/api/v1/moderation/appeals/{appealed.json()['id']}/decision",
                               headers=second.headers, json={"action": "reinstate", "reason": "no_violation"})
    assert decided.status_code == 200, decided.text
    assert [t["id"] for t in listing(site, "note", note_id, reporter)] == [made["id"]]


def test_a_moderator_deletes_anyones_translation(site: Site) -> None:
    author, translator = site.factory.user(), site.factory.user()
    moderator = staff(site.factory, site.services, "moderator")
    note_id = note(site, author)
    made = submit(site, translator, "note", note_id)
    assert site.client.delete(f"/api/v1/translations/{made['id']}", headers=moderator.headers).status_code == 204
    assert site.client.get(f"/api/v1/translations/{made['id']}").status_code == 404
