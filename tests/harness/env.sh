# shellcheck shell=bash
# Sourced by the other harness scripts: versions, paths and the tool virtualenv.
# Override ANSIBLE_CORE and PYTHON to test another pair (make test-matrix does).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ANSIBLE_CORE="${ANSIBLE_CORE:-2.21}"
PYTHON="${PYTHON:-3.13}"
BUILD="$ROOT/build"
# The copy must live outside this git checkout: inside it, ansible-test asks git, which ignores build/.
# make test runs steps side by side, each in its own copy (OCEANOPS_COPY_SUFFIX, set by run_steps.py).
COPY_ROOT="${TMPDIR:-/tmp}/oceanops-droplets-$(printf %s "$ROOT" | sha1sum | cut -c1-8)${OCEANOPS_COPY_SUFFIX:+-$OCEANOPS_COPY_SUFFIX}"
COLLECTION_COPY="$COPY_ROOT/ansible_collections/oceanops/droplets"
export SPEC_DIR="${DO_OPENAPI_DIR:-$ROOT/../shared/do-openapi}"

# pyenv shims resolve only the default version: put the wanted interpreter first on PATH.
python_binary() {
  local wanted="$1" prefix
  if command -v pyenv >/dev/null 2>&1; then
    prefix="$(pyenv prefix "$(pyenv versions --bare | grep -E "^${wanted//./\\.}(\.[0-9]+)?$" | sort -V | tail -n1)" 2>/dev/null || true)"
    if [ -n "$prefix" ] && [ -x "$prefix/bin/python$wanted" ]; then echo "$prefix/bin/python$wanted"; return; fi
  fi
  command -v "python$wanted"
}
PYTHON_BIN="$(python_binary "$PYTHON")"
PYBIN_DIR="$BUILD/pybin"
mkdir -p "$PYBIN_DIR"
# link_python VERSION BINARY: steps running side by side all do this; only a missing or wrong link is replaced.
link_python() {
  [ "$(readlink "$PYBIN_DIR/python$1" 2>/dev/null)" = "$2" ] || ln -sfn "$2" "$PYBIN_DIR/python$1"
}
link_python "$PYTHON" "$PYTHON_BIN"
export PATH="$PYBIN_DIR:$PATH"

# One virtualenv per (ansible-core, python, requirements) under .venvs/, reused when nothing changed.
REQS="$ROOT/tests/requirements/tools.txt"
VENV_KEY="core${ANSIBLE_CORE}-py${PYTHON}-$(cat "$REQS" | sha1sum | cut -c1-10)"
VENV="$ROOT/.venvs/$VENV_KEY"
ensure_venv() {
  # The marker is written last, so an interrupted install is redone instead of half-used.
  if [ ! -f "$VENV/.complete" ]; then
    echo "creating $VENV"
    rm -rf "$VENV"
    "$PYTHON_BIN" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q "ansible-core==${ANSIBLE_CORE}.*" -r "$REQS"
    touch "$VENV/.complete"
  fi
  export PATH="$VENV/bin:$PATH"
}

# Copy the tree where ansible-test wants it (a symlink does not work).
sync_copy() {
  rm -rf "$COLLECTION_COPY"
  mkdir -p "$COLLECTION_COPY"
  (cd "$ROOT" && tar --exclude=./.git --exclude=./.venvs --exclude=./build --exclude=./tests/output \
     --exclude=./.ansible --exclude=./collections --exclude='__pycache__' --exclude=.pytest_cache -cf - .) \
    | tar -xf - -C "$COLLECTION_COPY"
}

# install_built_collection DIR: empty DIR, build the tarball into it and install only that into
# DIR/collections, the collections path from then on, so what runs is what a user would install.
# Sets COLLECTION_TARBALL.
install_built_collection() {
  local dir="$1"
  rm -rf "$dir" && mkdir -p "$dir/collections"
  (cd "$ROOT" && ansible-galaxy collection build --force --output-path "$dir" >/dev/null)
  COLLECTION_TARBALL="$(ls "$dir"/oceanops-droplets-*.tar.gz)"
  export ANSIBLE_COLLECTIONS_PATH="$dir/collections"
  ansible-galaxy collection install --force -p "$dir/collections" "$COLLECTION_TARBALL" >/dev/null
}

# ansible-test's sanity venvs fetch get-pip.py from a host we cannot reach: hand them the stand-in.
install_get_pip_standin() {
  local version
  version="$("$VENV/bin/python" - <<'PY'
import re, ansible_test, os
src = open(os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py')).read()
print(re.search(r"pip='([0-9.]+)'", src).group(1))
PY
)"
  local cache="$HOME/.ansible/test/cache"
  mkdir -p "$cache"
  # Written aside and renamed: a step running beside this one may be reading it.
  cp "$ROOT/tests/harness/offline_get_pip.py" "$cache/.get_pip.$$"
  mv -f "$cache/.get_pip.$$" "$cache/get_pip_${version//./_}.py"
}

# Start the simulator on a free loopback port, stop it (and wait for it) when the script exits.
# In: port file, log file, then simulator options. Out: SIM_PID, SIM_URL.
serve_simulator() {
  local port_file="$1" log_file="$2"
  shift 2
  rm -f "$port_file"
  (cd "$ROOT" && exec python3 -m simulator --host 127.0.0.1 --port 0 --port-file "$port_file" "$@" >"$log_file" 2>&1) &
  SIM_PID=$!
  trap 'kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 100); do
    grep -q "listening on" "$log_file" 2>/dev/null && [ -s "$port_file" ] && break
    sleep 0.1
  done
  if ! grep -q "listening on" "$log_file" 2>/dev/null; then
    echo "the simulator did not start:" >&2; cat "$log_file" >&2; exit 1
  fi
  SIM_URL="http://127.0.0.1:$(cat "$port_file")"
  export SIM_URL
}
