#!/usr/bin/env bash
# make demo: build and install the collection, start the simulator with a small fleet, run the demo
# playbook through it, print what happened, stop the simulator.
source "$(dirname "$0")/env.sh"
ensure_venv
DEMO="$BUILD/demo"
install_built_collection "$DEMO"
echo "== built and installed $(basename "$COLLECTION_TARBALL") into $DEMO/collections"
serve_simulator "$DEMO/sim.port" "$DEMO/simulator.log" --demo --action-seconds 1 --status-lag 0.2
export DIGITALOCEAN_API_URL="$SIM_URL"
DIGITALOCEAN_TOKEN="demo-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export DIGITALOCEAN_TOKEN
echo "== simulator on $DIGITALOCEAN_API_URL; running demo/demo.yml"
ansible-playbook -i "$ROOT/demo/inventory.yml" "$ROOT/demo/demo.yml"
echo "== what the simulator saw"
python3 "$ROOT/demo/summary.py" "$DIGITALOCEAN_API_URL"
