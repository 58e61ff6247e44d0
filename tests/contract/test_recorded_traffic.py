"""Every API exchange of the integration run, validated against DigitalOcean's OpenAPI spec."""

import json
import os

import pytest

from contract_check import BASE, explain, validate_exchange
from spec_loader import load_api


def recorded():
    path = os.environ.get('SIM_RECORD_FILE')
    if not path:
        return []
    if not os.path.isfile(path):
        raise RuntimeError('SIM_RECORD_FILE=%s does not exist: run the integration tests first' % path)
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope='module')
def api():
    return load_api(BASE)


def test_the_record_is_there_and_not_empty():
    if not os.environ.get('SIM_RECORD_FILE'):
        pytest.skip('SIM_RECORD_FILE is not set (make test sets it after the integration run)')
    entries = recorded()
    assert len(entries) > 50
    assert any(e['method'] == 'POST' and e['path'].endswith('/actions') for e in entries)


def test_every_recorded_exchange_matches_the_spec(api):
    entries = recorded()
    if not entries:
        pytest.skip('SIM_RECORD_FILE is not set (make test sets it after the integration run)')
    failures = []
    for entry in entries:
        try:
            validate_exchange(api, entry)
        except Exception as error:  # collect them all, report the first few
            failures.append('%s %s -> %s: %s' % (entry['method'], entry['path'], entry['status'], explain(error)))
    assert not failures, '%d of %d exchanges break the spec:\n%s' % (len(failures), len(entries), '\n'.join(failures[:10]))
