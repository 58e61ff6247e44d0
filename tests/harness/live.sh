#!/usr/bin/env bash
# make test-live (opt-in, real API): build and install the collection, then run tests/live/run.py, which
# creates at most three of the cheapest Droplets with a unique run tag, runs the cycles through a
# recording proxy and deletes everything with that tag at the end. Needs DIGITALOCEAN_TOKEN and
# OCEANOPS_LIVE=yes; without them it says so and stops before any network access.
# make live-cleanup TAG=oceanops-live-XXXXXXXX: "live.sh cleanup TAG" deletes what a crashed run left.
# Records go to build/live/<tag>.jsonl. See docs/live.md.
if [ -z "${DIGITALOCEAN_TOKEN:-}" ] || [ "${OCEANOPS_LIVE:-}" != "yes" ]; then
  echo "live suite not run: it creates real, billed Droplets and runs only with DIGITALOCEAN_TOKEN set and" \
    "OCEANOPS_LIVE=yes (see docs/live.md). Nothing was sent." >&2
  exit 2
fi
source "$(dirname "$0")/env.sh"
ensure_venv
LIVE="$BUILD/live"
mkdir -p "$LIVE"
if [ "${1:-run}" = cleanup ]; then
  if [ -z "${2:-}" ]; then
    echo "usage: make live-cleanup TAG=oceanops-live-XXXXXXXX (the tag the run printed)" >&2
    exit 2
  fi
  exec python3 "$ROOT/tests/live/run.py" cleanup --tag "$2" --record-dir "$LIVE"
fi
install_built_collection "$LIVE/install"
echo "== live: built and installed $(basename "$COLLECTION_TARBALL") into $LIVE/install/collections"
exec python3 "$ROOT/tests/live/run.py" run --collections "$LIVE/install/collections" --record-dir "$LIVE"
