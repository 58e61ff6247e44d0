#!/usr/bin/env bash
# make ecosystem (part of make test): what Galaxy, the docsite, ansible-lint, AWX and ansible-builder see.
# Builds the collection once, then runs each check in its own subshell, reports its time, and ends with
# "ecosystem: N passed, N failed". Logs and outputs are under build/ecosystem/.
source "$(dirname "$0")/env.sh"
source "$ROOT/tests/ecosystem/lib.sh"
MODULES=(droplet_action droplet_action_info)
PASSED=0
FAILED=0
FAILED_NAMES=()

# run_check NAME FUNCTION: run it with errexit in a subshell, count it, time it.
run_check() {
  local name="$1" started=$SECONDS status
  shift
  echo "== $name"
  set +e
  (set -e; "$@")
  status=$?
  set -e
  if [ "$status" -eq 0 ]; then
    PASSED=$((PASSED + 1))
    echo "-- ok: $name ($((SECONDS - started)) s)"
  else
    FAILED=$((FAILED + 1))
    FAILED_NAMES+=("$name")
    echo "-- FAILED: $name ($((SECONDS - started)) s)"
  fi
}

ensure_chromium() {
  if command -v chromium >/dev/null 2>&1; then return; fi
  if [ "$(id -u)" != 0 ]; then
    echo "chromium is missing; install the Debian package chromium (apt-get install -y chromium)" >&2
    return 1
  fi
  echo "installing chromium (log: $BUILD/chromium-install.log)"
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } >"$BUILD/chromium-install.log" 2>&1 || {
    tail -n 20 "$BUILD/chromium-install.log" >&2
    return 1
  }
}

check_tarball() {
  python "$ECO_DIR/check_tarball.py" "$COLLECTION_TARBALL"
}

# galaxy-importer exits 0 even when it warns, so its log is read: any ERROR or WARNING line fails, and
# the lines that prove ansible-doc and ansible-lint ran must be there.
check_galaxy_import() {
  local work="$ECO_BUILD/galaxy" log="$ECO_BUILD/galaxy/importer.log" line
  rm -rf "$work" && mkdir -p "$work"
  (cd "$work" && GALAXY_IMPORTER_CONFIG="$ECO_DIR/galaxy-importer.cfg" python -m galaxy_importer.main "$COLLECTION_TARBALL") >"$log" 2>&1
  if grep -E '(^|[^A-Za-z])(ERROR|WARNING):' "$log"; then
    echo "galaxy-importer reported the lines above (full log: $log)" >&2
    return 1
  fi
  for line in 'Getting doc strings via ansible-doc' 'Loading module droplet_action$' 'Loading module droplet_action_info$' \
              'Linting collection via ansible-lint' 'Importer processing completed successfully'; do
    grep -q "$line" "$log" || { echo "galaxy-importer log lacks '$line' (full log: $log)" >&2; return 1; }
  done
  echo "galaxy-importer: $(grep -c '^Loading ' "$log") plugins loaded, ansible-lint run, no error or warning"
}

# From the checkout: antsibull-docs copies what git does not ignore (so not build/) into a temporary folder.
# The guides' references to the modules and their options are validated, which also proves the plugins
# were found. Without ANSIBLE_COLLECTIONS_PATH: with the built copy installed there, the lint's pages
# linked to the plugins through the temporary folder, and failed when its random name ended in "_". It
# runs with names that all end so (tests/ecosystem/underscore_tempnames), to prove that is gone.
lint_collection_docs() {
  (cd "$ROOT" && env -u ANSIBLE_COLLECTIONS_PATH PYTHONPATH="$ECO_DIR/underscore_tempnames" \
     antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs \
     --validate-collection-refs all --disallow-unknown-collection-refs .)
  echo "antsibull-docs: plugin docs and docs/docsite lint clean"
  python "$ECO_DIR/check_guides.py" "$ROOT/docs/docsite"
}

docsite_renders() {
  build_docsite "$ECO_BUILD/docs"
  python "$ECO_DIR/check_rendered_docs.py" "$ECO_BUILD/docs/build/html" "${MODULES[@]}"
}

# ansible-lint's production profile over the demo and the guides' playbooks. A known-bad playbook first
# proves the linter and the profile are in force.
ansible_lint() {
  local control="$ECO_BUILD/lint-control"
  rm -rf "$control" && mkdir -p "$control"
  printf -- '---\n- hosts: localhost\n  tasks:\n    - oceanops.droplets.droplet_action:\n        droplet_id: 1\n        type: reboot\n' >"$control/bad.yml"
  if (cd "$control" && ansible-lint --offline --profile production --nocolor bad.yml) >"$control/lint.log" 2>&1; then
    echo "ansible-lint passed a playbook with unnamed plays and tasks: the check itself is broken" >&2
    return 1
  fi
  (cd "$ROOT" && ansible-lint --offline --profile production --nocolor demo/ docs/docsite/examples/)
}

run_examples() {
  python "$ECO_DIR/run_examples.py" "$ROOT" "$ECO_BUILD/examples"
}

runner_job() {
  python "$ECO_DIR/runner_check.py" "$ROOT" "$ECO_BUILD/runner"
}

# ansible-builder, without a container engine: introspection must find the collection's requirements,
# and the guide's execution environment definition must produce a build context.
execution_environment() {
  local introspect="$ECO_BUILD/ee-introspect.yml" context="$ECO_BUILD/ee"
  ansible-builder introspect "$ANSIBLE_COLLECTIONS_PATH" >"$introspect"
  grep -q 'requests.*oceanops.droplets' "$introspect" || { cat "$introspect"; echo "requests not introspected" >&2; return 1; }
  grep -q 'ca-certificates.*oceanops.droplets' "$introspect" || { cat "$introspect"; echo "bindep not introspected" >&2; return 1; }
  rm -rf "$context" && mkdir -p "$context"
  cp "$ROOT/docs/docsite/examples/execution-environment.yml" "$context/"
  cp "$COLLECTION_TARBALL" "$context/oceanops-droplets.tar.gz"
  (cd "$context" && ansible-builder create -f execution-environment.yml --context build >/dev/null)
  grep -q 'ansible-galaxy collection install' "$context"/build/*file
  cmp -s "$COLLECTION_TARBALL" "$context/build/_build/oceanops-droplets.tar.gz"
  echo "ansible-builder: requests and ca-certificates introspected; EE build context in $context/build"
}

changelog() {
  (cd "$ROOT" && antsibull-changelog lint)
  changelog_preview "$ECO_BUILD/CHANGELOG.preview.rst"
  if ! diff -u "$ROOT/CHANGELOG.rst" "$ECO_BUILD/CHANGELOG.preview.rst"; then
    echo "CHANGELOG.rst is stale: run make docs to regenerate it from changelogs/" >&2
    return 1
  fi
  echo "changelog: fragments lint clean, CHANGELOG.rst up to date"
}

STARTED=$SECONDS
mkdir -p "$ECO_BUILD"
ensure_eco_venv
ensure_chromium
build_collection
echo "== built $(basename "$COLLECTION_TARBALL") and installed it into $ANSIBLE_COLLECTIONS_PATH ($((SECONDS - STARTED)) s)"

run_check "tarball contents" check_tarball
run_check "galaxy-importer" check_galaxy_import
run_check "antsibull-docs lint and guides" lint_collection_docs
run_check "docsite build and Chromium rendering" docsite_renders
run_check "ansible-lint production profile" ansible_lint
run_check "guide examples on the simulator" run_examples
run_check "demo through ansible-runner (AWX credential injection)" runner_job
run_check "execution environment (ansible-builder)" execution_environment
run_check "changelog" changelog

echo "ecosystem checks took $((SECONDS - STARTED)) s"
if [ "$FAILED" -gt 0 ]; then
  printf 'failed: %s\n' "${FAILED_NAMES[@]}"
fi
echo "ecosystem: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
