"""The composer (/compose), note editing (/n/<id>/edit) and deletion (/n/<id>/delete), at the HTTP
level: the no-JavaScript multipart path, the media_ids path the script uses, and every refusal
(the form comes back with the message at its field and everything typed)."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select, update

from redbridge.accounts.models import User
from redbridge.core.services import Services
from redbridge.media.models import Media
from redbridge.notes.models import Note
from tests.factories import Factory, UserHandle, png_bytes
from tests.media.hostile import make_video
from tests.web.helpers import HTMX, browser, count_rows, csrf_of, find, get_ok, text_of
from tests.web.test_security import XSS, assert_clean

RED, GREEN, BLUE = (200, 30, 30), (30, 200, 30), (30, 30, 200)


def png(width: int, height: int = 40, color: tuple[int, int, int] = RED) -> tuple[str, bytes, str]:
    return f"{width}x{height}.png", png_bytes(width, height, color), "image/png"


def compose_tab(app: FastAPI, user: UserHandle, **headers: str) -> tuple[TestClient, str]:
    tab = browser(app, user, **headers)
    return tab, csrf_of(get_ok(tab, "/compose"))


def publish(tab: TestClient, token: str | None, fields: dict[str, Any], files: list[tuple[str, bytes, str]] = (),
            url: str = "/compose", **kwargs: Any) -> Any:
    data = {**fields, **({"csrf_token": token} if token is not None else {})}
    return tab.post(url, data=data, files=[("files", f) for f in files] or None, **kwargs)


def api_note(client: TestClient, user: UserHandle, note_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/notes/{note_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def created_note_id(response: Any) -> str:
    assert response.status_code == 303, (response.status_code, text_of(response.text)[:500])
    location = response.headers["location"]
    assert location.startswith("/n/")
    return str(location.removeprefix("/n/"))


def field_error(html: str, name: str) -> str:
    found = find(html, "p", id=f"{name}-error")
    assert found, f"no error next to {name}"
    assert found[0].attrs.get("role") == "alert"
    return found[0].text.strip()


def carried_ids(html: str) -> list[str]:
    return [str(i.attrs["value"]) for i in find(html, "input", name="media_ids")]


def textarea(html: str, name: str) -> str:
    return find(html, "textarea", name=name)[0].text


def input_value(html: str, name: str) -> str | None:
    return find(html, "input", name=name)[0].attrs.get("value")


# ------------------------------------------------------------------------------------ the page


def test_compose_needs_login_and_the_nav_links_to_it(app: FastAPI, factory: Factory, services: Services) -> None:
    anonymous = browser(app)
    response = anonymous.get("/compose")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/compose"
    posted = anonymous.post("/compose", data={"title": "Hi"}, files=[("files", png(40))])
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/login?next=")
    assert count_rows(services, Media) == 0
    assert count_rows(services, Note) == 0

    alice = factory.user("alice")
    home = get_ok(browser(app, alice), "/")
    assert find(home, "a", class_="compose", href="/compose")
    page = get_ok(browser(app, alice), "/compose")
    assert_clean(page, "/compose")
    form = find(page, "form", id="composer")[0]
    assert form.attrs["enctype"] == "multipart/form-data"
    assert form.attrs["action"] == "/compose"
    assert "multiple" in find(page, "input", name="files", type="file")[0].attrs
    assert find(page, "label", for_="f-files")[0].text.strip() == "Add photos or a video"
    assert find(page, "input", name="title")[0].attrs["maxlength"] == "40"
    assert find(page, "textarea", name="body")[0].attrs["maxlength"] == "2000"
    for name, label in (("title", "Title"), ("body", "Body"), ("tags", "Tags"), ("place", "Place")):
        assert find(page, "label", for_=f"f-{name}")[0].text.strip() == label
    assert [b.text.strip() for b in find(page, "button", type="submit") if b.text.strip() == "Publish"]
    assert find(page, "a", class_="compose", href="/compose")[0].attrs.get("aria-current") == "page"


def test_publish_two_images_in_order_without_javascript(app: FastAPI, factory: Factory, client: TestClient,
                                                        services: Services) -> None:
    alice = factory.user("alice")
    tab, token = compose_tab(app, alice)
    response = publish(tab, token, {"title": "  Hotpot night ", "body": "Spicy #hotpot\nline two",
                                    "tags": "chengdu, 美食 #spicy", "place": "Chengdu", "lat": "30.66",
                                    "lng": "104.06"},
                       [png(64, 40, RED), png(30, 60, BLUE)])
    note_id = created_note_id(response)
    note = api_note(client, alice, note_id)
    assert note["kind"] == "image"
    assert [(m["width"], m["height"]) for m in note["media"]] == [(64, 40), (30, 60)]
    assert note["title"] == "Hotpot night"
    assert note["body"] == "Spicy #hotpot\nline two"
    assert set(note["tags"]) == {"chengdu", "美食", "spicy", "hotpot"}
    assert note["place"] == {"name": "Chengdu", "lat": 30.66, "lng": 104.06}
    page = get_ok(tab, f"/n/{note_id}")
    assert find(page, "h1", id="note-title")[0].text == "Hotpot night"
    # The author sees edit and delete on their note.
    assert find(page, "a", href=f"/n/{note_id}/edit")
    assert find(page, "form", action=f"/n/{note_id}/delete")


def test_media_ids_from_api_uploads_with_reorder_and_remove(app: FastAPI, factory: Factory, client: TestClient,
                                                            services: Services) -> None:
    alice = factory.user("alice")
    first, second, third = (factory.upload(alice, png_bytes(w, 40))["id"] for w in (41, 42, 43))
    tab, token = compose_tab(app, alice)
    # Hidden fields in page order (what the script writes after a drag): third, first, second.
    response = publish(tab, token, {"title": "Reordered", "media_ids": [third, first, second]})
    note = api_note(client, alice, created_note_id(response))
    assert [m["id"] for m in note["media"]] == [third, first, second]

    # Without JavaScript: position numbers reorder, the remove box drops one.
    a, b, c = (factory.upload(alice, png_bytes(w, 40))["id"] for w in (51, 52, 53))
    response = publish(tab, token, {"title": "Numbers", "media_ids": [a, b, c], f"position_{a}": "3",
                                    f"position_{b}": "1", f"position_{c}": "2", "remove": c})
    note = api_note(client, alice, created_note_id(response))
    assert [m["id"] for m in note["media"]] == [b, a]
    with services.sessions() as session:
        removed = session.get(Media, int(c))
        assert removed is not None
        assert removed.note_id is None


def test_title_too_long_keeps_what_was_typed_and_the_upload(app: FastAPI, factory: Factory, client: TestClient,
                                                            services: Services) -> None:
    alice = factory.user("alice")
    tab, token = compose_tab(app, alice)
    fields = {"title": "t" * 41, "body": "My long\nbody text", "tags": "one, two", "place": "Shanghai"}
    response = publish(tab, token, fields, [png(70)])
    assert response.status_code == 422
    html = response.text
    assert field_error(html, "title") == "This is too long."
    assert find(html, "input", name="title")[0].attrs.get("aria-invalid") == "true"
    assert input_value(html, "title") == "t" * 41
    assert textarea(html, "body") == "My long\nbody text"
    assert input_value(html, "tags") == "one, two"
    assert input_value(html, "place") == "Shanghai"
    assert count_rows(services, Note) == 0
    # The picture was stored once and rides along; fixing the title publishes it without re-sending.
    carried = carried_ids(html)
    assert len(carried) == 1
    assert count_rows(services, Media) == 1
    assert find(html, "li", class_="upload-tile", data_state="done")
    fixed = publish(tab, csrf_of(html), {**fields, "title": "Fixed", "media_ids": carried})
    note = api_note(client, alice, created_note_id(fixed))
    assert [m["id"] for m in note["media"]] == carried
    assert count_rows(services, Media) == 1


def test_a_file_that_is_not_an_image_is_refused_by_name(app: FastAPI, factory: Factory, services: Services) -> None:
    alice = factory.user("alice")
    tab, token = compose_tab(app, alice)
    response = publish(tab, token, {"title": "Trip", "body": "keep me"},
                       [("notes.txt", b"just some text", "text/plain"), png(50)])
    assert response.status_code == 422
    message = field_error(response.text, "files")
    assert message.startswith("notes.txt: This file is not an image.")
    assert input_value(response.text, "title") == "Trip"
    assert textarea(response.text, "body") == "keep me"
    # The good picture was kept; the bad file never became a row; no note yet.
    assert len(carried_ids(response.text)) == 1
    assert count_rows(services, Media) == 1
    assert count_rows(services, Note) == 0


def test_nineteen_images_are_refused_before_any_is_stored(app: FastAPI, factory: Factory,
                                                          services: Services) -> None:
    alice = factory.user("alice")
    tab, token = compose_tab(app, alice)
    response = publish(tab, token, {"title": "Too many", "body": "b"}, [png(20 + i) for i in range(19)])
    assert response.status_code == 422
    assert field_error(response.text, "files") == "A note can have at most 18 photos."
    assert input_value(response.text, "title") == "Too many"
    assert count_rows(services, Media) == 0
    assert count_rows(services, Note) == 0
    # Eighteen carried ids plus one more file: the same answer.
    ids = [factory.upload(alice)["id"] for _ in range(18)]
    again = publish(tab, token, {"title": "Too many", "media_ids": ids}, [png(20)])
    assert again.status_code == 422
    assert field_error(again.text, "files") == "A note can have at most 18 photos."
    assert count_rows(services, Media) == 18


def test_a_note_needs_a_photo_or_a_video(app: FastAPI, factory: Factory, services: Services) -> None:
    tab, token = compose_tab(app, factory.user("alice"))
    response = publish(tab, token, {"title": "Words only", "body": "no pictures"})
    assert response.status_code == 422
    assert field_error(response.text, "files") == "Add at least one photo or a video."
    assert count_rows(services, Note) == 0


def test_several_problems_show_at_once(app: FastAPI, factory: Factory) -> None:
    tab, token = compose_tab(app, factory.user("alice"))
    response = publish(tab, token, {"title": "", "body": "x" * 2001, "tags": ",".join(f"t{i}" for i in range(11)),
                                    "place": "Somewhere", "lat": "north"})
    assert response.status_code == 422
    for name in ("files", "title", "body", "tags", "place"):
        assert field_error(response.text, name)
    assert textarea(response.text, "body") == "x" * 2001


def test_missing_or_wrong_csrf_token_stores_nothing(app: FastAPI, factory: Factory, services: Services) -> None:
    alice, bob = factory.user("alice"), factory.user("bob")
    tab = browser(app, alice)
    _bob_tab, bobs_token = compose_tab(app, bob)
    for token in (None, "", "0" * 64, bobs_token):
        response = publish(tab, token, {"title": "Forged"}, [png(40)])
        assert response.status_code == 403, token
        assert "reload the page" in text_of(response.text)
    assert tab.post("/compose", data={"title": "x"}, headers={**HTMX, "X-CSRF-Token": "0" * 64}).status_code == 403
    assert count_rows(services, Media) == 0
    assert count_rows(services, Note) == 0


def test_someone_elses_media_id_is_refused_and_not_shown(app: FastAPI, factory: Factory,
                                                         services: Services) -> None:
    alice, bob = factory.user("alice"), factory.user("bob")
    bobs = factory.upload(bob)
    tab, token = compose_tab(app, alice)
    response = publish(tab, token, {"title": "Mine now", "media_ids": [bobs["id"]]})
    assert response.status_code == 422
    assert "could not be found" in field_error(response.text, "files")
    assert bobs["id"] not in response.text  # neither its id nor its thumbnail is echoed back
    assert count_rows(services, Note) == 0
    with services.sessions() as session:
        row = session.get(Media, int(bobs["id"]))
        assert row is not None
        assert row.note_id is None
    # Garbage ids are refused the same way.
    assert publish(tab, token, {"title": "x", "media_ids": ["not-an-id"]}).status_code == 422


def test_rate_limits_keep_the_form(app: FastAPI, factory: Factory, services: Services) -> None:
    alice = factory.user("alice")
    tab, token = compose_tab(app, alice)
    services.settings.rate_limits.note_per_account = (1, 600)
    created_note_id(publish(tab, token, {"title": "First"}, [png(40)]))
    limited = publish(tab, token, {"title": "Second", "body": "still here"}, [png(41)])
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    assert "Too many requests" in find(limited.text, "p", class_="form-error")[0].text
    assert textarea(limited.text, "body") == "still here"
    assert len(carried_ids(limited.text)) == 1
    assert count_rows(services, Note) == 1

    services.settings.rate_limits.upload_per_account = (0, 600)
    blocked = publish(tab, token, {"title": "Third"}, [png(42)])
    assert blocked.status_code == 429
    assert input_value(blocked.text, "title") == "Third"


def test_xss_in_the_refused_form_is_shown_as_text(app: FastAPI, factory: Factory) -> None:
    tab, token = compose_tab(app, factory.user("alice"))
    title = XSS[0] + XSS[1]  # 56 characters: refused, so shown again
    response = publish(tab, token, {"title": title, "body": XSS[1], "tags": XSS[0], "place": XSS[1]},
                       [("<img src=x onerror=alert(1)>.txt", b"nope", "text/plain")])
    assert response.status_code == 422
    html = response.text
    assert_clean(html, "/compose")
    assert "<script>alert(1)</script>" not in html
    assert input_value(html, "title") == title
    assert textarea(html, "body") == XSS[1]
    assert field_error(html, "files").startswith("<img src=x onerror=alert(1)>.txt: ")


def test_errors_in_chinese(app: FastAPI, factory: Factory) -> None:
    mei = factory.user("mei", ui_lang="zh-Hans")
    tab, token = compose_tab(app, mei)
    page = get_ok(tab, "/compose")
    assert [b for b in find(page, "button", type="submit") if b.text.strip() == "发布"]
    response = publish(tab, token, {"title": "标" * 41, "body": "正文"}, [("a.txt", b"nope", "text/plain")])
    assert response.status_code == 422
    assert field_error(response.text, "title") == "内容太长了。"
    assert "这不是图片文件" in field_error(response.text, "files")
    assert textarea(response.text, "body") == "正文"
    # ?lang= picks the language for one request, over the account's.
    lin = factory.user("lin")
    tab, token = compose_tab(app, lin)
    refused = publish(tab, token, {"title": "x"}, url="/compose?lang=zh-Hans")
    assert field_error(refused.text, "files") == "请添加至少一张照片或一个视频。"


def test_tag_suggestions_put_the_authors_own_tags_first(app: FastAPI, factory: Factory) -> None:
    alice, bob = factory.user("alice"), factory.user("bob")
    for _ in range(3):
        factory.note(bob, images=0, body="", tags=["popular"])
    factory.note(alice, images=0, body="", tags=["mine"])
    page = get_ok(browser(app, alice), "/compose")
    options = [o.attrs["value"] for o in find(page, "option")]
    assert options[:2] == ["mine", "popular"]
    assert "food" in options  # topics follow
    assert "美食" in [o.attrs["value"] for o in find(get_ok(browser(app, alice), "/compose?lang=zh-Hans"), "option")]


def test_a_large_photo_fits_through_the_form(app: FastAPI, factory: Factory, client: TestClient) -> None:
    # Over the 1 MiB body cap of ordinary forms: the composer's paths get the upload cap.
    rng = random.Random(7)
    noise = Image.frombytes("RGB", (700, 700), bytes(rng.getrandbits(8) for _ in range(700 * 700 * 3)))
    buf = io.BytesIO()
    noise.save(buf, "PNG")
    assert len(buf.getvalue()) > 1024 * 1024
    alice = factory.user("alice")
    tab, token = compose_tab(app, alice)
    note_id = created_note_id(publish(tab, token, {"title": "Noise"}, [("noise.png", buf.getvalue(), "image/png")]))
    edited = publish(tab, csrf_of(get_ok(tab, f"/n/{note_id}/edit")), {"title": "Noise", "media_ids":
                     [m["id"] for m in api_note(client, alice, note_id)["media"]]},
                     [("noise.png", buf.getvalue(), "image/png")], url=f"/n/{note_id}/edit")
    assert edited.status_code == 303
    assert len(api_note(client, alice, note_id)["media"]) == 2


def test_one_video_without_javascript(app: FastAPI, factory: Factory, client: TestClient, services: Services,
                                     tmp_path: Path) -> None:
    clip = make_video(tmp_path / "clip.mp4", seconds=1).read_bytes()
    alice = factory.user("alice")
    tab, token = compose_tab(app, alice)
    mixed = publish(tab, token, {"title": "Mixed"}, [png(40), ("clip.mp4", clip, "video/mp4")])
    assert mixed.status_code == 422
    assert field_error(mixed.text, "files") == "A note can have photos or one video, not both."
    assert count_rows(services, Note) == 0
    note_id = created_note_id(publish(tab, token, {"title": "A clip"}, [("clip.mp4", clip, "video/mp4")]))
    note = api_note(client, alice, note_id)
    assert note["kind"] == "video"
    assert note["media"][0]["status"] == "ready"  # jobs run inline in tests: the poster is made
    edit_page = get_ok(tab, f"/n/{note_id}/edit")
    assert not find(edit_page, "input", name="files")  # a video note cannot gain photos
    assert find(edit_page, "img", class_="tile-thumb")[0].attrs["src"] == note["media"][0]["thumb_url"]


# -------------------------------------------------------------------------------------- editing


def test_edit_by_the_author(app: FastAPI, factory: Factory, client: TestClient, services: Services) -> None:
    alice = factory.user("alice")
    note = factory.note(alice, images=3, title="Before", body="body #inbody", tags=["typed"], place={"name": "Xi'an"})
    ids = [m["id"] for m in note["media"]]
    tab = browser(app, alice)
    page = get_ok(tab, f"/n/{note['id']}/edit")
    assert_clean(page, "/edit")
    assert carried_ids(page) == ids
    assert input_value(page, "title") == "Before"
    assert textarea(page, "body") == "body #inbody"
    assert input_value(page, "tags") == "typed"  # the body's #tags stay in the body
    assert input_value(page, "place") == "Xi'an"
    assert find(page, "form", id="composer")[0].attrs["action"] == f"/n/{note['id']}/edit"

    response = publish(tab, csrf_of(page), {"title": "After", "body": "new body", "tags": "fresh", "place": "",
                                            "media_ids": [ids[2], ids[0]]}, url=f"/n/{note['id']}/edit")
    assert response.status_code == 303
    assert response.headers["location"] == f"/n/{note['id']}"
    after = api_note(client, alice, note["id"])
    assert [m["id"] for m in after["media"]] == [ids[2], ids[0]]
    assert after["title"] == "After"
    assert after["body"] == "new body"
    assert after["tags"] == ["fresh"]
    assert after["place"] is None

    # A refused edit changes nothing and keeps the typing.
    refused = publish(tab, csrf_of(page), {"title": "x" * 41, "body": "typed again", "media_ids": [ids[2]]},
                      url=f"/n/{note['id']}/edit")
    assert refused.status_code == 422
    assert textarea(refused.text, "body") == "typed again"
    assert carried_ids(refused.text) == [ids[2]]
    assert api_note(client, alice, note["id"])["title"] == "After"
    # Removing every photo of a photo note is refused.
    empty = publish(tab, csrf_of(page), {"title": "After"}, url=f"/n/{note['id']}/edit")
    assert field_error(empty.text, "files") == "Add at least one photo or a video."


def test_a_text_note_can_be_edited_without_media(app: FastAPI, factory: Factory, client: TestClient) -> None:
    alice = factory.user("alice")
    note = factory.note(alice, images=0, title="Just words")
    tab = browser(app, alice)
    token = csrf_of(get_ok(tab, f"/n/{note['id']}/edit"))
    response = publish(tab, token, {"title": "Still words", "body": "more"}, url=f"/n/{note['id']}/edit")
    assert response.status_code == 303
    after = api_note(client, alice, note["id"])
    assert (after["kind"], after["title"]) == ("text", "Still words")


def test_edit_by_someone_else_is_refused(app: FastAPI, factory: Factory, client: TestClient,
                                         services: Services) -> None:
    alice, bob = factory.user("alice"), factory.user("bob")
    note = factory.note(alice, images=1, title="Alice's")
    url = f"/n/{note['id']}/edit"
    bob_tab = browser(app, bob)
    assert bob_tab.get(url).status_code == 403
    token = csrf_of(get_ok(bob_tab, "/compose"))
    media_before = count_rows(services, Media)
    response = publish(bob_tab, token, {"title": "Bob's now", "media_ids": [note["media"][0]["id"]]},
                       [png(40)], url=url)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert api_note(client, alice, note["id"])["title"] == "Alice's"
    assert count_rows(services, Media) == media_before  # nothing of Bob's was stored either
    anonymous = browser(app).get(url)
    assert anonymous.headers["location"] == f"/login?next={url}"
    assert bob_tab.get("/n/999999/edit").status_code == 404
    assert bob_tab.get("/n/not-an-id/edit").status_code == 404


# ------------------------------------------------------------------------------------- deleting


def test_delete_by_someone_else_is_refused_and_by_the_author_works(app: FastAPI, factory: Factory,
                                                                   services: Services) -> None:
    alice, bob = factory.user("alice"), factory.user("bob")
    note = factory.note(alice, images=2)
    url = f"/n/{note['id']}/delete"
    bob_tab = browser(app, bob)
    bob_page = get_ok(bob_tab, f"/n/{note['id']}")
    assert not find(bob_page, "form", action=url)
    assert not find(bob_page, "a", href=f"/n/{note['id']}/edit")
    assert bob_tab.post(url, data={"csrf_token": csrf_of(bob_page)}).status_code == 403
    assert browser(app).post(url).headers["location"] == f"/login?next=/n/{note['id']}"
    alice_tab = browser(app, alice)
    token = csrf_of(get_ok(alice_tab, f"/n/{note['id']}"))
    assert alice_tab.post(url, data={"csrf_token": "0" * 64}).status_code == 403
    assert count_rows(services, Note) == 1

    response = alice_tab.post(url, data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/u/alice"
    assert count_rows(services, Note) == 0
    assert count_rows(services, Media) == 0
    assert alice_tab.get(f"/n/{note['id']}").status_code == 404
    assert alice_tab.post(url, data={"csrf_token": token}).status_code == 404


def test_an_admin_may_delete_but_not_edit(app: FastAPI, factory: Factory, services: Services) -> None:
    alice, admin = factory.user("alice"), factory.user("moderator_kim")
    with services.sessions() as session:
        session.execute(update(User).where(User.id == admin.int_id).values(role="admin"))
        session.commit()
    note = factory.note(alice, images=1)
    tab = browser(app, admin)
    page = get_ok(tab, f"/n/{note['id']}")
    assert find(page, "form", action=f"/n/{note['id']}/delete")
    assert not find(page, "a", href=f"/n/{note['id']}/edit")
    assert tab.get(f"/n/{note['id']}/edit").status_code == 403
    response = tab.post(f"/n/{note['id']}/delete", data={"csrf_token": csrf_of(page)}, headers=HTMX)
    assert response.headers["HX-Redirect"] == "/u/alice"
    with services.sessions() as session:
        assert session.scalar(select(Note.id).where(Note.id == int(note["id"]))) is None
