"""The "hot" rank of a note: engagement, with collects weighing more than likes, decayed by age.

``hot = log10(1 + likes + 2·collects + 1.5·comments) + created_epoch / GRAVITY`` (Reddit's trick):
a newer note needs GRAVITY seconds' worth of tenfold engagement less to rank equal. Because age
enters as the creation time rather than "now minus creation", the value never needs refreshing
as time passes — only when engagement changes — so it can live in an indexed column and the
explore feed's candidate pool is an index range scan.
"""

from __future__ import annotations

import math
from datetime import datetime

COLLECT_WEIGHT = 2.0  # a collect (收藏) is a stronger signal than a like: the reader wants it again
COMMENT_WEIGHT = 1.5
GRAVITY = 45_000.0  # seconds: 12.5 hours of age cost one order of magnitude of engagement
EPOCH = 1_704_067_200  # 2024-01-01, keeps the numbers small


def engagement(likes: int, collects: int, comments: int) -> float:
    return max(likes, 0) + COLLECT_WEIGHT * max(collects, 0) + COMMENT_WEIGHT * max(comments, 0)


def hot_score(likes: int, collects: int, comments: int, created_at: datetime) -> float:
    return math.log10(1.0 + engagement(likes, collects, comments)) + (created_at.timestamp() - EPOCH) / GRAVITY


# Explore's re-rank uses a Hacker-News-style decay on top of the same engagement weights: unlike
# ``hot_score`` it depends on "now", so it is computed once per candidate pool (at the pool's build
# time), never stored in a column.
DECAY_OFFSET_HOURS = 2.0  # a brand-new note is not infinitely fresh: the first hours count equally
DECAY_EXPONENT = 1.5


def decayed_engagement(likes: int, collects: int, comments: int, age_hours: float) -> float:
    """``(1 + engagement) / (age_hours + 2) ** 1.5``: equal engagement → the fresher note scores
    higher; equal age → more (collect-weighted) engagement scores higher. The ``1 +`` lets freshness
    order notes nobody has engaged with yet. Negative ages (clock skew) count as zero."""
    decay: float = (max(age_hours, 0.0) + DECAY_OFFSET_HOURS) ** DECAY_EXPONENT
    return (1.0 + engagement(likes, collects, comments)) / decay
