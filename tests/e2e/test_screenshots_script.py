"""scripts/screenshots.py (the README's screenshots) still runs: a tiny demo community, every
page at both widths, no dialog / CSP violation / JS error / broken image on any of them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.browser import DESKTOP, PHONE

pytestmark = [
    pytest.mark.e2e,
    # The script always builds its own SQLite demo instance, whatever the test backend: running
    # it again in the PostgreSQL pass would repeat the same thing.
    pytest.mark.sqlite_only,
]

ROOT = Path(__file__).resolve().parents[2]


def test_screenshot_script_writes_every_page_at_both_widths(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "screenshots.py"), "--out", str(tmp_path),
         "--users", "6", "--notes", "24", "--pool", "6"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    expected = {f"{page}-{size}.png" for page in ("explore", "note", "composer", "profile")
                for size in ("phone", "desktop")}
    assert {p.name for p in tmp_path.iterdir()} == expected
    for name in expected:
        with Image.open(tmp_path / name) as shot:
            viewport = PHONE if name.endswith("-phone.png") else DESKTOP
            assert shot.format == "PNG"
            assert shot.size == (viewport["width"], viewport["height"]), name
            # Not a blank page: a real screenshot has many colours.
            assert len(shot.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 50, name
