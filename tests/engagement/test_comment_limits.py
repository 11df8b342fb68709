"""Comment rate limits, per account and per IP."""

from __future__ import annotations

import pytest

from redbridge.engagement.models import Comment
from redbridge.settings import Settings
from tests.engagement.helpers import rows


@pytest.fixture
def settings(settings: Settings) -> Settings:
    limits = settings.rate_limits.model_copy(update={"comment_per_account": (2, 600), "comment_per_ip": (3, 600)})
    return settings.model_copy(update={"rate_limits": limits})


def test_comments_are_rate_limited_per_account_then_per_ip(client, factory, services):
    ann, bob = factory.user(), factory.user()
    note = factory.note_row(ann)
    url = f"/api/v1/notes/{note}/comments"

    def comment(user):
        return client.post(url, headers=user.headers, json={"body": "hi"})

    assert [comment(ann).status_code for _ in range(3)] == [201, 201, 429]
    limited = comment(ann)
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    # Another account from the same address gets what is left of the address's budget.
    assert [comment(bob).status_code for _ in range(2)] == [201, 429]
    assert rows(services, Comment, note_id=note) == 3
