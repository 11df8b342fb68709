"""The readers' translations page without JavaScript: list best first, add and update one's own,
vote and take a vote back, delete, refusals with what was typed, comments, and who may do what."""

from __future__ import annotations

from fastapi.testclient import TestClient

from redbridge.translations.models import CommunityTranslation, CommunityVote
from tests.factories import Factory
from tests.moderation.test_screening import REJECT
from tests.safety.helpers import install_fake_checker
from tests.web.conftest import World
from tests.web.helpers import browser, count_rows, csrf_of, find, get_ok, post_form, text_of

EN_TITLE, EN_BODY = "Good morning, Chengdu", "The weather is lovely today, let's go for a walk"


def _page(world: World) -> str:
    return f"/n/{world.text_note['id']}/translations?to=en"


def test_add_update_vote_and_delete_through_the_page(client: TestClient, factory: Factory, world: World) -> None:
    carol = factory.user("carol")
    alice_tab, carol_tab = browser(client.app, world.alice), browser(client.app, carol)  # type: ignore[arg-type]
    empty = get_ok(alice_tab, _page(world))
    assert "No reader has translated this yet." in text_of(empty)
    assert "今天天气很好" in text_of(empty)  # the original is shown above
    r = post_form(alice_tab, f"/n/{world.text_note['id']}/translations",
                  {"to": "en", "title": EN_TITLE, "body": EN_BODY}, csrf_of(empty))
    assert r.status_code == 303
    assert r.headers["location"] == _page(world) + "#mine"
    listed = get_ok(carol_tab, _page(world))
    items = find(listed, "li", class_="ct-item")
    assert len(items) == 1
    assert EN_BODY in items[0].text
    assert "Alice" in items[0].text
    # The answer of the translation API now is Alice's, credited.
    answer = client.get(f"/api/v1/notes/{world.text_note['id']}/translation?to=en").json()
    assert answer["status"] == "community"
    assert answer["credit"] == "@alice"
    # Carol votes it up, then takes the vote back (the button toggles).
    translation_id = str(items[0].attrs["id"])[2:]
    r = post_form(carol_tab, f"/translations/{translation_id}/vote", {"value": "1"}, csrf_of(listed))
    assert r.status_code == 303
    assert r.headers["location"].endswith(f"#t-{translation_id}")
    voted = get_ok(carol_tab, _page(world))
    assert "1 vote" in text_of(voted)
    assert count_rows(client.app.state.services, CommunityVote) == 1  # type: ignore[attr-defined]
    toggles = [t for t in find(voted, "input") if t.attrs.get("name") == "value"]
    assert [t.attrs["value"] for t in toggles] == ["0", "-1"]
    post_form(carol_tab, f"/translations/{translation_id}/vote", {"value": "0"}, csrf_of(voted))
    assert count_rows(client.app.state.services, CommunityVote) == 0  # type: ignore[attr-defined]
    # Alice sees hers in the form to update, and no vote buttons on her own.
    mine = get_ok(alice_tab, _page(world))
    assert "Update your translation" in text_of(mine)
    assert not [t for t in find(mine, "input") if t.attrs.get("name") == "value"]
    assert EN_BODY in next(t.text for t in find(mine, "textarea"))
    # Carol may not delete it (403), Alice may.
    assert post_form(carol_tab, f"/translations/{translation_id}/delete", {}, csrf_of(voted)).status_code == 403
    r = post_form(alice_tab, f"/translations/{translation_id}/delete", {}, csrf_of(mine))
    assert r.status_code == 303
    assert count_rows(client.app.state.services, CommunityTranslation) == 0  # type: ignore[attr-defined]


def test_refusals_come_back_with_the_message_and_what_was_typed(client: TestClient, factory: Factory,
                                                               world: World) -> None:
    install_fake_checker(client.app.state.services)  # type: ignore[attr-defined]
    tab = browser(client.app, factory.user("dora", ui_lang="zh-Hans"))  # type: ignore[arg-type]
    page = get_ok(tab, _page(world))
    typed = {"to": "en", "title": "早上好", "body": "今天天气很好，出去走走吧"}
    r = post_form(tab, f"/n/{world.text_note['id']}/translations", typed, csrf_of(page))
    assert r.status_code == 422
    assert "译文不是你选择的语言。" in text_of(r.text)
    assert "今天天气很好，出去走走吧" in next(t.text for t in find(r.text, "textarea"))
    spam = {"to": "en", "title": EN_TITLE, "body": f"{EN_BODY} {REJECT}"}
    r = post_form(tab, f"/n/{world.text_note['id']}/translations", spam, csrf_of(page))
    assert r.status_code == 422
    assert REJECT in r.text
    assert count_rows(client.app.state.services, CommunityTranslation) == 0  # type: ignore[attr-defined]


def test_a_comment_has_no_title_field_and_a_comment_of_another_note_is_404(client: TestClient, world: World) -> None:
    tab = browser(client.app, world.bob)  # type: ignore[arg-type]
    # Bob's comment on Alice's English note, translated into Chinese.
    url = f"/n/{world.photo_note['id']}/translations?to=zh-Hans&comment={world.comment_id}"
    page = get_ok(tab, url)
    assert not [t for t in find(page, "input") if t.attrs.get("name") == "title"]
    r = post_form(tab, f"/n/{world.photo_note['id']}/translations",
                  {"to": "zh-Hans", "comment": world.comment_id, "body": "看起来很棒"}, csrf_of(page))
    assert r.status_code == 303
    assert "看起来很棒" in text_of(get_ok(browser(client.app), url))  # type: ignore[arg-type]
    wrong = f"/n/{world.text_note['id']}/translations?to=zh-Hans&comment={world.comment_id}"
    assert tab.get(wrong).status_code == 404


def test_anonymous_readers_see_them_and_are_asked_to_log_in_to_write(client: TestClient, world: World) -> None:
    tab = browser(client.app)  # type: ignore[arg-type]
    page = get_ok(tab, _page(world))
    assert "Log in to add a translation" in text_of(page)
    assert not find(page, "form", class_="ct-form")
    r = post_form(tab, f"/n/{world.text_note['id']}/translations", {"to": "en", "body": EN_BODY},
                  csrf_of(get_ok(tab, "/login")))
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")
    assert tab.get("/n/nope/translations").status_code == 404
    assert tab.get(f"/n/{world.text_note['id']}/translations?to=fr").status_code == 200  # falls back to a target
    # A form without its CSRF token is refused before anything is read.
    bob = browser(client.app, world.bob)  # type: ignore[arg-type]
    r = post_form(bob, f"/n/{world.text_note['id']}/translations", {"to": "en", "body": EN_BODY})
    assert r.status_code == 403
    assert count_rows(client.app.state.services, CommunityTranslation) == 0  # type: ignore[attr-defined]


def test_the_note_page_shows_the_readers_translation_credited_and_links_to_them(client: TestClient, factory: Factory,
                                                                                 world: World) -> None:
    note_id = world.text_note["id"]
    reader = browser(client.app, factory.user("erin"))  # type: ignore[arg-type]
    before = get_ok(reader, f"/n/{note_id}")
    links = [a.attrs.get("href") for a in find(before, "a") if a.attrs.get("href", "").startswith(f"/n/{note_id}/translations")]  # type: ignore[union-attr]
    assert links == [f"/n/{note_id}/translations?to=en"]
    r = client.post(f"/api/v1/notes/{note_id}/translations", headers=world.alice.headers,
                    json={"to": "en", "title": EN_TITLE, "body": EN_BODY})
    assert r.status_code == 201, r.text
    shown = get_ok(reader, f"/n/{note_id}?translate=en")
    box = find(shown, "div", class_="translation")
    assert len(box) == 1
    assert EN_BODY in box[0].text
    assert "Translated by @alice" in box[0].text
    assert "1 reader's translation" in text_of(shown)
