"""The pure parts of explore: the diversity pass, interest blending, pool encoding, affinity."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redbridge.feeds import explore
from redbridge.notes.ranking import decayed_engagement


def _fits_after(out: list[int], authors: list[int], item: int, window: int, max_per: int) -> bool:
    recent = out[-(window - 1):] if window > 1 else []
    return sum(1 for i in recent if authors[i] == authors[item]) < max_per


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=6), max_size=60))
def test_diversify_contract(authors: list[int]):
    order = list(range(len(authors)))
    out = list(explore.diversify(order, authors))
    assert sorted(out) == order  # a permutation: nothing lost or duplicated
    for position, item in enumerate(out):
        if _fits_after(out[:position], authors, item, 10, 2):
            # A fitting item is the best-ranked fitting one left (rank order is respected).
            remaining = [i for i in order if i not in out[:position]]
            fitting = [i for i in remaining if _fits_after(out[:position], authors, i, 10, 2)]
            assert item == fitting[0]
        else:
            # Breaking the rule is allowed only when nothing left would fit.
            remaining = [i for i in order if i not in out[:position]]
            assert not any(_fits_after(out[:position], authors, i, 10, 2) for i in remaining)


def test_diversify_keeps_order_when_not_needed():
    authors = [1, 2, 3, 1, 2, 3, 4, 5]
    assert explore.diversify(range(8), authors) == tuple(range(8))


def test_blend_shares_slots():
    interesting = [f"i{n}" for n in range(20)]
    other = [f"o{n}" for n in range(20)]
    out = explore.blend(interesting, other)  # type: ignore[arg-type]
    assert out[:10] == ["i0", "i1", "i2", "o0", "i3", "i4", "o1", "i5", "i6", "o2"]
    assert sum(1 for x in out[:20] if x.startswith("i")) == 14
    assert sorted(out) == sorted(interesting + other)


@pytest.mark.parametrize(("a", "b"), [(3, 0), (0, 3), (1, 5), (5, 1), (0, 0)])
def test_blend_fills_when_one_side_runs_out(a: int, b: int):
    out = explore.blend(list(range(a)), list(range(100, 100 + b)))
    assert sorted(out) == sorted(list(range(a)) + list(range(100, 100 + b)))
    assert [x for x in out if x < 100] == list(range(a))


def test_pool_roundtrip():
    built_at = datetime(2025, 1, 15, 12, tzinfo=UTC).timestamp()
    entries = [(10, 1, 0.5, 5, 0), (11, 2, 0.25, 0, 1), (2**62, 1, 0.125, 10, 3)]
    pool = explore.decode_pool("k", explore.encode_pool(built_at, entries))
    assert pool.ids == (10, 11, 2**62)
    assert pool.authors == (1, 2, 1)
    assert pool.base == (0.5, 0.25, 0.125)
    assert pool.topics == (5, 0, 10)
    assert pool.langs == (0, 1, 3)
    assert pool.id_set == frozenset((10, 11, 2**62))
    assert pool.built_at == built_at
    empty = explore.decode_pool("k", explore.encode_pool(built_at, []))
    assert empty.ids == ()
    corrupt = b"\x09" + explore.encode_pool(built_at, entries)[1:]
    with pytest.raises(ValueError, match="format"):
        explore.decode_pool("k", corrupt)


def test_decay_formula():
    assert decayed_engagement(0, 10, 0, 3) > decayed_engagement(10, 0, 0, 3)
    assert decayed_engagement(5, 0, 0, 1) > decayed_engagement(5, 0, 0, 30)
    assert decayed_engagement(0, 0, 0, -5) == decayed_engagement(0, 0, 0, 0)
    assert decayed_engagement(9, 0, 0, 2) == pytest.approx(10 / 4**1.5)


def test_affinity_multipliers():
    blob = json.dumps({"i": ["pets"], "l": ["en"], "t": {"food": 4.0, "music": 1.0}, "f": [7]}).encode()
    affinity = explore.affinity_from_blob(blob)
    code = {t: i + 1 for i, t in enumerate(explore.TOPICS)}
    assert affinity.topic_mult[code["pets"]] == 1 + explore.INTEREST_BOOST
    assert affinity.topic_mult[code["food"]] == 1 + explore.INTEREST_BOOST * explore.LEARNED_SHARE
    assert 1 < affinity.topic_mult[code["music"]] < affinity.topic_mult[code["food"]]
    assert affinity.topic_mult[code["travel"]] == 1.0
    assert affinity.topic_mult[0] == 1.0
    assert affinity.matched == {code["pets"], code["food"]}  # music is below LEARNED_MATCH
    assert affinity.lang_mult == (explore.LANG_MATCH, explore.LANG_OTHER, explore.LANG_MATCH, explore.LANG_OTHER)
    assert affinity.follows == {7}
    assert len(affinity.digest) == 16
    assert explore.affinity_from_blob(blob).digest == affinity.digest
    no_langs = explore.affinity_from_blob(b"{}")
    assert no_langs.lang_mult == (1.0,) * 4
    assert not no_langs.matched


def _in_thread(fn) -> tuple[threading.Thread, list[bytes]]:
    out: list[bytes] = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    return thread, out


def test_cached_page_single_flight_and_stale_while_refreshing():
    state = explore.ExploreState()
    entered, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> tuple[bytes, bool]:
        calls.append(1)
        entered.set()
        assert release.wait(10)
        return b"new", True

    state.pages.pages.put(("k",), (0.0, b"old"))  # expired
    leader, leader_out = _in_thread(lambda: state.cached_page(("k",), slow))
    assert entered.wait(10)
    # While the leader refreshes, others get the expired copy at once instead of recomputing.
    assert state.cached_page(("k",), slow) == b"old"
    waiters = [_in_thread(lambda: state.cached_page(("fresh",), lambda: (b"x", True))) for _ in range(3)]
    release.set()
    leader.join(10)
    for thread, _ in waiters:
        thread.join(10)
    assert leader_out == [b"new"]
    assert calls == [1]
    assert state.cached_page(("k",), slow) == b"new"  # now cached: no second computation
    assert calls == [1]
    assert [out for _, out in waiters] == [[b"x"]] * 3


def test_uncacheable_pages_are_not_cached():
    state = explore.ExploreState()
    calls: list[int] = []

    def tail_page() -> tuple[bytes, bool]:
        calls.append(1)
        return b"tail", False

    assert state.cached_page(("k",), tail_page) == b"tail"
    assert state.cached_page(("k",), tail_page) == b"tail"
    assert calls == [1, 1]
