#!/usr/bin/env bash
# make check: the system tests the change touches: tests/system/test_*.py files changed in the work tree
# or in commits not yet on the upstream branch (main's when there is none), or SYSTEM_TESTS="file ...".
# make test runs them all.
source "$(dirname "$0")/env.sh"
cd "$ROOT" || exit 1
if [ -z "${SYSTEM_TESTS:-}" ]; then
  base="$(git rev-parse -q --verify '@{upstream}' 2>/dev/null || git rev-parse -q --verify origin/main 2>/dev/null || true)"
  SYSTEM_TESTS="$( { git diff --name-only HEAD; git ls-files --others --exclude-standard;
                     if [ -n "$base" ]; then git diff --name-only "$base"...HEAD; fi; } |
                   grep -E '^tests/system/test_[^/]*\.py$' | sort -u | while read -r f; do [ -f "$f" ] && echo "$f"; done || true)"
fi
if [ -z "$SYSTEM_TESTS" ]; then
  echo "no system test touched by the change (SYSTEM_TESTS=\"tests/system/test_x.py\" picks some; make test runs all)"
  exit 0
fi
echo "system tests touched: ${SYSTEM_TESTS//$'\n'/ }"
ensure_venv
sync_copy
cd "$COLLECTION_COPY" || exit 1
# shellcheck disable=SC2086 # one argument per file
PYTHONPATH="$COPY_ROOT" python -m pytest -p no:cacheprovider -q -rs -n 4 $SYSTEM_TESTS
