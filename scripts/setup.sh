#!/usr/bin/env bash
# Sets up everything Needs Ledger needs on a Debian 12 machine with Python 3.11: system
# packages (when run as root), a virtual environment with the pinned Python packages,
# and the project itself. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
want=(python3-venv python3-dev libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation poppler-utils)
# Node.js and npm build the portal's GOV.UK Frontend assets (an installed Node is kept).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then want+=(nodejs npm); fi
if [ "${NEEDSLEDGER_WITH_BROWSER:-0}" = "1" ]; then want+=(chromium); fi
if [ "${NEEDSLEDGER_WITH_POSTGRES:-0}" = "1" ]; then want+=(postgresql); fi
for pkg in "${want[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "installing system packages: ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "please install: sudo apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
  touch "$stamp"
fi

# The portal's GOV.UK Frontend assets: built when missing, or when package-lock.json or the
# Sass changed since they were built.
if [ ! -f portal/static/govuk/.built-from ] || ! sha256sum --check --status portal/static/govuk/.built-from; then
  ./scripts/build-assets.sh
fi
