"""Which argon2 cost new password hashes get, named in ``DIALER_PASSWORD_COST``.

``recommended`` (the default: RFC 9106's low-memory parameters, 0.1-0.3 s of CPU a hash) or
``cheapest-for-tests`` (a test suite that creates and signs in users by the thousand). ``dialer.users`` maps the
name to argon2's parameters; ``dialer.settings`` refuses an unknown name, and the cheapest in production mode,
without importing argon2 for it. Hashes name their parameters, so a hash made under either verifies under the
other.
"""

from __future__ import annotations

import os

ENV = "DIALER_PASSWORD_COST"
RECOMMENDED = "recommended"
CHEAPEST_FOR_TESTS = "cheapest-for-tests"
NAMES = (RECOMMENDED, CHEAPEST_FOR_TESTS)


def chosen() -> str:
    """The cost the environment names (not checked: ``load_settings`` does)."""
    return os.environ.get(ENV, RECOMMENDED)
