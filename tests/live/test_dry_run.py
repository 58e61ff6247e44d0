"""The live suite end to end with the simulator standing in for the real API (make test's dry path).

One full run (the dry_run fixture in conftest.py) is checked from every side: what it announced before creating, what it
created, that everything tagged was deleted and nothing else, that the recording holds neither the token
nor any IP address, and that its replay against a fresh simulator conforms. Failures injected at two
steps, and a TERM in the middle, must still end with the tag's Droplets deleted.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import HERE, TAG_LINE, live_env, records, replay, run_live
from redact import find_addresses


def test_the_run_passes_and_announces_the_plan_and_cost_before_creating(dry_run):
    output = dry_run['output']
    assert dry_run['status'] == 0, output
    announced = output.index('will create 3 Droplets: size s-1vcpu-512mb-10gb')
    assert 'USD/hour each (price_hourly from GET /v2/sizes)' in output
    assert 'make live-cleanup TAG=%s' % dry_run['tag'] in output
    assert announced < output.index('== live: created ')
    assert 'ok=' in output and 'failed=0' in output  # the playbook ran its cycles


def test_everything_tagged_was_deleted_by_tag_and_nothing_else(dry_run):
    sim = dry_run['sim']
    assert sim.droplets(dry_run['tag']) == []
    assert [d['id'] for d in sim.droplets()] == [dry_run['bystander']['id']]
    requests = sim.stats()['requests']
    assert requests['POST /v2/droplets'] == 1
    assert requests['DELETE /v2/droplets'] == 1
    deletes = [r for r in records(dry_run['record']) if r.get('method') == 'DELETE' and r['path'] == '/v2/droplets']
    assert [(d['query'], d['status']) for d in deletes] == [({'tag_name': dry_run['tag']}, 204)]


def test_the_cycles_sent_the_actions_they_should(dry_run):
    actions = dict((kind, count) for kind, count in dry_run['sim'].stats()['actions_by_type'].items() if kind != 'create')
    # power_off once (act) + twice by tag (the two still on); power_on of all three by tag; one rename; one IPv6.
    assert actions == {'power_off': 3, 'power_on': 3, 'rename': 1, 'enable_ipv6': 1}


def test_the_recording_has_every_exchange_and_no_token_or_address(dry_run):
    with open(dry_run['record'], encoding='utf-8') as handle:
        text = handle.read()
    entries = records(dry_run['record'])
    exchanges = [entry for entry in entries if 'meta' not in entry]
    assert len(exchanges) == dry_run['requests_total']
    assert dry_run['token'] not in text
    assert 'authorization' not in text.lower()
    assert find_addresses(text) == []
    assert '[redacted-ipv4]' in text and '[redacted-ipv6]' in text  # the Droplets had both, now redacted
    first = exchanges[0]
    assert set(first) >= {'method', 'path', 'query', 'request_body', 'status', 'response_headers', 'response_body'}
    assert {'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'} <= set(first['response_headers'])
    creates = [e for e in exchanges if e['method'] == 'POST' and e['path'] == '/v2/droplets']
    assert creates[0]['request_body']['tags'] == [dry_run['tag']]


def test_the_replay_of_the_recording_conforms(dry_run):
    report = str(dry_run['work'] / 'report.md')
    done = replay(dry_run['record'], '--report', report)
    assert done.returncode == 0, done.stdout
    with open(report, encoding='utf-8') as handle:
        text = handle.read()
    assert '**Verdict: CONFORMS**' in text
    exchanges = len([entry for entry in records(dry_run['record']) if 'meta' not in entry])
    assert '- exchanges: %d; ' % exchanges in text
    assert 'differ: 0;' in text


@pytest.mark.parametrize('step', ['create', 'act'])
def test_a_failing_step_still_deletes_everything_tagged(sim, collections, tmp_path, step):
    bystander = sim.seed_bystander()
    status, output = run_live(['run', '--collections', collections, '--record-dir', str(tmp_path / 'rec'),
                               '--fail-at', step], live_env(sim.url))
    assert status == 1, output
    assert 'FAILED' in output
    tag = TAG_LINE.search(output).group(1)
    assert sim.stats()['requests']['DELETE /v2/droplets'] == 1
    assert sim.droplets(tag) == []
    assert [d['id'] for d in sim.droplets()] == [bystander['id']]
    if step == 'act':  # the playbook had powered one off before failing
        assert sim.stats()['actions_by_type'].get('power_off') == 1


def test_a_terminated_run_still_deletes_everything_tagged(sim, collections, tmp_path):
    env = live_env(sim.url)
    log_path = str(tmp_path / 'out.log')
    with open(log_path, 'w', encoding='utf-8') as log:
        process = subprocess.Popen([sys.executable, os.path.join(HERE, 'run.py'), 'run', '--collections', collections,
                                    '--record-dir', str(tmp_path / 'rec')], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while 'running the check' not in open(log_path, encoding='utf-8').read():
        assert process.poll() is None and time.monotonic() < deadline, open(log_path, encoding='utf-8').read()
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    assert process.wait(120) == 1
    output = open(log_path, encoding='utf-8').read()
    tag = TAG_LINE.search(output).group(1)
    assert 'nothing tagged %s is left' % tag in output
    assert sim.droplets(tag) == [] and sim.droplets() == []
