"""Starting a process is cheap: every ``dialer`` command, each worker and the web server import the user
module, and a password hash made at import cost each of them up to a second (a browser test's server start,
a worker's start in a test, a command line typed by hand)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_web_app_hashes_no_password() -> None:
    probe = ("import argon2, sys\n"
             "def refuse(*a, **k):\n"
             "    sys.exit(3)\n"
             "argon2.PasswordHasher.hash = refuse\n"
             "import dialer.users, admin_ui.app\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr or "a password was hashed at import"
