#!/usr/bin/env bash
# Install everything the tests need (a virtual environment with the project and its test extras,
# and Debian's chromium for the browser tests) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi
# the processes the tests start (dialer serve, engines, workers, the command line) each compiled the project's
# 250 modules from source where the environment sets PYTHONDONTWRITEBYTECODE: 2.3 s of every server's 5.2 s start
unset PYTHONDONTWRITEBYTECODE
.venv/bin/python -m compileall -q -j 0 dialer admin_ui agents_ws campaigns dnc pacing simulations sms surveys >/dev/null
set +e
# both cores: most tests wait on accelerated clocks, servers and a browser, so two workers nearly halve the
# run (each worker has its own embedded PostgreSQL and Valkey); DIALER_TEST_WORKERS=0 runs in one process
.venv/bin/pytest -n "${DIALER_TEST_WORKERS:-2}" "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "no tests were collected: that is a failure" >&2
  exit 1
fi
exit "$status"
