#!/usr/bin/env bash
# ansible-test sanity|sanity-fast|units: run in the copied tree with the chosen Python, in --venv mode.
# sanity-fast (make check) leaves out the slowest tests, pylint and validate-modules; make test runs all.
source "$(dirname "$0")/env.sh"
ensure_venv
install_get_pip_standin
sync_copy
cd "$COLLECTION_COPY" || exit 1
case "$1" in
  sanity) ansible-test sanity --venv --python "$PYTHON" --color no ;;
  sanity-fast) ansible-test sanity --venv --python "$PYTHON" --color no --skip-test pylint --skip-test validate-modules ;;
  units) ansible-test units --venv --python "$PYTHON" --color no ;;
  *) echo "usage: $0 sanity|sanity-fast|units" >&2; exit 2 ;;
esac
