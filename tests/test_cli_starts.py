"""The command line starts in a fresh interpreter: every command's module imports on its own,
in the order ``redbridge.cli`` loads them (an import cycle that the test process hides, because
the app imported the modules in another order first, stops ``redbridge`` itself)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"


@pytest.mark.parametrize("args", [["--help"], ["search", "--help"], ["translate", "--help"], ["demo", "--help"]])
def test_the_command_line_starts(args: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC), "REDBRIDGE_VAR_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "redbridge", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout
