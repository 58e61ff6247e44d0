#!/usr/bin/env bash
# make conformance RECORD=file.jsonl: replay a recorded API session (make test-live writes
# build/live/<tag>.jsonl; a simulator --record file works too) against a simulator started on a free
# loopback port, and write a markdown report to build/conformance/<record name>.md. Exit 1 when the
# simulator differs beyond the tolerances in docs/live.md.
source "$(dirname "$0")/env.sh"
if [ -z "${1:-}" ] || [ ! -s "$1" ]; then
  echo "usage: make conformance RECORD=path/to/recording.jsonl (got '${1:-}': not a non-empty file)" >&2
  exit 2
fi
ensure_venv
OUT="$BUILD/conformance"
mkdir -p "$OUT"
REPORT="$OUT/$(basename "$1" .jsonl).md"
status=0
python3 "$ROOT/tests/conformance/replay.py" "$1" --root "$ROOT" --report "$REPORT" || status=$?
echo "== conformance report: $REPORT"
exit "$status"
