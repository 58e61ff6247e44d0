# Everything installs what it needs itself (virtualenvs under .venvs/, generated trees under build/).
SHELL := /bin/bash
HARNESS := tests/harness
ANSIBLE_CORE ?= 2.21
PYTHON ?= 3.13
export ANSIBLE_CORE PYTHON

.PHONY: test check sanity target-pythons units integration pytest-suites ecosystem demo simulator bench docs test-matrix clean \
	test-live live-cleanup conformance

# The README's test command: what CI runs. Every step below, side by side where they can be (lanes in
# tests/harness/run_steps.py); prints each step's wall time and writes build/test-times.json.
test:
	python3 $(HARNESS)/run_steps.py test

# The inner loop (under 2 minutes): sanity without pylint and validate-modules, units, the simulator
# suite and the system tests the change touches. make test before submitting.
check:
	python3 $(HARNESS)/run_steps.py check

sanity:
	$(HARNESS)/ansible_test.sh sanity

# The modules compile and import on every managed-host Python they support (3.9 to 3.13).
target-pythons:
	$(HARNESS)/target_pythons.sh

units:
	$(HARNESS)/ansible_test.sh units

integration:
	$(HARNESS)/integration.sh

# One pytest run per suite directory; extend with PYTEST_SUITES="tests/simulator tests/contract tests/system tests/new".
pytest-suites:
	$(HARNESS)/pytest_suites.sh

# Docs build and lint, Galaxy import, ansible-lint, ansible-runner (see tests/harness/ecosystem.sh).
ecosystem:
	$(HARNESS)/ecosystem.sh

demo:
	$(HARNESS)/demo.sh

simulator:
	python3 -m simulator --port 8080 --demo

# Not part of make test: measures requests and time per scenario, writes docs/benchmark.md.
bench:
	$(HARNESS)/bench.sh

docs:
	$(HARNESS)/docs.sh

# Opt-in, on the real API (creates billed Droplets): only with DIGITALOCEAN_TOKEN and OCEANOPS_LIVE=yes. See docs/live.md.
test-live:
	$(HARNESS)/live.sh run

# Delete what a crashed live run left: make live-cleanup TAG=oceanops-live-XXXXXXXX
live-cleanup:
	$(HARNESS)/live.sh cleanup "$(TAG)"

# Replay a recording against the simulator and report the differences: make conformance RECORD=build/live/<tag>.jsonl
conformance:
	$(HARNESS)/conformance.sh "$(RECORD)"

# sanity, units and integration on the oldest and the newest supported ansible-core.
test-matrix:
	$(HARNESS)/matrix.sh

clean:
	rm -rf build tests/output
