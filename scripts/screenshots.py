#!/usr/bin/env python3
"""Screenshots of the web app for the docs (README "Screenshots", docs/screenshots/).

    python scripts/screenshots.py                  # writes docs/screenshots/*.png
    python scripts/screenshots.py --out /tmp/shots --users 8 --notes 30 --pool 8

Builds a throw-away demo community (``redbridge.demo.seed``: bilingual users, notes, comments and
generated pictures) in a temporary SQLite instance, serves it on a free loopback port, and has
Debian's headless Chromium (through Playwright; nothing is downloaded) take explore, a note page,
the composer (two photos uploaded, text typed) and a profile, at phone (390×844) and desktop
(1280×900) widths. Only the viewport is captured, so each file stays small.

Exits non-zero if a page opened a dialog, logged a CSP violation or a JavaScript error, or an
image on screen did not load: a screenshot of a broken page is not documentation.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the shared browser helpers live in tests/e2e/browser.py

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402
from sqlalchemy import case, func, select  # noqa: E402

from redbridge.accounts.models import User  # noqa: E402
from redbridge.app import create_app  # noqa: E402
from redbridge.core.services import Services  # noqa: E402
from redbridge.demo.content import demo_image  # noqa: E402
from redbridge.demo.seed import DEMO_PASSWORD, seed  # noqa: E402
from redbridge.media.models import Media  # noqa: E402
from redbridge.notes.models import Note  # noqa: E402
from redbridge.settings import Settings  # noqa: E402
from tests.e2e.browser import DESKTOP, PHONE, Problems, free_socket, launch_chromium, serve, url_of  # noqa: E402

SIZES = {"phone": PHONE, "desktop": DESKTOP}
PAGES = ("explore", "note", "composer", "profile")


@dataclass(frozen=True)
class Showcase:
    note_id: int  # a photo note with several pictures and comments
    profile: str  # an author with photo notes and a bio
    viewer: str  # who is logged in


def pick_showcase(services: Services) -> Showcase:
    """The note page shows the best-looking note: English (the screenshots' UI language), the most
    pictures (up to three matter), then comments, then likes."""
    with services.sessions() as session:
        pictures = (select(Media.note_id, func.count().label("n")).where(Media.note_id.is_not(None))
                    .group_by(Media.note_id).subquery())
        note = session.execute(
            select(Note.id, Note.author_id).join(pictures, pictures.c.note_id == Note.id)
            .order_by((Note.lang == "en").desc(), case((pictures.c.n > 3, 3), else_=pictures.c.n).desc(), Note.comment_count.desc(),
                      Note.like_count.desc())
            .limit(1)
        ).one()
        author = session.execute(select(User.username).where(User.id == note.author_id)).scalar_one()
        viewer = session.execute(
            select(User.username).where(User.id != note.author_id)
            .order_by((User.ui_lang == "en").desc(), User.id).limit(1)
        ).scalar_one()
    return Showcase(note.id, author, viewer)


@contextmanager
def demo_site(var_dir: Path, users: int, notes: int, pool: int) -> Iterator[tuple[str, Services]]:
    sock = free_socket()
    # A throw-away instance: its secret only has to differ from nothing; share links point here.
    settings = Settings(env="dev", var_dir=var_dir, secret_key="screenshots", jobs_mode="immediate",  # noqa: S106
                        base_url=url_of(sock))
    seed(settings, users=users, notes=notes, image_pool=pool)
    app = create_app(settings)
    with serve(app, sock) as url:
        yield url, app.state.services


_ON_SCREEN_IMAGES = """() => Array.from(document.images).filter(img => {
    const r = img.getBoundingClientRect();
    return r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth && r.width > 0;
})"""


def settle(page: Page) -> None:
    """Wait until every image in the viewport has loaded (lazy ones included); fail on a broken one."""
    page.wait_for_load_state("load")
    page.wait_for_function(f"() => ({_ON_SCREEN_IMAGES})().every(img => img.complete)")
    # complete is not painted: decoding="async" images may still be decoding when the shot is taken.
    page.evaluate(f"() => Promise.all(({_ON_SCREEN_IMAGES})().map(img => img.decode().catch(() => null)))")
    page.wait_for_timeout(100)  # one more frame for the decoded pictures to be painted
    broken = page.evaluate(
        f"() => ({_ON_SCREEN_IMAGES})().filter(img => img.naturalWidth === 0).map(img => img.currentSrc || img.src)"
    )
    if broken:
        raise SystemExit(f"{page.url}: images failed to load: {broken}")


def login(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    form = page.locator("main form[action='/login']")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def fill_composer(page: Page) -> None:
    rng = random.Random(1)  # noqa: S311 (demo_image ignores it: pictures depend on their seed only)
    files: list[Any] = [
        {"name": f"chengdu-{n}.jpg", "mimeType": "image/jpeg", "buffer": demo_image(rng, "food", n, 900, 1200)}
        for n in (11, 12)
    ]
    form = page.locator("form#composer")
    form.locator("input[name=files]").set_input_files(files)
    form.locator('.upload-tile[data-state="done"]').nth(1).wait_for()
    form.locator("input[name=title]").fill("Rainy day in Chengdu: hotpot + tea")
    form.locator("textarea[name=body]").fill(
        "Started with a bubbling pot in a Kuanzhai Alley side street, ended at a teahouse in People's Park.\n"
        "雨天的成都也很好吃 #hotpot #chengdu"
    )
    form.locator("input[name=tags]").fill("food, travel")
    form.locator("input[name=place]").fill("Chengdu")
    page.evaluate("window.scrollTo(0, 0)")


def capture(browser: Browser, url: str, show: Showcase, out: Path) -> list[str]:
    """Take every page at every width; returns what went wrong on the pages (empty: nothing)."""
    out.mkdir(parents=True, exist_ok=True)
    problems = Problems()
    for size_name, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, device_scale_factor=1, locale="en-US",
                                      reduced_motion="reduce")
        page = problems.watch(context.new_page())
        login(page, url, show.viewer)
        paths = {"explore": "/", "note": f"/n/{show.note_id}", "composer": "/compose", "profile": f"/u/{show.profile}"}
        for name in PAGES:
            response = page.goto(url + paths[name])
            if response is None or not response.ok:
                raise SystemExit(f"GET {paths[name]}: {response and response.status}")
            if name == "composer":
                fill_composer(page)
            settle(page)
            target = out / f"{name}-{size_name}.png"
            page.screenshot(path=str(target), full_page=False)
            print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
        context.close()
    return [*problems.dialogs, *problems.csp, *problems.errors]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--notes", type=int, default=120)
    parser.add_argument("--pool", type=int, default=40, help="distinct generated pictures")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rb-shots-") as tmp, \
            demo_site(Path(tmp), args.users, args.notes, args.pool) as (url, services):
        show = pick_showcase(services)
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                problems = capture(browser, url, show, args.out)
            finally:
                browser.close()
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
