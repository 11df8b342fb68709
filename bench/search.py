"""Search benchmark: keyword search over 1,000,000 synthetic bilingual notes through the API,
hybrid search on a subset, and SQLite FTS5 over the same terms as the baseline, in one run.

    python bench/search.py [--notes 1000000 --hybrid-notes 2000 --seconds 15 \
                            --keep var/bench-search --out bench/results/search.json]

What it does (docs/benchmarks.md, "Search: 1M notes", has the reasoning and the figures):

1. Corpus (deterministic for ``--seed``; :class:`Vocabulary`, :func:`generate`): words ranked
   from the project's own text — the relevance set's notes (tests/search/relevance_set.yaml) and
   the demo community's notes (``redbridge.demo.content``), counted — then the words the shipped
   CC-CEDICT dictionary reaches from those in two hops (``translation.glossary``: English word →
   Chinese headwords → their English senses → ...), ranked after them. Words are drawn with Zipf
   frequencies (rank r weighs 1 / (r + 2.7)); 50% English notes, 40% Chinese, 10% mixed (sentences
   alternating language); titles 4-12 words (cut at the app's 40-character limit), bodies 30-200
   words (log-normal, median ~70), 1-5 tags from the project's tags, Zipf too. 10,000 authors,
   Pareto engagement counters (the relevance boost reads them).
2. Database: a real Redbridge SQLite database (migrated to head with the app's migrations), the
   rows bulk-inserted with SQLAlchemy Core executemany in batches (the API would take hours).
3. Index: the app's own code — ``search.documents.all_findable`` (read + analyse) into
   ``TantivyBackend.replace_all`` — timed (notes/s; what ``redbridge search reindex`` does), and
   its size on disk. The analysed documents are kept, so the baseline indexes the same terms:
   FTS5 (``fts5(title, body, tags)``, contentless, unicode61 with every non-space category as
   token characters, so a term is exactly an analysed term) and, for a like-for-like build rate,
   tantivy again from the same documents in memory.
4. Keyword latency and QPS in-process, side by side in interleaved rounds: ``TantivyBackend.search``
   (top 30 by relevance, the depth the API asks for) and FTS5 (the same terms OR-ed, ``bm25()``
   weights 3 / 1.5 / 1, ``LIMIT 30``), at 1 and 8 concurrent clients (threads).
5. Keyword search end to end: ``GET /api/v1/search/notes?q=`` on the real server (``bench/api.py``'s
   ``running_server``: uvicorn, uvloop, httptools, one process) with ``search.dense`` off, at 1
   and 8 closed-loop clients (``bench/api.py``'s raw HTTP/1.1 client).
6. Hybrid (dense on): embedding took 168 ms a note on these two cores (``search.dense``, e5-small;
   1M notes would be ~47 hours, 10,000 ~28 minutes), so hybrid runs on its own database of the corpus's first ``--hybrid-notes`` notes, every one
   embedded by the app's reconciliation (``search.actions.rebuild``); the same API at 1 and 8
   clients, and keyword-only on that small corpus beside it, so what the dense side adds is a
   ratio measured in one run.

Queries: 2,000, deterministic: 1-3 content words of the corpus vocabulary (English, Chinese, or
one of each), and the relevance set's hand-written queries; with dictionary expansion on (the
default) each also asks for its words in the other language, which is what makes most of them
cross-lingual. The load generator and the server share two cores; in-process figures favour the
in-process engines (no HTTP, no JSON, no cards), which is why the API figures are separate.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import rjieba
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import api  # bench/api.py: server, raw client, closed loop, percentiles, report writer

from redbridge.accounts.models import User
from redbridge.core import db, ids, migrate
from redbridge.core import services as services_mod
from redbridge.demo.content import demo_notes, demo_users
from redbridge.notes.models import Note, NoteTag
from redbridge.notes.ranking import hot_score
from redbridge.search import actions, documents, wiring
from redbridge.search.analysis import query_terms
from redbridge.search.backend import NoteDoc, NoteQuery
from redbridge.search.embedded import SCHEMA_VERSION, TantivyBackend
from redbridge.search.expand import STOP_WORDS, translate_query
from redbridge.settings import SearchSettings, Settings
from redbridge.text.lang import HAN
from redbridge.translation.glossary import default_glossary
from tests.search.relevance import load as load_relevance_set

# Bump when the generator changes: a kept corpus of another version is rebuilt, never reused.
CORPUS_VERSION = 1
USERS = 10_000  # fixed, so the hybrid corpus is exactly the keyword corpus's first notes
BATCH = 5_000
ZIPF_S, ZIPF_Q = 1.0, 2.7  # Zipf-Mandelbrot: weight of rank r is 1 / (r + q)^s
LANG_SHARES = {"en": 0.5, "zh": 0.4, "mixed": 0.1}
TITLE_WORDS, BODY_WORDS, TAGS = (4, 12), (30, 200), (1, 5)
TITLE_MAX = 40
BODY_MEDIAN_WORDS, BODY_SIGMA = 70.0, 0.6
SENTENCE_WORDS = (6, 16)
# Note n is posted at START + (n + jitter) * NOTE_EVERY_S: fixed, so ids are deterministic, and
# increasing, so the rows are appended to the id b-tree (random ids made the 1M insert crawl).
START = datetime(2025, 12, 1, tzinfo=UTC)
NOTE_EVERY_S = 30.0
QUERIES = 2_000
QUERY_MIX = {"en": 0.4, "zh": 0.35, "mixed": 0.1, "relevance_set": 0.15}
# Query words: content words only, and not the very top of the ranking (the, 的, 我们...), which
# people do not search for; the rest Zipf-weighted, so popular topics are searched most.
QUERY_SKIP_TOP = 30
# The API asks the index for a page (20) plus its slack (10): the in-process engines get the same.
LIMIT = 30
BM25_WEIGHTS = (3.0, 1.5, 1.0)  # the field boosts of search.embedded.BOOSTS, title / body / tags
CLIENTS = (1, 8)
ROUNDS = 3
TARGET_P50_MS, TARGET_P99_MS, TARGET_HYBRID_P99_MS, TARGET_FTS5_RATIO = 5.0, 30.0, 60.0, 5.0
# Every non-separator category is a token character: only spaces split, as tantivy's whitespace
# tokenizer does, so FTS5 indexes exactly the analysed terms (a "don't" or "a-b" stays one term).
FTS5_TOKENIZE = "unicode61 remove_diacritics 0 categories 'L* N* Co M* P* S*'"

_ENGLISH_RE = re.compile(r"[a-z]+")
_HAN_RE = re.compile(f"[{HAN}]+")


# ---------------------------------------------------------------------------------------------
# Vocabulary


@dataclass(frozen=True)
class Ranked:
    """Words best first, and the Zipf cumulative distribution over them."""

    words: list[str]
    cum: np.ndarray

    @classmethod
    def of(cls, words: Sequence[str]) -> Ranked:
        weights = 1.0 / (np.arange(len(words)) + 1 + ZIPF_Q) ** ZIPF_S
        cum = np.cumsum(weights)
        return cls(list(words), cum / cum[-1])

    def draw(self, rng: np.random.Generator, k: int) -> np.ndarray:
        return np.minimum(np.searchsorted(self.cum, rng.random(k)), len(self.words) - 1)


@dataclass(frozen=True)
class Vocabulary:
    en: Ranked
    zh: Ranked
    en_tags: Ranked
    zh_tags: Ranked
    sources: dict[str, int]

    @classmethod
    def build(cls, seed: int) -> Vocabulary:
        en: Counter[str] = Counter()
        zh: Counter[str] = Counter()
        en_tags: Counter[str] = Counter()
        zh_tags: Counter[str] = Counter()

        def count(text: str, tags: Sequence[str]) -> None:
            en.update(_ENGLISH_RE.findall(text.casefold()))
            for run in _HAN_RE.findall(text):
                # Plain cut (not search mode): the words a writer writes; the analyser adds the parts.
                zh.update(w for w in rjieba.cut(run) if w.strip())
            for tag in tags:
                (zh_tags if _HAN_RE.search(tag) else en_tags)[tag] += 1

        relevance = load_relevance_set()
        for note in relevance.notes:
            count(f"{note.title}\n{note.body}", note.tags)
        rng = random.Random(seed)
        people = demo_users(rng, 200)
        for draft in demo_notes(rng, people, 3_000):
            count(f"{draft.title}\n{draft.body}", draft.tags)
        project_en, project_zh = _by_count(en), _by_count(zh)
        reached_en, reached_zh = _dictionary_hops(project_en, project_zh, hops=2)
        sources = {"project_en": len(project_en), "project_zh": len(project_zh),
                   "dictionary_en": len(reached_en), "dictionary_zh": len(reached_zh),
                   "tags_en": len(en_tags), "tags_zh": len(zh_tags)}
        return cls(Ranked.of(project_en + reached_en), Ranked.of(project_zh + reached_zh),
                   Ranked.of(_by_count(en_tags)), Ranked.of(_by_count(zh_tags)), sources)


def _by_count(counts: Counter[str]) -> list[str]:
    return [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _dictionary_hops(en: list[str], zh: list[str], hops: int) -> tuple[list[str], list[str]]:
    """Words CC-CEDICT reaches from the project's: an English word's Chinese headwords
    (``lookup_english``), a Chinese word's senses' English words (``lookup``), ``hops`` times.
    Ranked after the project's words, by hop, then by how often reached (commoner first)."""
    glossary = default_glossary()
    known_en, known_zh = set(en), set(zh)
    out_en: list[str] = []
    out_zh: list[str] = []
    frontier_en, frontier_zh = en, zh
    for _ in range(hops):
        found_en: Counter[str] = Counter()
        found_zh: Counter[str] = Counter()
        for word in frontier_en:
            if word in STOP_WORDS or len(word) < 3:
                continue
            for entry in glossary.lookup_english(word):
                if _HAN_RE.fullmatch(entry.simplified) and entry.simplified not in known_zh:
                    found_zh[entry.simplified] += 1
        for word in frontier_zh:
            for entry in glossary.lookup(word):
                for sense in entry.senses:
                    for w in _ENGLISH_RE.findall(sense.casefold()):
                        if w not in known_en and w not in STOP_WORDS and len(w) > 1:
                            found_en[w] += 1
        frontier_en, frontier_zh = _by_count(found_en), _by_count(found_zh)
        known_en.update(frontier_en)
        known_zh.update(frontier_zh)
        out_en += frontier_en
        out_zh += frontier_zh
    return out_en, out_zh


# ---------------------------------------------------------------------------------------------
# Corpus


def _sentences(words: list[str], lens: Iterator[int], zh: bool) -> list[str]:
    out: list[str] = []
    at = 0
    while at < len(words):
        n = next(lens)
        chunk = words[at:at + n]
        at += n
        if zh:
            out.append("".join(chunk) + "。")
        else:
            out.append(chunk[0].capitalize() + (" " + " ".join(chunk[1:]) if len(chunk) > 1 else "") + ".")
    return out


def _title(words: list[str], zh: bool) -> str:
    if zh:
        return "".join(words)[:TITLE_MAX]
    title = words[0].capitalize()
    for w in words[1:]:  # cut at a word boundary under the app's title limit
        if len(title) + 1 + len(w) > TITLE_MAX:
            break
        title += " " + w
    return title[:TITLE_MAX]


def generate(vocab: Vocabulary, batch: int, size: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Notes ``batch * BATCH`` … ``+ size`` and their tags, as rows. Each batch has its own random
    stream, so the first N notes are the same whatever the corpus size."""
    rng = np.random.default_rng([seed, batch])
    langs = rng.choice(list(LANG_SHARES), size=size, p=list(LANG_SHARES.values()))
    title_n = rng.integers(TITLE_WORDS[0], TITLE_WORDS[1] + 1, size)
    body_n = np.clip(np.round(rng.lognormal(math.log(BODY_MEDIAN_WORDS), BODY_SIGMA, size)),
                     BODY_WORDS[0], BODY_WORDS[1]).astype(int)
    tag_n = rng.integers(TAGS[0], TAGS[1] + 1, size)
    sentence_lens = iter(rng.integers(SENTENCE_WORDS[0], SENTENCE_WORDS[1] + 1, int(body_n.sum()) + size).tolist())
    # One draw per language for the whole batch, sliced per note: numpy does the sampling.
    words_needed = int(title_n.sum() + body_n.sum())
    en_words = [vocab.en.words[i] for i in vocab.en.draw(rng, words_needed).tolist()]
    zh_words = [vocab.zh.words[i] for i in vocab.zh.draw(rng, words_needed).tolist()]
    en_tags = [vocab.en_tags.words[i] for i in vocab.en_tags.draw(rng, int(tag_n.sum())).tolist()]
    zh_tags = [vocab.zh_tags.words[i] for i in vocab.zh_tags.draw(rng, int(tag_n.sum())).tolist()]
    mixed_coins = iter((rng.random(int(body_n.sum()) + size) < 0.5).tolist())
    created_s = (batch * BATCH + np.arange(size) + rng.random(size)) * NOTE_EVERY_S
    likes = np.floor(rng.pareto(1.2, size) * 3).astype(int)
    collects = np.floor(likes * rng.uniform(0, 0.4, size)).astype(int)
    comments = np.floor(likes * rng.uniform(0, 0.2, size)).astype(int)
    authors = rng.zipf(1.3, size) % USERS

    notes: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    w = t = 0
    for i in range(size):
        lang = str(langs[i])
        nt, nb, ng = int(title_n[i]), int(body_n[i]), int(tag_n[i])
        title_zh = lang == "zh" or (lang == "mixed" and next(mixed_coins))
        title = _title((zh_words if title_zh else en_words)[w:w + nt], title_zh)
        w += nt
        if lang == "mixed":
            # Code-switching by sentence, as bilingual posters write: each sentence in one language.
            parts: list[str] = []
            left = nb
            while left > 0:
                n = min(left, next(sentence_lens))
                zh = next(mixed_coins)
                parts += _sentences((zh_words if zh else en_words)[w:w + n], iter([n]), zh)
                w += n
                left -= n
            body = " ".join(parts)
            note_tags = [*en_tags[t:t + ng // 2], *zh_tags[t + ng // 2:t + ng]]
        else:
            zh = lang == "zh"
            body = ("" if zh else " ").join(_sentences((zh_words if zh else en_words)[w:w + nb], sentence_lens, zh))
            w += nb
            note_tags = (zh_tags if zh else en_tags)[t:t + ng]
        t += ng
        at = START + timedelta(seconds=float(created_s[i]))
        at = at.replace(microsecond=at.microsecond // 1000 * 1000)  # ids and created_at agree to the ms
        n_global = batch * BATCH + i
        note_id = ids.id_floor(at) | (USERS + n_global)  # low bits unique: the note's number
        lk, cl, cm = int(likes[i]), int(collects[i]), int(comments[i])
        notes.append({
            "id": note_id, "author_id": _user_id(int(authors[i])), "kind": "text", "title": title, "body": body,
            "lang": lang, "topic": None, "place_name": None, "place_lat": None, "place_lng": None,
            "cover_media_id": None, "like_count": lk, "collect_count": cl, "comment_count": cm,
            "hot": hot_score(lk, cl, cm, at), "status": "published", "label": None, "created_at": at,
            "updated_at": at,
        })
        tags += [{"note_id": note_id, "tag": tag[:30]} for tag in dict.fromkeys(note_tags)]
    return notes, tags


_USER_AT = START - timedelta(days=30)


def _user_id(index: int) -> int:
    return ids.id_floor(_USER_AT) | index


def _user_rows() -> list[dict[str, Any]]:
    return [{
        "id": _user_id(i), "username": f"bench{i}", "username_key": f"bench{i}", "email": None,
        "password_hash": "!", "display_name": f"Bench {i}", "bio": "", "avatar_key": None,
        "read_langs": ["en", "zh"], "ui_lang": "en", "region": "", "interests": [], "onboarded": True,
        "role": "user", "is_active": True, "follower_count": 0, "following_count": 0, "note_count": 0,
        "engagement_received": 0, "created_at": _USER_AT,
    } for i in range(USERS)]


# ---------------------------------------------------------------------------------------------
# Building: database, tantivy index, FTS5


def corpus_settings(var_dir: Path, *, dense: bool) -> Settings:
    return Settings(var_dir=var_dir, env="prod", jobs_mode="immediate", search=SearchSettings(dense=dense))


def server_env(dense: bool) -> dict[str, str]:
    return {"REDBRIDGE_SEARCH__DENSE": "true" if dense else "false"}


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def progress(what: str, done: int, total: int, seconds: float, before: int | None = None) -> None:
    """A line at every tenth of the way (a log, not a terminal: no carriage returns)."""
    before = done - BATCH if before is None else before
    if done * 10 // total != max(before, 0) * 10 // total or done == total:
        print(f"  {what}: {done:,}/{total:,} notes ({done / max(seconds, 1e-9):,.0f}/s)", flush=True)


def build_database(var_dir: Path, vocab: Vocabulary, notes: int, seed: int) -> dict[str, Any]:
    """The corpus in a migrated Redbridge database; figures of the build."""
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    engine = db.make_engine(corpus_settings(var_dir, dense=False))
    gen_s = ins_s = 0.0
    tag_rows = 0
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            conn.execution_options(redbridge_write=True)
            with conn.begin():
                conn.execute(User.__table__.insert(), _user_rows())
            for batch in range((notes + BATCH - 1) // BATCH):
                t0 = time.perf_counter()
                rows, tags = generate(vocab, batch, min(BATCH, notes - batch * BATCH), seed)
                t1 = time.perf_counter()
                with conn.begin():  # one transaction a batch: the WAL stays small
                    conn.execute(Note.__table__.insert(), rows)
                    conn.execute(NoteTag.__table__.insert(), tags)
                gen_s += t1 - t0
                ins_s += time.perf_counter() - t1
                tag_rows += len(tags)
                progress("database", batch * BATCH + len(rows), notes, gen_s + ins_s)
    finally:
        engine.dispose()
    with contextlib.closing(sqlite3.connect(var_dir / "redbridge.db")) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        chars = conn.execute("SELECT avg(length(title)), avg(length(body)) FROM notes").fetchone()
        by_lang = dict(conn.execute("SELECT lang, count(*) FROM notes GROUP BY lang").fetchall())
    return {"generate_s": round(gen_s, 1), "insert_s": round(ins_s, 1),
            "insert_notes_per_s": round(notes / ins_s) if ins_s else None, "tag_rows": tag_rows,
            "avg_title_chars": round(chars[0], 1), "avg_body_chars": round(chars[1], 1), "by_lang": by_lang,
            "db_bytes": (var_dir / "redbridge.db").stat().st_size}


def build_index(var_dir: Path, *, dense: bool) -> tuple[dict[str, Any], list[NoteDoc]]:
    """The app's rebuild (``all_findable`` → ``TantivyBackend.replace_all``), timed; the analysed
    documents are returned so the baselines index the very same terms. With ``dense`` the
    app's reconciliation embeds every note too (``actions.rebuild``), timed on its own."""
    services = services_mod.build(corpus_settings(var_dir, dense=dense))
    kept: list[NoteDoc] = []
    figures: dict[str, Any] = {}
    try:
        with services.sessions() as session:
            total = documents.total_findable(session)
        started = time.perf_counter()

        def batches() -> Iterator[list[NoteDoc]]:
            with services.sessions() as session:
                for batch in documents.all_findable(session):
                    before = len(kept)
                    kept.extend(batch)
                    yield batch
                    progress("index", len(kept), total, time.perf_counter() - started, before)

        indexed = wiring.backend(services, rebuild_if_fresh=False).replace_all(batches())
        seconds = time.perf_counter() - started
        figures = {"notes": indexed, "seconds": round(seconds, 1), "notes_per_s": round(indexed / seconds)}
        if dense:
            t0 = time.perf_counter()
            embedded, _removed = actions.reconcile_vectors(services)
            embed_s = time.perf_counter() - t0
            figures.update({"embedded": embedded, "embed_s": round(embed_s, 1),
                            "embed_ms_per_note": round(1000 * embed_s / max(embedded, 1), 1)})
    finally:
        services.close()  # commits, writes the clean marker (a server then opens it as is), saves vectors
    search_dir = var_dir / "search"
    figures["index_bytes"] = du(search_dir / f"notes-v{SCHEMA_VERSION}")
    if dense:
        figures["vector_bytes"] = du(search_dir / "notes-vectors.usearch")
    return figures, kept


def tantivy_from_memory(docs: list[NoteDoc], scratch: Path) -> dict[str, Any]:
    """tantivy alone from the analysed documents (no database read, no analysis): the build rate
    to set beside FTS5's, which gets the same input."""
    index = TantivyBackend(scratch)
    try:
        t0 = time.perf_counter()
        n = index.replace_all(docs[i:i + BATCH] for i in range(0, len(docs), BATCH))
        seconds = time.perf_counter() - t0
    finally:
        index.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return {"seconds": round(seconds, 1), "notes_per_s": round(n / seconds)}


def fts5_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    # Generous to the baseline: its whole file mapped, a large page cache.
    conn.execute("PRAGMA mmap_size=4294967296")
    conn.execute("PRAGMA cache_size=-262144")
    return conn


def build_fts5(path: Path, docs: list[NoteDoc]) -> dict[str, Any]:
    """FTS5 over the analysed terms: contentless (tantivy stores no text either), the note id as
    rowid, merged into one b-tree at the end ('optimize', its best case for reads)."""
    path.unlink(missing_ok=True)
    with contextlib.closing(fts5_connect(path)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"CREATE VIRTUAL TABLE notes_fts USING fts5(title, body, tags, content='', "
                     f"tokenize=\"{FTS5_TOKENIZE}\")")
        t0 = time.perf_counter()
        conn.execute("BEGIN")
        for i in range(0, len(docs), BATCH):
            conn.executemany("INSERT INTO notes_fts(rowid, title, body, tags) VALUES (?, ?, ?, ?)",
                             [(d.note_id, d.title, d.body, d.tags) for d in docs[i:i + BATCH]])
        conn.execute("COMMIT")
        insert_s = time.perf_counter() - t0
        conn.execute("INSERT INTO notes_fts(notes_fts) VALUES ('optimize')")
        seconds = time.perf_counter() - t0
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"seconds": round(seconds, 1), "insert_s": round(insert_s, 1), "optimize_s": round(seconds - insert_s, 1),
            "notes_per_s": round(len(docs) / seconds), "index_bytes": path.stat().st_size}


def prepare(root: Path, name: str, notes: int, seed: int, vocab: Vocabulary, *, dense: bool,
            fts5: bool) -> dict[str, Any]:
    """A built corpus under ``root / name`` (reused when its marker says it is this one)."""
    var_dir = root / name
    marker = var_dir / "corpus.json"
    want = {"version": CORPUS_VERSION, "notes": notes, "seed": seed, "dense": dense, "fts5": fts5}
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("key") == want:
            print(f"{name}: reusing the corpus built {info['built']} in {var_dir}", flush=True)
            return {**info, "reused": True}
    print(f"{name}: building {notes:,} notes in {var_dir}", flush=True)
    info: dict[str, Any] = {"key": want, "dir": str(var_dir)}
    info["database"] = build_database(var_dir, vocab, notes, seed)
    info["index"], docs = build_index(var_dir, dense=dense)
    info["index"]["avg_terms"] = round(sum(len(d.title.split()) + len(d.body.split()) + len(d.tags.split())
                                           for d in docs) / max(len(docs), 1), 1)
    if fts5:
        print("  tantivy again from the analysed documents, then FTS5 from the same...", flush=True)
        info["tantivy_from_memory"] = tantivy_from_memory(docs, var_dir / "scratch-index")
        info["fts5"] = build_fts5(var_dir / "fts5.db", docs)
    del docs
    info["built"] = datetime.now(UTC).isoformat(timespec="seconds")
    marker.write_text(json.dumps(info, indent=2, ensure_ascii=False))
    return {**info, "reused": False}


# ---------------------------------------------------------------------------------------------
# Queries


def query_mix(vocab: Vocabulary, seed: int) -> list[tuple[str, str]]:
    """(kind, text) for :data:`QUERIES` queries; see the module docstring."""
    rng = np.random.default_rng([seed, 999])
    en = Ranked.of([w for w in vocab.en.words[QUERY_SKIP_TOP:] if len(w) >= 3 and w not in STOP_WORDS])
    zh = Ranked.of([w for w in vocab.zh.words[QUERY_SKIP_TOP:] if len(w) >= 2])
    hand = [q.text for q in load_relevance_set().queries]
    kinds = rng.choice(list(QUERY_MIX), size=QUERIES, p=list(QUERY_MIX.values()))
    out: list[tuple[str, str]] = []
    for kind in kinds.tolist():
        n = int(rng.integers(1, 4))
        if kind == "en":
            text = " ".join(dict.fromkeys(en.words[i] for i in en.draw(rng, n)))
        elif kind == "zh":
            # Chinese searchers often type words run together (成都火锅), sometimes spaced.
            text = (" " if rng.random() < 0.5 else "").join(dict.fromkeys(zh.words[i] for i in zh.draw(rng, n)))
        elif kind == "mixed":
            text = f"{zh.words[int(zh.draw(rng, 1)[0])]} {en.words[int(en.draw(rng, 1)[0])]}"
        else:
            text = hand[int(rng.integers(len(hand)))]
        out.append((kind, text))
    return out


def search_terms(text: str) -> tuple[str, ...]:
    """The terms the API searches for ``text`` with expansion on (as ``queries.search_notes``)."""
    terms = query_terms(text)
    return tuple(dict.fromkeys([*terms, *query_terms(" ".join(translate_query(text)))]))


def fts5_match(terms: Sequence[str]) -> str:
    # Each term a quoted string (FTS5 syntax inert, as in tantivy's term queries), OR-ed.
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


# ---------------------------------------------------------------------------------------------
# Measuring


def threaded_loop(search: Callable[[int], object], n_queries: int, clients: int, seconds: float, seed: int,
                  recorder: api.Recorder) -> float:
    """``clients`` threads, each running its next query as soon as the last one returned, for
    ``seconds``; latencies go to ``recorder``. Returns the wall time."""
    until = time.monotonic() + seconds
    lock = threading.Lock()

    def worker(k: int) -> None:
        rng = np.random.default_rng([seed, k])
        picks = rng.integers(0, n_queries, 100_000).tolist()
        local: list[float] = []
        for q in picks:
            if time.monotonic() >= until:
                break
            t0 = time.perf_counter()
            search(q)
            local.append((time.perf_counter() - t0) * 1000)
        with lock:
            recorder.latencies.extend(local)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - t0


def in_process(var_dir: Path, queries: list[tuple[str, str]], seconds: float, seed: int) -> dict[str, Any]:
    """tantivy (``TantivyBackend.search``) and FTS5 on the same terms, interleaved round by round,
    at each client count; a round's slice is ``seconds / ROUNDS``."""
    terms = [search_terms(text) for _, text in queries]
    typed = [tuple(query_terms(text)) for _, text in queries]  # what typo tolerance may correct, as the API
    matches = [fts5_match(t) for t in terms]
    index = TantivyBackend(var_dir / "search")
    local = threading.local()
    fts5_path = var_dir / "fts5.db"
    sql = (f"SELECT rowid FROM notes_fts WHERE notes_fts MATCH ? "
           f"ORDER BY bm25(notes_fts, {', '.join(map(str, BM25_WEIGHTS))}) LIMIT {LIMIT}")

    def tantivy_search(q: int) -> object:
        return index.search(NoteQuery(terms=terms[q], limit=LIMIT, correctable=typed[q])).note_ids

    def fts5_search(q: int) -> object:
        conn = getattr(local, "conn", None)
        if conn is None:  # a connection per thread, as a pool would give
            conn = local.conn = fts5_connect(fts5_path)
        return conn.execute(sql, (matches[q],)).fetchall()

    engines = {"tantivy": tantivy_search, "fts5": fts5_search}
    out: dict[str, Any] = {"avg_terms_per_query": round(sum(map(len, terms)) / len(terms), 2)}
    try:
        hits = {name: [len(fn(q)) for q in range(0, len(queries), 20)] for name, fn in engines.items()}  # warm
        out["avg_hits_returned"] = {name: round(sum(h) / len(h), 1) for name, h in hits.items()}
        for clients in CLIENTS:
            tallies = {name: (api.Recorder(), [0.0, 0.0]) for name in engines}
            for r in range(ROUNDS):
                for name, fn in engines.items():
                    recorder, acc = tallies[name]
                    cpu0 = time.process_time()
                    acc[0] += threaded_loop(fn, len(queries), clients, seconds / ROUNDS, seed + 100 * r, recorder)
                    acc[1] += time.process_time() - cpu0
            for name, (recorder, (wall, cpu)) in tallies.items():
                result = api.summarise(f"{name} in-process", recorder.latencies, 0, [], wall, cpu, 0.0)
                out[f"{name}_c{clients}"] = asdict(result)
                print(f"  {name:<8} {clients} client(s): {result.rps:>8.1f} q/s  p50 {result.p50_ms:>7.2f}  "
                      f"p99 {result.p99_ms:>7.2f} ms", flush=True)
    finally:
        index.close()
    return out


def through_api(var_dir: Path, queries: list[tuple[str, str]], seconds: float, seed: int, *, dense: bool,
                label: str) -> dict[str, Any]:
    """``GET /api/v1/search/notes?q=`` on the real server at each client count."""
    paths = [f"/api/v1/search/notes?q={quote(text)}" for _, text in queries]

    def pick(rng: Any) -> api.Request:
        return paths[int(rng.random() * len(paths))], {}

    async def run(port: int, pid: int) -> dict[str, Any]:
        client = api.RawClient(api.HOST, port)
        # The first searches load the glossary (and with dense on, the model): not measured.
        await api.closed_loop(client, pick, api.Recorder(), 2, time.monotonic() + 5, seed)
        return {f"c{clients}": asdict(await api.measure(client, pid, f"{label} c{clients}", pick, workers=clients,
                                                        duration=seconds, warmup=2.0, seed=seed + clients))
                for clients in CLIENTS}

    port = api.free_port()
    print(f"{label}: server (dense {'on' if dense else 'off'}) on {api.HOST}:{port}", flush=True)
    with api.running_server(var_dir, port, server_env(dense)) as server:
        return uvloop.run(run(port, server.pid))


# ---------------------------------------------------------------------------------------------
# Report


def targets(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}

    def check(name: str, value: float | None, target: str, met: bool) -> None:
        out[name] = {"value": value, "target": target, "met": met}

    for c in CLIENTS:
        kw = report["keyword_api"][f"c{c}"]
        check(f"keyword API p50 ms ({c} client(s))", kw["p50_ms"], f"<= {TARGET_P50_MS}", kw["p50_ms"] <= TARGET_P50_MS)
        check(f"keyword API p99 ms ({c} client(s))", kw["p99_ms"], f"<= {TARGET_P99_MS}", kw["p99_ms"] <= TARGET_P99_MS)
    if report.get("hybrid_api"):
        for c in CLIENTS:
            hy = report["hybrid_api"][f"c{c}"]
            check(f"hybrid API p99 ms ({c} client(s))", hy["p99_ms"], f"<= {TARGET_HYBRID_P99_MS}",
                  hy["p99_ms"] <= TARGET_HYBRID_P99_MS)
    for c in CLIENTS:
        # Like for like: both engines in-process on the same terms. Beside it, the API (HTTP, the
        # database filter, cards) against FTS5 in-process, which favours FTS5.
        fts5 = report["in_process"][f"fts5_c{c}"]["p99_ms"]
        for name, p99 in (("tantivy in-process", report["in_process"][f"tantivy_c{c}"]["p99_ms"]),
                          ("keyword API", report["keyword_api"][f"c{c}"]["p99_ms"])):
            ratio = round(fts5 / p99, 2) if p99 else None
            check(f"FTS5 p99 / {name} p99 ({c} client(s))", ratio, f">= {TARGET_FTS5_RATIO}",
                  ratio is not None and ratio >= TARGET_FTS5_RATIO)
    errors = sum(r["errors"] for key in ("keyword_api", "hybrid_api", "keyword_api_small")
                 for r in (report.get(key) or {}).values())
    check("no errors", errors, "0", errors == 0)
    return out


def print_table(report: dict[str, Any]) -> None:
    corpus = report["corpus"]
    idx, fts = corpus["index"], corpus.get("fts5", {})
    print(f"\ncorpus: {corpus['key']['notes']:,} notes ({corpus['database']['by_lang']}), "
          f"avg title {corpus['database']['avg_title_chars']} chars, body {corpus['database']['avg_body_chars']} chars, "
          f"{idx['avg_terms']} terms a note")
    print(f"build: database {corpus['database']['insert_notes_per_s']:,} notes/s inserted; tantivy rebuild "
          f"(read + analyse + index) {idx['notes_per_s']:,} notes/s, {idx['index_bytes'] / 2**20:,.0f} MiB; "
          f"from analysed docs: tantivy {corpus['tantivy_from_memory']['notes_per_s']:,} notes/s, "
          f"FTS5 {fts['notes_per_s']:,} notes/s, {fts['index_bytes'] / 2**20:,.0f} MiB")
    hyb = report.get("hybrid_corpus")
    if hyb:
        print(f"hybrid corpus: the first {hyb['key']['notes']:,} notes, embedded at "
              f"{hyb['index']['embed_ms_per_note']} ms a note ({hyb['index']['embed_s']} s)")
    print(f"\n{'measurement':<34}{'clients':>8}{'q/s':>10}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'errors':>8}"
          f"{'cpu ms/q':>10}")
    rows: list[tuple[str, str, dict[str, Any]]] = []
    for c in CLIENTS:
        rows.append((f"keyword, API, {corpus['key']['notes']:,}", str(c), report["keyword_api"][f"c{c}"]))
    for c in CLIENTS:
        for engine in ("tantivy", "fts5"):
            rows.append((f"{engine}, in-process", str(c), report["in_process"][f"{engine}_c{c}"]))
    if hyb:
        n = f"{hyb['key']['notes']:,}"
        for c in CLIENTS:
            rows.append((f"hybrid, API, {n}", str(c), report["hybrid_api"][f"c{c}"]))
            rows.append((f"keyword, API, {n}", str(c), report["keyword_api_small"][f"c{c}"]))
    for name, clients, r in rows:
        print(f"{name:<34}{clients:>8}{r['rps']:>10.1f}{r['p50_ms']:>9.2f}{r['p90_ms']:>9.2f}{r['p99_ms']:>9.2f}"
              f"{r['errors']:>8}{r['server_cpu_ms_per_req']:>10.2f}")
    print("cpu ms/q: the server process's CPU per request (API rows); the benchmark process's (in-process rows)")
    print("\ntargets:")
    for name, t in report["targets"].items():
        print(f"  {name:<48} {'met' if t['met'] else 'NOT met'}  (value {t['value']}, target {t['target']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--notes", type=int, default=1_000_000)
    parser.add_argument("--hybrid-notes", type=int, default=2_000,
                        help="notes embedded for the hybrid run (0: skip it); see the module docstring")
    parser.add_argument("--seconds", type=float, default=15.0, help="seconds measured per measurement")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the corpora here and reuse them in later runs (else a temporary directory)")
    parser.add_argument("--out", type=Path, default=api.ROOT / "bench" / "results" / "search.json")
    args = parser.parse_args(argv)
    if args.notes < 1 or args.hybrid_notes < 0 or args.hybrid_notes > args.notes or args.seconds <= 0:
        parser.error("--notes must be positive, --hybrid-notes between 0 and --notes, --seconds positive")

    machine = api.machine_info()
    root = args.keep or Path(tempfile.mkdtemp(prefix="redbridge-bench-search-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        vocab = Vocabulary.build(args.seed)
        print(f"vocabulary: {len(vocab.en.words):,} English and {len(vocab.zh.words):,} Chinese words "
              f"({vocab.sources}), {time.perf_counter() - t0:.1f} s", flush=True)
        corpus = prepare(root, f"keyword-{args.notes}", args.notes, args.seed, vocab, dense=False, fts5=True)
        queries = query_mix(vocab, args.seed)
        var_dir = Path(corpus["dir"])
        report: dict[str, Any] = {
            **api.report_head("search", machine, {"notes": args.notes, "hybrid_notes": args.hybrid_notes}, args),
            "corpus": corpus,
            "queries": {"count": len(queries), "mix": dict(Counter(k for k, _ in queries)),
                        "samples": [t for _, t in queries[:12]]},
        }
        print(f"in-process, {args.notes:,} notes: tantivy vs FTS5, {ROUNDS} interleaved rounds", flush=True)
        report["in_process"] = in_process(var_dir, queries, args.seconds, args.seed)
        report["keyword_api"] = through_api(var_dir, queries, args.seconds, args.seed, dense=False,
                                            label=f"keyword {args.notes:,}")
        if args.hybrid_notes:
            hyb = prepare(root, f"hybrid-{args.hybrid_notes}", args.hybrid_notes, args.seed, vocab, dense=True,
                          fts5=False)
            report["hybrid_corpus"] = hyb
            report["hybrid_api"] = through_api(Path(hyb["dir"]), queries, args.seconds, args.seed, dense=True,
                                               label=f"hybrid {args.hybrid_notes:,}")
            report["keyword_api_small"] = through_api(Path(hyb["dir"]), queries, args.seconds, args.seed,
                                                      dense=False, label=f"keyword {args.hybrid_notes:,}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    machine["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    report["targets"] = targets(report)
    print_table(report)
    api.write_report(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
