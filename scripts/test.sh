#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: every application test on SQLite and
# on PostgreSQL (a fresh database per run), and the browser tests in Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
NEEDSLEDGER_WITH_BROWSER=1 NEEDSLEDGER_WITH_POSTGRES=1 ./scripts/setup.sh

# PostgreSQL: start the local cluster if it is not answering.
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  version=$(ls /etc/postgresql | sort -n | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

exec .venv/bin/python -m pytest -q -p no:cacheprovider -n 2 "$@"
