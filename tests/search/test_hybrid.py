"""Cross-lingual search with dense retrieval on (``settings.search.dense``): a query finds notes in
the other language with no word in common and no dictionary help, a query about nothing finds
nothing, the filters hold for the dense side, hidden notes stay hidden, and the vector index is
reconciled with the database after a restart that lost it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient

from redbridge.app import create_app
from redbridge.core.clock import SystemClock
from redbridge.search.dense import VectorIndex
from redbridge.search.pgvector import PgVectorIndex
from redbridge.search.wiring import dense
from redbridge.settings import SearchSettings, Settings
from tests.conftest import prepare_schema
from tests.factories import Factory
from tests.search.helpers import ids, search

Site = tuple[TestClient, Factory]


@pytest.fixture
def make_site(settings: Settings) -> Iterator[Callable[[], Site]]:
    """Apps on one database and var dir with dense retrieval on and the dictionary off (so only the
    vectors can cross the language line); jobs run inline."""
    config = settings.model_copy(update={"search": SearchSettings(dense=True, expand_queries=False)})
    with ExitStack() as stack:
        def make() -> Site:
            app = create_app(config, SystemClock())
            prepare_schema(app.state.services)
            stack.callback(app.state.services.close)
            client = stack.enter_context(TestClient(app))
            return client, Factory(client, app.state.services)
        yield make


def test_queries_cross_the_language_line_through_the_vectors(make_site: Callable[[], Site]) -> None:
    client, factory = make_site()
    services = client.app.state.services  # type: ignore[attr-defined]
    author = factory.user()
    dumplings = factory.note(author, images=0, title="苏州小笼包攻略", body="汤汁很多，皮很薄，一口一个。")
    lobster = factory.note(author, title="Best lobster roll in Boston", body="Buttery bun and huge chunks, by the harbor.")
    factory.note(author, images=0, title="周末爬山", body="天气很好，和朋友一起去爬山。")
    assert ids(search(client, services, "Suzhou soup dumplings"))[0] == dumplings["id"]
    assert ids(search(client, services, "波士顿 龙虾卷"))[0] == lobster["id"]
    # The dense side obeys the filters the keyword side gets from the index.
    assert ids(search(client, services, "波士顿 龙虾卷", type="video")) == []
    assert lobster["id"] not in ids(search(client, services, "波士顿 龙虾卷", lang="zh"))
    assert dumplings["id"] not in ids(search(client, services, "Suzhou soup dumplings", type="image"))
    # Sorted searches stay keyword searches: no word in common, nothing found.
    assert ids(search(client, services, "Suzhou soup dumplings", sort="newest")) == []


def test_a_query_about_nothing_here_finds_nothing(make_site: Callable[[], Site]) -> None:
    client, factory = make_site()
    services = client.app.state.services  # type: ignore[attr-defined]
    author = factory.user()
    factory.note(author, images=0, title="成都火锅", body="麻辣锅底太香了。")
    factory.note(author, images=0, title="My sunscreen routine", body="SPF 50 every morning.")
    assert ids(search(client, services, "quantum chromodynamics lecture notes")) == []


def test_hidden_notes_are_not_found_and_a_lost_index_is_rebuilt(make_site: Callable[[], Site]) -> None:
    client, factory = make_site()
    services = client.app.state.services  # type: ignore[attr-defined]
    author = factory.user()
    kept = factory.note(author, images=0, title="苏州小笼包攻略", body="汤汁很多，皮很薄。")
    gone = factory.note(author, images=0, title="苏州汤包", body="蟹粉汤包也很好吃。")
    assert client.delete(f"/api/v1/notes/{gone['id']}", headers=author.headers).status_code == 204
    found = ids(search(client, services, "Suzhou soup dumplings"))
    assert found == [kept["id"]]
    vectors = dense(services)
    assert vectors is not None
    # On PostgreSQL the vectors are pgvector's table, one for every process; else this process's file.
    assert isinstance(vectors.index, PgVectorIndex if services.settings.search_backend == "postgres" else VectorIndex)
    assert vectors.index.keys() == {int(kept["id"])}
    # A second app on the same var dir whose vectors are gone (the file: a crash before the first
    # save; the PostgreSQL table: an operator's clean-up) reconciles with the database on first use
    # and finds the note again.
    services.close()
    if isinstance(vectors.index, VectorIndex):
        vectors.index.path.unlink(missing_ok=True)
    else:
        vectors.index.remove(vectors.index.keys())
    client2, _factory2 = make_site()
    services2 = client2.app.state.services  # type: ignore[attr-defined]
    assert ids(search(client2, services2, "Suzhou soup dumplings")) == [kept["id"]]
    again = dense(services2)
    assert again is not None
    assert again.index.keys() == {int(kept["id"])}
