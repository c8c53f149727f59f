"""The code itself: no unused imports or undefined names (pyflakes rules) and sorted imports, by ruff."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dialer", "pacing", "campaigns", "dnc", "sms", "surveys", "agents_ws", "admin_ui", "simulations", "tests",
            "benchmarks")


def test_ruff_finds_no_unused_import_undefined_name_or_unsorted_import() -> None:
    found = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "F,I,TID251", "--output-format", "concise", "--no-cache",
         *PACKAGES], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stdout + found.stderr
