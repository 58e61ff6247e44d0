# Everything installs what it needs itself (virtualenvs under .venvs/, generated trees under build/).
SHELL := /bin/bash
HARNESS := tests/harness
ANSIBLE_CORE ?= 2.21
PYTHON ?= 3.13
export ANSIBLE_CORE PYTHON

.PHONY: test sanity units integration pytest-suites demo simulator clean

test: sanity units integration pytest-suites

sanity:
	$(HARNESS)/ansible_test.sh sanity

units:
	$(HARNESS)/ansible_test.sh units

integration:
	$(HARNESS)/integration.sh

pytest-suites:
	$(HARNESS)/pytest_suites.sh

demo:
	$(HARNESS)/demo.sh

simulator:
	python3 -m simulator --port 8080 --demo

clean:
	rm -rf build tests/output
