"""Settings from the environment (prefix ``REDBRIDGE_``; nested fields use ``__``).

Every deployment knob lives here so that ``create_app(settings)`` is the only place that turns
configuration into running parts: the embedded defaults need nothing set at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RateLimitSettings(BaseModel):
    """Budgets as (count, window seconds). Per account *and* per IP where both apply."""

    signup_per_ip: tuple[int, int] = (10, 3600)
    login_per_ip: tuple[int, int] = (30, 300)
    login_per_account: tuple[int, int] = (10, 300)
    note_per_account: tuple[int, int] = (30, 3600)
    note_per_ip: tuple[int, int] = (60, 3600)
    comment_per_account: tuple[int, int] = (60, 600)
    comment_per_ip: tuple[int, int] = (120, 600)
    upload_per_account: tuple[int, int] = (200, 3600)


class MediaSettings(BaseModel):
    max_image_bytes: int = 20 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    max_video_bytes: int = 200 * 1024 * 1024
    max_video_seconds: float = 15 * 60
    ffmpeg: str = "ffmpeg"
    ffprobe: str = "ffprobe"


class PasswordSettings(BaseModel):
    # argon2id at 64 MiB (OWASP ASVS); hashing runs on a small dedicated pool so a signup burst
    # queues there instead of starving the request threads that serve reads.
    memory_kib: int = 65536
    time_cost: int = 3
    parallelism: int = 1
    hash_workers: int = 1


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
    trust_forwarded_for: bool = False
    default_locale: str = "en"
    rate_limits: RateLimitSettings = Field(default_factory=RateLimitSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    passwords: PasswordSettings = Field(default_factory=PasswordSettings)
    db_pool_size: int = 16
    # Threads serving sync routes. More threads than cores only adds GIL hand-offs for this
    # mostly-CPU work; enough are needed to cover waits on the database and the write lock.
    threadpool_size: int = 12

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.var_dir / 'redbridge.db').resolve()}"

    @property
    def resolved_media_dir(self) -> Path:
        return self.media_dir or self.var_dir / "media"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")
