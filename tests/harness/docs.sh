#!/usr/bin/env bash
# make docs: build the collection's HTML docsite (module pages and the guides in docs/docsite/) with
# antsibull-docs and Sphinx, offline, into build/docs/build/html.
source "$(dirname "$0")/env.sh"
source "$ROOT/tests/ecosystem/lib.sh"
ensure_eco_venv
build_collection
build_docsite "$BUILD/docs"
echo "docsite: $BUILD/docs/build/html/index.html"
changelog_preview "$ROOT/CHANGELOG.rst"
echo "CHANGELOG.rst regenerated from changelogs/ (fragments kept for the release)"
