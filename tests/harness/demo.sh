#!/usr/bin/env bash
# make demo: build and install the collection, start the simulator with a small fleet, run the demo
# playbook through it, print what happened, stop the simulator.
source "$(dirname "$0")/env.sh"
ensure_venv
DEMO="$BUILD/demo"
rm -rf "$DEMO" && mkdir -p "$DEMO/collections"
(cd "$ROOT" && ansible-galaxy collection build --force --output-path "$DEMO" >/dev/null)
ansible-galaxy collection install --force -p "$DEMO/collections" "$DEMO"/oceanops-droplets-*.tar.gz >/dev/null
(cd "$ROOT" && exec python3 -m simulator --port 0 --port-file "$DEMO/sim.port" --demo --action-seconds 1 \
   --status-lag 0.2 >"$DEMO/simulator.log" 2>&1) &
SIM_PID=$!
trap 'kill $SIM_PID 2>/dev/null || true' EXIT
for attempt in $(seq 50); do [ -s "$DEMO/sim.port" ] && break; sleep 0.1; done
PORT="$(cat "$DEMO/sim.port")"
export DIGITALOCEAN_API_URL="http://127.0.0.1:$PORT" DIGITALOCEAN_TOKEN="demo-token"
export ANSIBLE_COLLECTIONS_PATH="$DEMO/collections" ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
echo "== simulator on $DIGITALOCEAN_API_URL; running demo/demo.yml"
ansible-playbook "$ROOT/demo/demo.yml"
echo "== what the simulator saw"
python3 - "$PORT" <<'PY'
import json, sys, urllib.request
stats = json.load(urllib.request.urlopen('http://127.0.0.1:%s/_sim/stats' % sys.argv[1]))
print('requests: %d in all, %d POSTs' % (stats['requests_total'], stats['posts_total']))
for endpoint, count in sorted(stats['requests'].items()):
    print('  %4d  %s' % (count, endpoint))
print('actions by type: %s' % json.dumps(stats['actions_by_type'], sort_keys=True))
PY
