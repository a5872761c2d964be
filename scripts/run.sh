#!/usr/bin/env bash
# Sets everything up, seeds the demo cohort into an embedded SQLite store (once), and runs
# the platform. NEEDSLEDGER_DATABASE_URL chooses another store.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export NEEDSLEDGER_DATABASE_URL="${NEEDSLEDGER_DATABASE_URL:-sqlite:///$PWD/var/needsledger.sqlite}"
.venv/bin/needsledger init
# Seed once per store: the marker names the store it was made for.
mkdir -p var
marker="var/.demo-seeded-$(printf '%s' "$NEEDSLEDGER_DATABASE_URL" | sha256sum | cut -c1-12)"
if [ ! -f "$marker" ]; then
  .venv/bin/needsledger seed --children 3528 --councils 5 --seed 1
  touch "$marker"
fi
# A demo sign-in for each role (only the missing ones are added); serve prints them.
.venv/bin/needsledger users demo >/dev/null
exec .venv/bin/needsledger serve "$@"
