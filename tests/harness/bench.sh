#!/usr/bin/env bash
# make bench (not part of make test): build and install the collection the way a user would, run the
# benchmark scenarios of tests/bench against simulators on free loopback ports, then write
# docs/benchmark.md, docs/benchmark.png and the table in the docsite's scaling guide. Raw results:
# build/bench/results.json.
# Scenario 8 (BENCH_ONLY=s8: 1, 2 and 4 controllers on one token, both limiter modes) takes about 12 minutes a
# pass (BENCH_S8_PASSES, default 1).
# BENCH_FULL=1 adds the 1,000-host host-by-host run; BENCH_ONLY="s1 s3" runs only some scenarios
# (the report then covers only those). Takes about 15 minutes (the 300 s action alone is over 5) plus
# scenario 7 (eight runs of 50 and 200 hosts at forks 50: another 26 minutes on 2 CPUs, most of it the two
# 200-host runs without the shared directory). BENCH_FULL=1: about half an hour more.
source "$(dirname "$0")/env.sh"
ensure_venv
OUT="$BUILD/bench"
install_built_collection "$OUT"
echo "== installed $(basename "$COLLECTION_TARBALL") into $OUT/collections"

# The runner uses the tool virtualenv's ansible-playbook (first on PATH) and only the standard library.
RUN_ARGS=(--root "$ROOT" --work "$OUT" --collections "$OUT/collections" --results "$OUT/results.json")
if [ -n "${BENCH_ONLY:-}" ]; then
  read -r -a ONLY <<<"$BENCH_ONLY"
  RUN_ARGS+=(--only "${ONLY[@]}")
fi
if [ "${BENCH_FULL:-0}" = 1 ]; then RUN_ARGS+=(--full); fi
# Scenario 7 (host by host, forks 50): BENCH_CROWD_SIZES="50 200", BENCH_RATE_LIMIT_MODES="lenient strict".
if [ -n "${BENCH_CROWD_SIZES:-}" ]; then
  read -r -a SIZES <<<"$BENCH_CROWD_SIZES"
  RUN_ARGS+=(--crowd-sizes "${SIZES[@]}")
fi
if [ -n "${BENCH_RATE_LIMIT_MODES:-}" ]; then
  read -r -a MODES <<<"$BENCH_RATE_LIMIT_MODES"
  RUN_ARGS+=(--rate-limit-modes "${MODES[@]}")
fi
# Scenario 8 BENCH_S8_PASSES=3: all of it three times, each pass against its own one-controller runs.
if [ -n "${BENCH_S8_PASSES:-}" ]; then RUN_ARGS+=(--passes "$BENCH_S8_PASSES"); fi
# BENCH_CROWD_VARIANTS="shared" leaves out the runs without the shared directory (the slowest ones).
if [ -n "${BENCH_CROWD_VARIANTS:-}" ]; then
  read -r -a VARIANTS <<<"$BENCH_CROWD_VARIANTS"
  RUN_ARGS+=(--crowd-variants "${VARIANTS[@]}")
fi
python3 "$ROOT/tests/bench/run.py" "${RUN_ARGS[@]}"
if [ "${BENCH_ONLY:-}" = s7 ]; then  # scenario 7 alone: only its section of the report is rewritten
  python3 "$ROOT/tests/bench/report.py" --crowd-only "$OUT/results.json" "$ROOT/docs/benchmark.md" \
    "$ROOT/docs/docsite/rst/guide_scaling.rst"
  echo "== rewrote the scenario 7 sections of docs/benchmark.md and docs/docsite/rst/guide_scaling.rst"
  exit 0
fi
if [ "${BENCH_ONLY:-}" = s8 ]; then  # scenario 8 alone: only its section; BENCH_S8_BEFORE=FILE adds a "before" table
  python3 "$ROOT/tests/bench/report.py" --controllers-only "$OUT/results.json" "$ROOT/docs/benchmark.md" \
    ${BENCH_S8_BEFORE:+"$BENCH_S8_BEFORE"}
  echo "== rewrote the scenario 8 section of docs/benchmark.md"
  exit 0
fi
# The plot (not drawn for scenario 7 or 8 alone) needs matplotlib, kept out of the tool virtualenv in one of its own.
BENCH_REQS="$ROOT/tests/bench/requirements.txt"
BENCH_VENV="$ROOT/.venvs/bench-py${PYTHON}-$(sha1sum <"$BENCH_REQS" | cut -c1-10)"
if [ ! -f "$BENCH_VENV/.complete" ]; then
  echo "creating $BENCH_VENV"
  rm -rf "$BENCH_VENV"
  "$PYTHON_BIN" -m venv "$BENCH_VENV"
  "$BENCH_VENV/bin/python" -m pip install -q -r "$BENCH_REQS"
  touch "$BENCH_VENV/.complete"
fi

python3 "$ROOT/tests/bench/report.py" "$OUT/results.json" "$ROOT/docs/benchmark.md" \
  "$ROOT/docs/docsite/rst/guide_scaling.rst"
"$BENCH_VENV/bin/python" "$ROOT/tests/bench/plot.py" "$OUT/results.json" "$ROOT/docs/benchmark.png"
echo "== wrote docs/benchmark.md, docs/benchmark.png and the table in docs/docsite/rst/guide_scaling.rst"
