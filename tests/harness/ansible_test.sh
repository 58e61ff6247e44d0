#!/usr/bin/env bash
# ansible-test sanity|units: run in the copied tree with the chosen Python, in --venv mode.
source "$(dirname "$0")/env.sh"
ensure_venv
install_get_pip_standin
sync_copy
cd "$COLLECTION_COPY" || exit 1
case "$1" in
  sanity) ansible-test sanity --venv --python "$PYTHON" --color no ;;
  units) ansible-test units --venv --python "$PYTHON" --color no ;;
  *) echo "usage: $0 sanity|units" >&2; exit 2 ;;
esac
