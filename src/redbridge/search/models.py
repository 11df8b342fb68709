"""Search's own rows (docs/search.md, "Suggestions, trending, history"): the terms suggestions are
drawn from, who searched a query on which day (hashed), and each account's search history.

The note index itself is not here: it lives in tantivy and the vector file (``search.embedded``,
``search.dense``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from redbridge.core.db import Base, IdType, UTCDateTime

KEY_CHARS = 64  # a suggestion's key: longer queries are never typed into a suggestion box
HISTORY_CHARS = 2000  # ``SearchSettings.max_query_chars`` may go up to this

# Prefix matching compares keys as code points (``key >= p AND key < p'``, see
# ``search.suggest_keys.prefix_range``). SQLite's default BINARY collation does; PostgreSQL's
# database collation may not (a linguistic one orders "a" < "B" < "b"), so its key columns use "C".
KeyType = String(KEY_CHARS).with_variant(String(KEY_CHARS, collation="C"), "postgresql")
PinyinType = String(4 * KEY_CHARS).with_variant(String(4 * KEY_CHARS, collation="C"), "postgresql")


class SearchTerm(Base):
    """Something a suggestion can offer: a popular query or a tag of published notes.

    ``ident`` names the term within its kind: a query's normalised key (``火鍋`` and ``火锅`` are one
    query), a tag's own name (tags are stored as typed, so ``火鍋`` and ``火锅`` are two tags, which
    the suggestion read shows once). ``key`` is ``normalize_for_match`` of the text, ``pinyin`` its
    full toneless pinyin and ``initials`` its syllables' first letters (both '' without Chinese),
    each indexed for prefix matching. ``weight`` ranks: for a query the distinct searcher-days that
    found something with it, for a tag its published notes."""

    __tablename__ = "search_terms"
    __table_args__ = (
        UniqueConstraint("kind", "ident", name="uq_search_terms_ident"),
        Index("ix_search_terms_key", "key"),
        Index("ix_search_terms_pinyin", "pinyin"),
        Index("ix_search_terms_initials", "initials"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(5))  # query | tag
    ident: Mapped[str] = mapped_column(String(KEY_CHARS))
    text: Mapped[str] = mapped_column(String(KEY_CHARS))
    key: Mapped[str] = mapped_column(KeyType)
    pinyin: Mapped[str] = mapped_column(PinyinType)
    initials: Mapped[str] = mapped_column(KeyType)
    weight: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class QuerySearcher(Base):
    """One searcher's first successful search for a query on one (UTC) day: the unit popularity is
    counted in, so a client repeating a query a thousand times counts once a day. ``searcher`` is
    an HMAC under the app secret of the day and the account or address: no raw address or account
    id is stored, and the same person's rows of two days cannot be linked. Rows older than two
    days are pruned (``search.actions.prune_searchers``): trending reads the last 24 hours only."""

    __tablename__ = "search_query_searchers"
    __table_args__ = (Index("ix_search_query_searchers_seen", "seen_at", "term_id"),)

    term_id: Mapped[int] = mapped_column(IdType, ForeignKey("search_terms.id", ondelete="CASCADE"),
                                         primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    searcher: Mapped[str] = mapped_column(String(32), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SearchHistoryEntry(Base):
    """A query an account searched, once per distinct query (``digest``: sha256 of its normalised
    text): searching it again moves it to the top. Only the newest ``history_size`` are kept."""

    __tablename__ = "search_history"
    __table_args__ = (
        UniqueConstraint("user_id", "digest", name="uq_search_history_query"),
        Index("ix_search_history_user", "user_id", "searched_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(HISTORY_CHARS))
    searched_at: Mapped[datetime] = mapped_column(UTCDateTime)
