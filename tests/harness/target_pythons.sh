#!/usr/bin/env bash
# The modules run on the managed host's Python, 3.9 or newer: compile and import them on each.
source "$(dirname "$0")/env.sh"
ensure_venv
install_get_pip_standin
sync_copy
TARGET_PYTHONS="${TARGET_PYTHONS:-3.9 3.10 3.11 3.12 3.13}"
for version in $TARGET_PYTHONS; do
  link_python "$version" "$(python_binary "$version")"
done
cd "$COLLECTION_COPY" || exit 1
for version in $TARGET_PYTHONS; do
  echo "== modules on Python $version"
  ansible-test sanity --venv --python "$version" --test compile --test import --color no
done
