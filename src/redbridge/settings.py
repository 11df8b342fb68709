"""Settings from the environment (prefix ``REDBRIDGE_``; nested fields use ``__``).

Every deployment knob lives here so that ``create_app(settings)`` is the only place that turns
configuration into running parts: the embedded defaults need nothing set at all.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class RateLimitSettings(BaseModel):
    """Budgets as (count, window seconds), moving windows (``core.ratelimit``). Per account *and*
    per IP where both apply (docs/accounts.md lists every limit)."""

    signup_per_ip: tuple[int, int] = (10, 3600)
    login_per_ip: tuple[int, int] = (30, 300)
    # Login attempts for one account *from one source* (IP; IPv6 by /64): 429 past it. Keyed by
    # the resolved account, so username and email share it; one attacker spends only its own.
    login_per_account: tuple[int, int] = (10, 300)
    # Failed logins for one account from anywhere: past the count, each attempt waits (doubling
    # from ``login_slowdown_step_s`` up to ``login_slowdown_max_s``); it never locks the account.
    login_account_slowdown: tuple[int, int] = (20, 900)
    login_slowdown_step_s: float = Field(default=0.25, ge=0, le=60)
    login_slowdown_max_s: float = Field(default=5.0, ge=0, le=60)
    note_per_account: tuple[int, int] = (30, 3600)
    note_per_ip: tuple[int, int] = (60, 3600)
    comment_per_account: tuple[int, int] = (60, 600)
    comment_per_ip: tuple[int, int] = (120, 600)
    upload_per_account: tuple[int, int] = (200, 3600)
    # Reports: enough for someone working through a pile-on, not for flooding the review queue.
    report_per_account: tuple[int, int] = (30, 3600)
    report_per_ip: tuple[int, int] = (60, 3600)
    # Word glosses (API and the page's word list), per account, else per address: a reader opens
    # one note's glosses per note page and looks up a word now and then.
    glossary_per_client: tuple[int, int] = (300, 60)
    # Search suggestions and trending (per account, else per address): a suggestion box asks once
    # per pause in typing; the search history (its reads and clears), per account.
    suggest_per_client: tuple[int, int] = (600, 60)
    search_history_per_account: tuple[int, int] = (120, 60)


class MediaSettings(BaseModel):
    """Upload limits and how much media work one process does at once (docs/media.md)."""

    max_image_bytes: int = 20 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    # Decoded size in memory (width × height × Pillow's bytes per pixel), checked before decoding.
    max_decode_bytes: int = Field(default=160 * 1024 * 1024, ge=1)  # a 40 MP picture, as RGBA
    max_video_bytes: int = 200 * 1024 * 1024
    max_video_seconds: float = 15 * 60
    ffmpeg: str = "ffmpeg"
    ffprobe: str = "ffprobe"
    # Uploads processed at once (0: os.cpu_count()); up to ``processing_queue`` more wait at most
    # ``processing_wait_s``; beyond that 503 with ``Retry-After: processing_retry_after_s``.
    processing_slots: int = Field(default=0, ge=0, le=256)
    processing_queue: int = Field(default=16, ge=0, le=10_000)
    processing_wait_s: float = Field(default=10.0, ge=0, le=600)
    processing_retry_after_s: int = Field(default=5, ge=1, le=3600)
    # Images are decoded in recycled worker processes ("process") or in the request thread ("inline").
    image_workers: Literal["process", "inline"] = "process"
    worker_max_tasks: int = Field(default=4, ge=1)
    # Videos left pending (a worker killed mid-job) are queued again after this, failed after that.
    pending_requeue_after_s: float = Field(default=600.0, gt=0)
    pending_give_up_after_s: float = Field(default=24 * 3600.0, gt=0)
    sweep_interval_s: float = Field(default=300.0, gt=0)


class PasswordSettings(BaseModel):
    # argon2id at 64 MiB (OWASP ASVS); hashing runs on a small dedicated pool so a signup burst
    # queues there instead of starving the request threads that serve reads.
    memory_kib: int = 65536
    time_cost: int = 3
    parallelism: int = 1
    # Hashes computed at once (default: one per core); at most ``hash_max_waiting`` more wait for
    # a worker, beyond that 503 with ``Retry-After: hash_retry_after_s``.
    hash_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=256)
    hash_max_waiting: int = Field(default=32, ge=0, le=10_000)
    hash_retry_after_s: int = Field(default=1, ge=1, le=3600)
    # Lowest zxcvbn score (0-4) a new password may have; 3: "safely unguessable" offline-slow.
    min_strength: int = Field(default=3, ge=0, le=4)


class CapacitySettings(BaseModel):
    """How much work one process accepts (admission control, ``core.admission``).

    At most ``max_inflight`` requests are worked on at once; up to ``max_queued`` more wait at
    most ``queue_timeout_s`` for a slot; anything beyond is answered at once with 503 and
    ``Retry-After: retry_after_s``. The request thread pool and the database connection pool are
    sized from ``max_inflight`` (see ``core.db.pool_capacity``), so an admitted request never waits
    for a thread or a connection: each needs at most one of each at a time.
    """

    max_inflight: int = Field(default=32, ge=1, le=1024)
    max_queued: int = Field(default=64, ge=0, le=100_000)
    queue_timeout_s: float = Field(default=1.0, ge=0, le=60)
    retry_after_s: int = Field(default=2, ge=1, le=3600)


class OutboxSettings(BaseModel):
    """The transactional outbox's relay (``core.outbox``, docs/jobs-and-events.md)."""

    # False: nothing relays in this process (its rows wait for another relay). For tools and
    # fault tests that must leave committed rows behind; a serving app keeps it on.
    relay: bool = True
    batch_size: int = Field(default=100, ge=1, le=10_000)
    # The periodic pass that picks up rows a crashed process left, besides the wake-up on commit.
    sweep_interval_s: float = Field(default=1.0, gt=0, le=3600)
    # A claimed row not marked sent after this is claimed again (its relay died mid-batch).
    claim_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    # After a failed enqueue a row waits retry_base_s, doubling per attempt, up to retry_max_s.
    retry_base_s: float = Field(default=0.5, gt=0, le=3600)
    retry_max_s: float = Field(default=30.0, gt=0, le=86_400)


class SearchSettings(BaseModel):
    """Search (docs/search.md): ``REDBRIDGE_SEARCH__...``."""

    # The keyword index (docs/search.md): ``embedded`` tantivy under ``index_dir``, one process;
    # ``postgres`` a tsvector table in the app's PostgreSQL database, shared by every process;
    # ``auto`` postgres when the database is PostgreSQL, else embedded.
    backend: Literal["auto", "embedded", "postgres"] = "auto"
    index_dir: Path | None = None  # default var_dir / "search"
    # Index writes are committed together this long after the first pending one (a commit fsyncs).
    commit_delay_s: float = Field(default=0.5, ge=0, le=60)
    commit_batch: int = Field(default=1000, ge=1, le=100_000)
    max_query_chars: int = Field(default=200, ge=1, le=2000)
    # Cross-lingual retrieval (docs/search.md): the query's words in the other language from the
    # dictionary (``search.expand``), and dense retrieval by language-centred e5 vectors fused with
    # the keyword ranking (``search.dense``). Embedding a note costs ~40 ms on the job worker.
    expand_queries: bool = True
    dense: bool = True
    # How often at most the vector index is written to disk (a crash loses at most this much; the
    # reconciliation at start re-embeds what is missing).
    vector_save_s: float = Field(default=10.0, ge=0, le=3600)
    # Suggestions, trending, history (docs/search.md): a query is suggested to everyone once this
    # many distinct searcher-days found something with it (one person's query, say their own
    # phone number, is never offered to others), and trends with this many distinct searchers in
    # the last 24 hours. Both reads are cached this long.
    suggest_min_searchers: int = Field(default=3, ge=1, le=1_000_000)
    trending_min_searchers: int = Field(default=5, ge=1, le=1_000_000)
    suggest_ttl_s: float = Field(default=30.0, ge=0, le=3600)
    trending_ttl_s: float = Field(default=60.0, ge=0, le=3600)
    history_size: int = Field(default=20, ge=1, le=200)
    # The "not yet seen" scope (docs/search.md): the notes a reader opened are written in batches
    # this often (a crash loses at most this much), at most ``views_pending_max`` waiting per
    # process (more are dropped, not queued: memory stays bounded under a crowd); the scope leaves
    # out the reader's ``unseen_window`` most recently opened notes.
    views_flush_s: float = Field(default=2.0, gt=0, le=600)
    views_pending_max: int = Field(default=50_000, ge=100, le=10_000_000)
    unseen_window: int = Field(default=2000, ge=1, le=20_000)  # under SQLite's 32,766 bound parameters


class TrustLimits(BaseModel):
    """One trust level's budgets (count, window seconds), on top of the general per-account ones."""

    note: tuple[int, int]
    comment: tuple[int, int]
    follow: tuple[int, int]


class SpamSettings(BaseModel):
    """Trust levels' limits (``accounts.trust``) and surge mode (``moderation.surge``,
    ``accounts.proof``); the defaults and why: docs/moderation.md. The text signals' thresholds are
    ``moderation.signals.Thresholds``."""

    # Per trust level: a brand-new account writes a handful an hour, which nobody notices and a
    # spam run does; ``surge`` replaces ``new`` while surge mode is on.
    limits_new: TrustLimits = TrustLimits(note=(5, 3600), comment=(20, 3600), follow=(30, 3600))
    limits_basic: TrustLimits = TrustLimits(note=(15, 3600), comment=(60, 3600), follow=(100, 3600))
    limits_trusted: TrustLimits = TrustLimits(note=(30, 3600), comment=(120, 3600), follow=(300, 3600))
    limits_surge: TrustLimits = TrustLimits(note=(2, 3600), comment=(8, 3600), follow=(10, 3600))
    surge_queue_threshold: int = Field(default=500, ge=1, le=10_000_000)
    pow_bits: int = Field(default=16, ge=0, le=32)  # ~65k SHA-256 in the browser: about a second
    pow_ttl_s: int = Field(default=300, ge=10, le=86_400)


class SemanticSettings(BaseModel):
    """The semantic matcher (``moderation.semantic``; calibration in docs/benchmarks.md): a text is
    held when its cosine to the nearest marked example is at least ``min_score`` and it stands at
    least ``min_margin`` spreads above the benign anchors' similarity to that example (in the
    text's language). ``REDBRIDGE_SEMANTIC__MIN_MARGIN=5`` and so on."""

    enabled: bool = True
    min_score: float = Field(default=0.80, ge=0.0, le=1.0)
    min_margin: float = Field(default=4.5, ge=0.0, le=100.0)
    # How often a process asks the database whether the examples changed (a new example reaches
    # every process within this; the process that added it sees it at once).
    refresh_s: float = Field(default=1.0, gt=0, le=3600)


class ImageSettings(BaseModel):
    """Image moderation (``moderation.images``, docs/moderation.md "Images"): the open_nsfw score
    labels a note ``sensitive`` from ``nsfw_label`` and holds it for review from ``nsfw_hold``; an
    upload whose perceptual hash is within ``blocklist_distance`` bits of a blocked one is refused.
    ``REDBRIDGE_IMAGES__NSFW_HOLD=0.9`` and so on."""

    nsfw: bool = True  # False: no model is loaded and no score is stored (scores are None)
    nsfw_label: float = Field(default=0.8, ge=0.0, le=1.0)
    nsfw_hold: float = Field(default=0.95, ge=0.0, le=1.0)
    # Hamming distance between 64-bit pHashes; the false-match figure behind 10: docs/benchmarks.md.
    blocklist_distance: int = Field(default=10, ge=0, le=32)


class CTranslate2EngineSettings(BaseModel):
    """A converted model directory (docs/translation.md has the conversion commands)."""

    kind: Literal["ctranslate2"] = "ctranslate2"
    model_dir: Path
    # The directions the model serves, e.g. [["zh", "en"]] for opus-mt-zh-en.
    pairs: list[tuple[Literal["en", "zh"], Literal["en", "zh-Hans", "zh-Hant"]]] = Field(min_length=1)
    family: Literal["marian", "nllb", "m2m100"] = "marian"
    target_tokens: dict[str, str] = Field(default_factory=dict)
    beam_size: int = Field(default=2, ge=1, le=16)
    version: str | None = None


class OpenAIChatEngineSettings(BaseModel):
    """An OpenAI-compatible chat server (Ollama, vLLM, llama.cpp). The key is never written in the
    settings: ``api_key_env`` names the environment variable that holds it."""

    kind: Literal["openai_chat"] = "openai_chat"
    base_url: str
    model: str
    api_key_env: str | None = None
    timeout: float | None = Field(default=None, gt=0, le=600)  # None: TranslationSettings.job_timeout_s
    json_mode: bool = True
    version: str | None = None


class LibreTranslateEngineSettings(BaseModel):
    kind: Literal["libretranslate"] = "libretranslate"
    url: str
    api_key_env: str | None = None
    timeout: float | None = Field(default=None, gt=0, le=600)
    languages: dict[str, str] | None = None  # None: the engine's defaults (en, zh)
    version: str | None = None


EngineSettings = Annotated[
    CTranslate2EngineSettings | OpenAIChatEngineSettings | LibreTranslateEngineSettings, Field(discriminator="kind")
]


class TranslationSettings(BaseModel):
    """Machine translation in the product (``redbridge.translations``, docs/translation.md "In the
    product"). ``engines`` is the chain, tried in order; empty (the default): no engine, readers
    get glosses and are told that no machine translation is configured. Set as JSON, e.g.
    ``REDBRIDGE_TRANSLATION__ENGINES='[{"kind": "openai_chat", "base_url": "http://127.0.0.1:11434/v1",
    "model": "qwen2.5:7b-instruct"}]'``."""

    engines: list[EngineSettings] = Field(default_factory=list)
    max_chars: int = Field(default=5000, ge=1, le=100_000)
    # New translations (those that need an engine) per reader (account, or IP when anonymous) and
    # for the whole site; answers from the store are not counted.
    per_user: tuple[int, int] = (60, 3600)
    per_ip: tuple[int, int] = (60, 3600)
    global_budget: tuple[int, int] = (5000, 3600)
    # Each engine call's deadline (an engine entry may set its own), the job's attempts after the
    # first and the first backoff between them (doubling), and how long a failure is remembered.
    job_timeout_s: float = Field(default=30.0, gt=0, le=600)
    job_retries: int = Field(default=2, ge=0, le=10)
    retry_backoff_s: float = Field(default=1.0, ge=0, le=60)
    failed_ttl_s: float = Field(default=60.0, gt=0, le=86_400)
    # Bounded probe of each engine by ``redbridge doctor``.
    probe_timeout_s: float = Field(default=3.0, gt=0, le=60)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REDBRIDGE_", env_nested_delimiter="__", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    var_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite file under var_dir
    redis_url: str = ""  # empty: in-process cache, limits and fan-out
    jobs_mode: Literal["embedded", "redis", "immediate"] = "embedded"
    media_dir: Path | None = None  # default var_dir / "media"
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""  # empty: generated once and kept in var_dir/secret_key
    session_days: int = 30
    cookie_secure: bool = False
    # Addresses or networks of the reverse proxies in front (e.g. ["127.0.0.1", "10.0.0.0/8"]).
    # Only a request from one of them has its X-Forwarded-For read, right to left, skipping the
    # proxies themselves: the client address is the last hop no trusted proxy vouches for, so a
    # client cannot pick its own address by sending the header. Empty: the header is ignored.
    trusted_proxies: list[str] = Field(default_factory=list)
    default_locale: str = "en"
    rate_limits: RateLimitSettings = Field(default_factory=RateLimitSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    passwords: PasswordSettings = Field(default_factory=PasswordSettings)
    capacity: CapacitySettings = Field(default_factory=CapacitySettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    images: ImageSettings = Field(default_factory=ImageSettings)
    semantic: SemanticSettings = Field(default_factory=SemanticSettings)
    spam: SpamSettings = Field(default_factory=SpamSettings)
    translation: TranslationSettings = Field(default_factory=TranslationSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)

    @model_validator(mode="after")
    def _search_backend_fits_the_database(self) -> Settings:
        if self.search.backend == "postgres" and self.is_sqlite:
            raise ValueError("search.backend 'postgres' needs a PostgreSQL database_url")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.var_dir / 'redbridge.db').resolve()}"

    @property
    def resolved_media_dir(self) -> Path:
        return self.media_dir or self.var_dir / "media"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def search_backend(self) -> Literal["embedded", "postgres"]:
        """``search.backend`` with ``auto`` resolved by the database."""
        if self.search.backend == "auto":
            return "embedded" if self.is_sqlite else "postgres"
        return self.search.backend
