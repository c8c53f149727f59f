"""``dialer sms-sim`` as its own process: it listens, accepts a message, keeps it in its log and stops on Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import httpx

from tests.sms.sms_sim_helpers import bound_socket


def test_dialer_sms_sim_serves_until_interrupted() -> None:
    sock = bound_socket()
    port = sock.getsockname()[1]
    sock.close()
    process = subprocess.Popen(
        [sys.executable, "-m", "dialer.cli", "sms-sim", "--port", str(port), "--dialer-url", "http://127.0.0.1:9"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()            # type: ignore[union-attr]
        assert f"simulated SMS provider at http://127.0.0.1:{port}" in first
        settings_line = process.stdout.readline()    # type: ignore[union-attr]
        providers = json.loads(settings_line.split("=", 1)[1].strip().strip("'"))
        assert [p["name"] for p in providers] == ["sim", "sim-twilio", "sim-esms"]
        response = httpx.post(f"http://127.0.0.1:{port}/v1/messages", json={"to": "+84901234567", "body": "hi",
                              "idempotency_key": "cli-1"}, headers={"Authorization": "Bearer sim-api-token"})
        assert response.status_code == 201
        log = httpx.get(f"http://127.0.0.1:{port}/_sim/log").json()
        assert [m["key"] for m in log["messages"]] == ["cli-1"]
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "1 accepted" in err


def test_a_share_out_of_range_is_refused_in_one_line() -> None:
    result = subprocess.run([sys.executable, "-m", "dialer.cli", "sms-sim", "--stop-share", "2"],
                            check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "stop_share must be between 0 and 1" in result.stderr
