"""Fingerprinted static assets, and error pages: HTML for browsers on pages, the JSON envelope for
the API and for clients that do not ask for HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from redbridge.web.static import IMMUTABLE, StaticAssets
from tests.factories import Factory
from tests.web.helpers import browser, get_ok, html_lang


def asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_pages_use_fingerprinted_assets_served_immutable(app: FastAPI, client: TestClient) -> None:
    html = get_ok(browser(app), "/")
    urls = asset_urls(html)
    assert any(u.endswith("/css/app.css") for u in urls)
    assert any(u.endswith("/js/app.js") for u in urls)
    assert any(u.endswith("/vendor/htmx.min.js") for u in urls)
    types = {"css": "text/css", "js": "text/javascript", "svg": "image/svg+xml"}
    for url in urls:
        assert re.fullmatch(r"/static/[0-9a-f]{12}/[\w./-]+", url), url
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == IMMUTABLE
        assert response.headers["content-type"].startswith(types[url.rsplit(".", 1)[1]]), url
        assert response.headers["x-content-type-options"] == "nosniff"
        # The hash is of what is served: fetching by content gives the same URL.
        etag = response.headers["etag"]
        assert url.split("/")[2] == etag.strip('"')
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_js_modules_import_each_other_by_fingerprinted_url(client: TestClient) -> None:
    assets = StaticAssets.scan()
    app_js = client.get(assets.url("js/app.js")).text
    imported = re.findall(r'from "([^"]+)"', app_js)
    assert imported
    assert all(re.fullmatch(r"/static/[0-9a-f]{12}/js/\w+\.js", u) for u in imported)
    for url in imported:
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["cache-control"] == IMMUTABLE
    assert client.get(assets.url("vendor/htmx.min.js")).text.startswith("/*! htmx 2.")


def test_import_rewrite_changes_the_importers_hash(tmp_path: Path) -> None:
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "a.js").write_text('import { b } from "./b.js";\nb();\n')
    (tmp_path / "js" / "b.js").write_text("export function b() {}\n")
    first = StaticAssets.scan(tmp_path)  # type: ignore[arg-type]
    (tmp_path / "js" / "b.js").write_text("export function b() { return 1; }\n")
    second = StaticAssets.scan(tmp_path)  # type: ignore[arg-type]
    assert first.url("js/b.js") != second.url("js/b.js")
    assert first.url("js/a.js") != second.url("js/a.js")  # a.js did not change, its import did
    asset = second.get("js/a.js")
    assert asset is not None
    assert second.url("js/b.js").encode() in asset.body
    (tmp_path / "js" / "b.js").write_text('import "./a.js";\n')
    with pytest.raises(ValueError, match="cycle"):
        StaticAssets.scan(tmp_path)  # type: ignore[arg-type]
    (tmp_path / "js" / "b.js").write_text('import "./missing.js";\n')
    with pytest.raises(ValueError, match="missing"):
        StaticAssets.scan(tmp_path)  # type: ignore[arg-type]


def test_stale_and_unknown_assets(client: TestClient) -> None:
    stale = client.get("/static/000000000000/css/app.css")
    assert stale.status_code == 200
    assert stale.headers["cache-control"] == "public, max-age=60"
    assert stale.text == client.get(StaticAssets.scan().url("css/app.css")).text
    for url in ("/static/000000000000/css/nope.css", "/static/x/../../settings.py", "/static/abc/%2e%2e/app.py",
                "/static/abc/../web/render.py"):
        assert client.get(url).status_code == 404, url


def test_error_pages_html_for_browsers_json_for_the_api(app: FastAPI, client: TestClient) -> None:
    page = browser(app).get("/no/such/page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text
    api = browser(app).get("/api/v1/notes/123")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "note.not_found"
    plain = client.get("/no/such/page")  # Accept: */*
    assert plain.status_code == 404
    assert plain.json()["error"]["code"] == "not_found"
    zh_api = client.get("/api/v1/notes/123", headers={"Accept": "text/html", "Accept-Language": "zh-CN"})
    assert zh_api.json()["error"]["message"] == "找不到该内容。"
    method = browser(app).put("/")
    assert method.status_code == 405
    assert method.headers["content-type"].startswith("text/html")


def test_500_page(app: FastAPI, factory: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    from redbridge.web.pages import feeds

    def broken(*_args: object, **_kwargs: object) -> bytes:
        raise RuntimeError("boom")

    monkeypatch.setattr(feeds.explore, "render", broken)
    user = factory.user("unlucky", ui_lang="zh-Hans")
    tab = TestClient(app, raise_server_exceptions=False, headers={"Accept": "text/html"})
    tab.cookies.set("rb_session", user.token)
    response = tab.get("/")
    assert response.status_code == 500
    assert html_lang(response.text) == "zh-Hans"
    assert "出错了" in response.text
    assert "boom" not in response.text
    assert "Traceback" not in response.text
    assert 'href="/u/unlucky"' in response.text  # the navigation still knows the reader
