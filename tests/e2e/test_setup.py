"""The browser set-up itself: a machine without Debian's Chromium gets a failure that says what
to install (never a download, never a silent skip)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Playwright

from tests.e2e import browser

pytestmark = pytest.mark.e2e


def test_missing_chromium_is_an_error_naming_the_package(playwright: Playwright, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "chromium")
    with pytest.raises(browser.ChromiumMissingError, match=r"install Debian's chromium"):
        browser.launch_chromium(playwright)
