#!/usr/bin/env bash
# Builds the portal's GOV.UK Frontend assets into portal/static/govuk/ (served at /assets,
# never from a CDN): installs the npm packages package-lock.json pins (govuk-frontend and
# sass), compiles portal/static/application.scss with Arial (no GDS Transport: a council is
# not GOV.UK, so no fonts are copied) and /assets/ paths, and copies GOV.UK Frontend's ES
# module, images and manifest. Run again whenever package-lock.json or the Sass changes
# (scripts/setup.sh does, by the stamp it leaves).
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci --no-audit --no-fund --ignore-scripts --loglevel=error

out=portal/static/govuk
tmp="$out.tmp"
src=node_modules/govuk-frontend/dist/govuk
rm -rf "$tmp"
mkdir -p "$tmp"
node_modules/.bin/sass --pkg-importer=node --style=compressed --no-source-map --quiet-deps \
  portal/static/application.scss "$tmp/application.css"
cp "$src/govuk-frontend.min.js" "$src/govuk-frontend.min.js.map" "$tmp/"
cp -r "$src/assets/images" "$tmp/images"
cp "$src/assets/manifest.json" "$tmp/manifest.json"
sha256sum package-lock.json portal/static/application.scss > "$tmp/.built-from"
rm -rf "$out"
mv "$tmp" "$out"
echo "assets built in $out"
