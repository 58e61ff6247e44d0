#!/usr/bin/env bash
# Ecosystem checks (docs, Galaxy import, lint, ansible-runner). Filled in by the ecosystem work;
# until then it only says so, and make test does not pretend it ran anything.
source "$(dirname "$0")/env.sh"
echo "ecosystem checks: none yet"
