"""Text contrast, measured in the browser: every visible piece of text on the main pages meets
WCAG 2 AA against the background it is actually drawn on (computed colours, backgrounds found by
walking up the tree), in the light theme the app ships."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.e2e.browser import DESKTOP, PHONE
from tests.e2e.conftest import LiveServer, open_tab

pytestmark = pytest.mark.e2e

RED, TEAL = (214, 60, 60), (40, 150, 140)

# For each element that directly holds visible text: its colour, font size and weight, and what
# it is drawn on: the translucent background layers up the tree (innermost first) down to the
# first opaque background colour, or to a picture under its middle (``base`` null: then the worst
# of black and white underneath is measured). Disabled controls are exempt (WCAG 1.4.3: inactive components).
_SAMPLE = """() => {
  const parse = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest('[disabled], [aria-disabled="true"], script, style, noscript')) continue;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    // Not drawn, or drawn for screen readers only (.visually-hidden is a 1 px clip).
    // checkVisibility: also false inside a closed <details> (laid out, never painted).
    if (box.width <= 1 || box.height <= 1 || !el.checkVisibility({opacityProperty: true, visibilityProperty: true,
                                                                    contentVisibilityAuto: true})) continue;
    const layers = [];
    let base = [255, 255, 255];
    for (let node = el; node; node = node.parentElement) {
      const s = getComputedStyle(node);
      const c = parse(s.backgroundColor);
      const alpha = c.length > 3 ? c[3] : 1;
      if (alpha >= 1) { base = c.slice(0, 3); break; }
      if (alpha > 0) layers.push(c);
      if (s.backgroundImage !== 'none') { base = null; break; }
    }
    // Positioned over a photo (the carousel's counter): what is under it is the picture, unless
    // something opaque (a menu's panel) comes first, top down.
    const under = document.elementsFromPoint(box.x + box.width / 2, box.y + box.height / 2);
    for (const n of under.slice(under.indexOf(el) + 1)) {
      if (['IMG', 'VIDEO'].includes(n.tagName)) { base = null; break; }
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c.length === 3 || c[3] >= 1) break;
    }
    out.push({text: el.textContent.trim().slice(0, 40), tag: el.tagName, cls: String(el.className),
              fg: parse(style.color), layers, base,
              size: parseFloat(style.fontSize), weight: parseInt(style.fontWeight, 10)});
  }
  return out;
}"""


def over(top: list[float], below: list[float]) -> list[float]:
    """``top`` (r, g, b[, a]) painted over the opaque colour ``below``."""
    alpha = top[3] if len(top) > 3 else 1.0
    return [alpha * t + (1 - alpha) * b for t, b in zip(top[:3], below, strict=True)]


def luminance(rgb: list[float]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: list[float], bg: list[float]) -> float:
    drawn = over(fg, bg)  # a translucent text colour is blended with what is under it
    light, dark = sorted((luminance(drawn), luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def worst_contrast(sample: dict[str, Any]) -> float:
    bases = [sample["base"]] if sample["base"] is not None else [[0, 0, 0], [255, 255, 255]]
    ratios = []
    for base in bases:
        bg = base
        for layer in reversed(sample["layers"]):  # outermost first
            bg = over(layer, bg)
        ratios.append(contrast(sample["fg"], bg))
    return min(ratios)


def failures(samples: list[dict[str, Any]]) -> list[str]:
    out = []
    for s in samples:
        large = s["size"] >= 24 or (s["size"] >= 18.66 and s["weight"] >= 700)
        ratio = worst_contrast(s)
        if ratio < (3.0 if large else 4.5):
            out.append(f"{ratio:.2f}:1 {s['tag']}.{s['cls']} {s['text']!r} fg={s['fg']} on {s['layers']} {s['base']}")
    return out


def test_contrast_formula_matches_wcag() -> None:
    assert round(contrast([0, 0, 0], [255, 255, 255]), 1) == 21.0
    assert round(contrast([255, 255, 255], [255, 255, 255]), 1) == 1.0
    assert round(contrast([0x59, 0x59, 0x59], [255, 255, 255]), 1) == 7.0  # the app's muted grey
    grey = {"fg": [170, 170, 170], "layers": [], "base": [255, 255, 255], "size": 16, "weight": 400,
            "tag": "P", "cls": "", "text": "light grey"}
    assert failures([grey])
    assert not failures([{**grey, "size": 30, "fg": [118, 118, 118]}])  # 4.5:1 is enough for large text
    # White on a 60 % black pill over a photo: measured against a white photo, the worst case.
    pill = {**grey, "fg": [255, 255, 255], "layers": [[0, 0, 0, 0.6]], "base": None}
    assert not failures([pill])
    assert failures([{**pill, "layers": [[0, 0, 0, 0.2]]}])


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_text_on_the_main_pages_meets_wcag_aa(browser: Browser, live_server: LiveServer,
                                               viewport: dict[str, int]) -> None:
    author = live_server.user("contrast", display_name="Contrast")
    note = live_server.photo_note(author, [RED, TEAL], title="Colours and contrast", body="Readable #text")
    reader = live_server.user("reader")
    live_server.http.post(f"/api/v1/notes/{note['id']}/comments", headers=reader.headers,
                          json={"body": "Nice @contrast"})  # an unread notification: the badge shows
    live_server.fresh_explore()
    tab = open_tab(browser, live_server, viewport=viewport)
    try:
        tab.login(author)
        problems: dict[str, list[str]] = {}
        for path in ("/", f"/n/{note['id']}", f"/u/{author.username}", "/compose", "/settings/profile",
                     "/notifications", "/login?lang=zh-Hans"):
            page = tab.goto(path)
            samples = page.evaluate(_SAMPLE)
            assert samples, path  # the probe saw text: it cannot pass by seeing nothing
            if found := failures(samples):
                problems[path] = found
        assert not problems, problems
        tab.problems.assert_none()
    finally:
        tab.context.close()
