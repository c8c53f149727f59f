"""The live suite runs against a real Asterisk 22 when ``DIALER_TEST_AMI`` is set, and is skipped otherwise.

``DIALER_TEST_AMI=host:port:user:secret`` names an AMI user of an Asterisk that has loaded the shipped
configuration and the test network (``asterisk/README.md``, "A test Asterisk"). The fault tests also
need ``DIALER_TEST_ASTERISK_START``: the shell command that starts that Asterisk again after the test
stopped it (for example ``asterisk -C /etc/asterisk/asterisk.conf``); without it they are skipped.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch

LIVE_AMI = os.environ.get("DIALER_TEST_AMI", "")
ASTERISK_START = os.environ.get("DIALER_TEST_ASTERISK_START", "")
TEST_NETWORK = "dialer-test-network"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if LIVE_AMI:
        return
    skip = pytest.mark.skip(reason="no real Asterisk: set DIALER_TEST_AMI=host:port:user:secret")
    for item in items:
        if "live_asterisk" in item.nodeid:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def ami_target() -> AmiTarget:
    return AmiTarget.parse(LIVE_AMI)


@pytest.fixture
async def watch(ami_target: AmiTarget) -> AsyncIterator[AmiWatch]:
    """A witness connected to the real Asterisk, seeing every event the shipped AMI user may read."""
    w = AmiWatch(ami_target)
    await w.connect()
    loaded, output = await w.command(f"dialplan show {TEST_NETWORK}")
    if loaded != "Success" or TEST_NETWORK not in output:
        pytest.fail(f"the test Asterisk has not loaded asterisk/extensions_test_network.conf: {output[:200]}")
    yield w
    await w.close()


def customer_number(kind: int, *, ring_s: int = 1, stay_s: int = 30, serial: int = 0) -> str:
    """An E.164 number the test network answers as ``kind`` (see extensions_test_network.conf)."""
    assert 0 <= kind <= 9 and 0 <= ring_s <= 9 and 0 <= stay_s <= 99 and 0 <= serial <= 99
    return f"+1212{200 + serial}{kind}{ring_s}{stay_s:02d}"
