#!/usr/bin/env bash
# Build a virtualenv once, before the steps that share it start side by side (run_steps.py):
# tools = the harness's (ansible-test, pytest), eco = the ecosystem tools' (tests/ecosystem/lib.sh).
source "$(dirname "$0")/env.sh"
case "${1:-}" in
  tools) ensure_venv; echo "tools virtualenv: $VENV" ;;
  eco) source "$ROOT/tests/ecosystem/lib.sh"; ensure_eco_venv; echo "ecosystem virtualenv: $ECO_VENV" ;;
  *) echo "usage: $0 tools|eco" >&2; exit 2 ;;
esac
