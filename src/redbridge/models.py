"""Imports every feature's models so ``Base.metadata`` is complete (Alembic, test schemas)."""

from redbridge.accounts.models import AuthSession, Block, Follow, Mute, User
from redbridge.core.db import Base
from redbridge.core.outbox import OutboxRow
from redbridge.engagement.models import Collect, Collection, Comment, CommentLike, Like
from redbridge.media.models import Media
from redbridge.moderation.models import AuditEntry, ModerationDecision, QueueItem
from redbridge.notes.models import Note, NoteTag, NoteView
from redbridge.notifications.models import Notification
from redbridge.ops.models import Heartbeat
from redbridge.safety.models import Report
from redbridge.search.models import QuerySearcher, SearchHistoryEntry, SearchTerm
from redbridge.translations.models import CommunityTranslation, CommunityVote, StoredTranslation

__all__ = [
    "AuditEntry",
    "AuthSession",
    "Base",
    "Block",
    "Collect",
    "Collection",
    "Comment",
    "CommentLike",
    "CommunityTranslation",
    "CommunityVote",
    "Follow",
    "Heartbeat",
    "Like",
    "Media",
    "ModerationDecision",
    "Mute",
    "Note",
    "NoteTag",
    "NoteView",
    "Notification",
    "OutboxRow",
    "QuerySearcher",
    "QueueItem",
    "Report",
    "SearchHistoryEntry",
    "SearchTerm",
    "StoredTranslation",
    "User",
]
