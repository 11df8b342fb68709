"""Deterministic bilingual demo content (redbridge.demo.content)."""

from __future__ import annotations

import io
import random
import re
import statistics
from collections import Counter

import pytest
from PIL import Image

from redbridge.demo.content import (
    NOTE_WINDOW_S,
    DemoNote,
    DemoUser,
    demo_aspect,
    demo_comment,
    demo_image,
    demo_notes,
    demo_users,
)
from redbridge.notes.schemas import BODY_MAX, TITLE_MAX
from redbridge.text.lang import detect_language
from redbridge.text.markup import extract_mentions, extract_tags
from redbridge.text.topics import TOPICS, infer_topic

USERNAME = re.compile(r"[a-z0-9_]{3,30}")
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def users() -> list[DemoUser]:
    return demo_users(random.Random(1), 300)


@pytest.fixture(scope="module")
def notes(users: list[DemoUser]) -> list[DemoNote]:
    return list(demo_notes(random.Random(2), users, 5000))


def test_same_seed_same_community() -> None:
    a_users = demo_users(random.Random(7), 50)
    b_users = demo_users(random.Random(7), 50)
    assert a_users == b_users
    assert list(demo_notes(random.Random(8), a_users, 200)) == list(
        demo_notes(random.Random(8), b_users, 200)
    )
    assert demo_users(random.Random(9), 50) != a_users


def test_users_are_well_formed(users: list[DemoUser]) -> None:
    assert len(users) == 300
    assert len({u.username for u in users}) == len(users)
    for user in users:
        assert USERNAME.fullmatch(user.username), user.username
        assert user.ui_lang in {"en", "zh-Hans"}
        assert user.read_langs in (["zh"], ["en"], ["en", "zh"])
        assert 2 <= len(user.interests) <= 4
        assert len(set(user.interests)) == len(user.interests)
        assert set(user.interests) <= set(TOPICS)
        assert user.display_name
        assert user.bio
        assert user.region
        if user.ui_lang == "zh-Hans":
            assert "zh" in user.read_langs
            assert HAN.search(user.display_name)
            assert HAN.search(user.bio)
        else:
            assert "en" in user.read_langs
    english = [u for u in users if u.ui_lang == "en"]
    # Some English bios show off a little Chinese ("learning 中文"), which can tip detection.
    assert sum(detect_language(u.bio) in {"en", "mixed"} for u in english) > 0.85 * len(english)


def test_about_half_the_users_are_chinese_speaking(users: list[DemoUser]) -> None:
    share = sum(u.ui_lang == "zh-Hans" for u in users) / len(users)
    assert 0.4 < share < 0.6
    assert any(u.read_langs == ["en", "zh"] for u in users)


def test_many_users_get_numbered_unique_names() -> None:
    many = demo_users(random.Random(3), 5000)
    names = [u.username for u in many]
    assert len(set(names)) == len(names)
    assert all(USERNAME.fullmatch(n) for n in names)
    assert any(n[-1].isdigit() for n in names)


def test_notes_are_well_formed(users: list[DemoUser], notes: list[DemoNote]) -> None:
    usernames = {u.username for u in users}
    for note in notes:
        author = users[note.author_index]
        assert note.lang in author.read_langs
        assert note.topic in TOPICS
        assert 0 < len(note.title) <= TITLE_MAX
        assert 0 < len(note.body) <= BODY_MAX
        # Tags are written inline and the tag list is exactly what the parser finds.
        assert note.tags
        assert extract_tags(note.body) == note.tags
        mentions = extract_mentions(note.body)
        assert set(mentions) <= usernames
        assert author.username not in mentions
        assert 0 <= note.image_count <= 6
        assert 0 <= note.created_offset_s < NOTE_WINDOW_S
        if note.place is not None:
            assert note.place.name
            assert (note.place.lat is None) == (note.place.lng is None)
            if note.place.lat is not None and note.place.lng is not None:
                assert -90 <= note.place.lat <= 90
                assert -180 <= note.place.lng <= 180


def test_note_text_is_in_its_language(notes: list[DemoNote]) -> None:
    detected = Counter(detect_language(n.title + "\n" + n.body) in {n.lang, "mixed"} for n in notes[:2000])
    assert detected[True] / 2000 > 0.97


def test_note_topics_are_recognisable(notes: list[DemoNote]) -> None:
    agree = sum(infer_topic(n.title, n.body, n.tags) == n.topic for n in notes)
    assert agree / len(notes) > 0.9


def test_note_distributions(notes: list[DemoNote]) -> None:
    counts = Counter(n.image_count for n in notes)
    assert 0.06 < counts[0] / len(notes) < 0.14  # ~10% text-only
    assert set(counts) == set(range(7))
    assert Counter(n.lang for n in notes).keys() == {"en", "zh"}
    assert set(Counter(n.topic for n in notes)) == set(TOPICS)
    # Newer notes are more likely.
    assert statistics.median(n.created_offset_s for n in notes) < NOTE_WINDOW_S / 3
    assert sum(n.place is not None for n in notes) > len(notes) * 0.1
    assert any(extract_mentions(n.body) for n in notes)
    assert any(n.body.count("#") > len(n.tags) for n in notes if n.lang == "zh")  # "#美食#" style
    # Templates x slots give variety, not a handful of repeated posts.
    assert len({n.body for n in notes}) > len(notes) * 0.8
    assert len({n.title for n in notes}) > 300


def test_notes_are_lazy_and_need_a_user() -> None:
    with pytest.raises(ValueError, match="at least one user"):
        next(demo_notes(random.Random(0), [], 1))
    solo = demo_users(random.Random(0), 1)
    for note in demo_notes(random.Random(0), solo, 300):
        assert note.author_index == 0
        assert not extract_mentions(note.body)  # nobody else to mention


def test_comments_in_both_languages() -> None:
    rng = random.Random(4)
    zh = [demo_comment(rng, "zh") for _ in range(200)]
    en = [demo_comment(rng, "en") for _ in range(200)]
    assert all(HAN.search(c) for c in zh)
    assert sum(detect_language(c) in {"en", "other"} and not HAN.search(c) for c in en) == 200
    assert len(set(zh)) > 15
    assert len(set(en)) > 15
    assert all(0 < len(c) <= 60 for c in zh + en)
    assert HAN.search(demo_comment(rng, "zh-Hans"))


def test_aspects_favour_portrait() -> None:
    rng = random.Random(5)
    sizes = Counter(demo_aspect(rng) for _ in range(2000))
    assert set(sizes) == {(1080, 1440), (1080, 1080), (1080, 810), (1080, 1620)}
    assert sizes.most_common(1)[0][0] == (1080, 1440)


@pytest.mark.parametrize("topic", TOPICS)
def test_demo_image_is_a_jpeg_of_the_requested_size(topic: str) -> None:
    data = demo_image(random.Random(0), topic, 42, 1080, 810)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert image.size == (1080, 810)
        # Not a flat fill: a gradient plus shapes spans a range of values.
        extrema = image.convert("L").getextrema()
        assert extrema[1] - extrema[0] > 20


def test_demo_image_depends_on_seed_not_rng_state() -> None:
    rng = random.Random(6)
    state = rng.getstate()
    first = demo_image(rng, "food", 1, 540, 720)
    assert rng.getstate() == state  # the caller's stream is untouched
    assert demo_image(random.Random(99), "food", 1, 540, 720) == first
    assert demo_image(rng, "food", 2, 540, 720) != first
    assert demo_image(rng, "music", 1, 540, 720) != first
    # Unknown topics still get a picture.
    assert demo_image(rng, "unknown", 1, 64, 64)[:2] == b"\xff\xd8"
