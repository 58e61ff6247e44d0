# shellcheck shell=bash
# Sourced after tests/harness/env.sh by ecosystem.sh and docs.sh: the ecosystem venv, the built and
# installed collection, the docsite build and the changelog preview.
ECO_DIR="$ROOT/tests/ecosystem"
ECO_REQS="$ROOT/tests/requirements/ecosystem.txt"
ECO_VENV="$ROOT/.venvs/eco-core${ANSIBLE_CORE}-py${PYTHON}-$(sha1sum <"$ECO_REQS" | cut -c1-10)"
ECO_BUILD="$BUILD/ecosystem"

# One venv for all the tools (antsibull-docs, antsibull-changelog, galaxy-importer, ansible-lint,
# ansible-builder, ansible-runner), keyed like the harness venv; the marker proves the install finished.
ensure_eco_venv() {
  if [ ! -f "$ECO_VENV/.complete" ]; then
    rm -rf "$ECO_VENV"
    mkdir -p "$BUILD"
    echo "creating $ECO_VENV (log: $BUILD/eco-venv.log)"
    "$PYTHON_BIN" -m venv "$ECO_VENV"
    { "$ECO_VENV/bin/python" -m pip install --upgrade pip &&
      "$ECO_VENV/bin/python" -m pip install "ansible-core==${ANSIBLE_CORE}.*" -r "$ECO_REQS"; } >"$BUILD/eco-venv.log" 2>&1 || {
      tail -n 30 "$BUILD/eco-venv.log" >&2
      return 1
    }
    touch "$ECO_VENV/.complete"
  fi
  export PATH="$ECO_VENV/bin:$PATH"
}

# Build the tarball from the working tree and install it where every later step finds it.
build_collection() {
  install_built_collection "$ECO_BUILD/dist"
}

# build_docsite DEST: the HTML site of the installed collection, offline, in DEST/build/html.
# Sphinx's intersphinx would download the inventories of docs.python.org and docs.ansible.com; instead
# the few Ansible labels the generated pages use come from a local inventory, and a dead proxy makes any
# download attempt fail the build (-W).
build_docsite() {
  local dest="$1"
  rm -rf "$dest"
  mkdir -p "$dest"
  antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error --dest-dir "$dest" \
    --project oceanops.droplets --copyright "oceanops.droplets contributors" \
    --title "oceanops.droplets" oceanops.droplets >/dev/null
  python "$ECO_DIR/ansible_inventory.py" "$dest/ansible_devel.inv"
  cat >>"$dest/conf.py" <<'PY'

# Offline build (tests/ecosystem/lib.sh): no inventory is downloaded; links into Ansible's own docs
# resolve from a local inventory of the labels the generated pages use.
intersphinx_mapping = {
    'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', '../ansible_devel.inv'),
}
PY
  (cd "$dest" && http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 no_proxy='' ./build.sh >"$dest/build.log" 2>&1) || {
    tail -n 40 "$dest/build.log" >&2
    echo "docsite build failed, full log: $dest/build.log" >&2
    return 1
  }
}

# changelog_preview OUT: CHANGELOG.rst as the next release will write it, without consuming the fragments.
# `antsibull-changelog release` moves fragments into changelogs/changelog.yaml (keep_fragments: false),
# which is right only when a version is tagged; `generate` alone cannot show unreleased fragments. So the
# release runs on a throw-away copy and only its CHANGELOG.rst is kept (the file carries no date).
changelog_preview() {
  local out="$1" work="$ECO_BUILD/changelog" version
  rm -rf "$work" && mkdir -p "$work"
  (cd "$ROOT" && cp -r galaxy.yml changelogs plugins meta "$work/")
  version="$(python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["version"])' "$ROOT/galaxy.yml")"
  if ls "$work"/changelogs/fragments/*.y*ml >/dev/null 2>&1; then
    (cd "$work" && antsibull-changelog release --version "$version" >"$work/release.log" 2>&1) || {
      cat "$work/release.log" >&2
      echo "antsibull-changelog release $version failed: is $version released already? bump galaxy.yml's version" >&2
      return 1
    }
  else
    (cd "$work" && antsibull-changelog generate >"$work/release.log" 2>&1) || { cat "$work/release.log" >&2; return 1; }
  fi
  cp "$work/CHANGELOG.rst" "$out"
}
