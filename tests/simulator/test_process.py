"""``python3 -m simulator`` as other tools start it: fast, seeded, loopback only, stops on SIGTERM."""

import json
import subprocess
import sys

import requests

from sim_harness import ROOT, SimProcess

TOKEN = {'Authorization': 'Bearer process-test'}


def get(sim, path, **params):
    return requests.get(sim.base + path, params=params, headers=TOKEN, timeout=10)


# How fast it starts is measured by make bench (the start-up section of docs/benchmark.md), not asserted here.
def test_starts_serves_and_stops_on_sigterm(tmp_path):
    sim = SimProcess(tmp_path, '--quiet')
    try:
        assert requests.get(sim.base + '/_sim/health', timeout=5).json() == {'ok': True}
        assert 'DigitalOcean API simulator listening on http://127.0.0.1:' in sim.output()
    finally:
        assert sim.stop() == 0


def test_a_thousand_droplet_fleet_is_seeded_at_start(tmp_path):
    sim = SimProcess(tmp_path, '--quiet', '--fleet', 'web=1000:active', '--fleet', 'db=3:off')
    try:
        web = get(sim, '/v2/droplets', tag_name='web', per_page=200).json()
        assert web['meta']['total'] == 1000 and web['droplets'][0]['name'] == 'web-0001'
        assert web['links']['pages']['last'].endswith('page=5&per_page=200&tag_name=web')
        db = get(sim, '/v2/droplets', tag_name='db').json()['droplets']
        assert [(d['name'], d['status']) for d in db] == [('db-0001', 'off'), ('db-0002', 'off'), ('db-0003', 'off')]
    finally:
        sim.stop()


def test_demo_fleet_is_mixed(tmp_path):
    sim = SimProcess(tmp_path, '--demo')
    try:
        droplets = dict((d['name'], d) for d in get(sim, '/v2/droplets').json()['droplets'])
        assert [droplets['web-%02d' % n]['status'] for n in (1, 2, 3)] == ['active'] * 3
        assert [droplets['db-%02d' % n]['status'] for n in (1, 2)] == ['off'] * 2
        assert 'backups' in droplets['backup-01']['features'] and len(droplets['backup-01']['backup_ids']) == 2
        assert droplets['legacy-01']['kernel']['id'] == 7515
        assert 'GET /v2/droplets -> 200' in sim.output()  # without --quiet, one line per API call
    finally:
        sim.stop()


def test_only_the_given_tokens_and_a_record_file(tmp_path):
    record = tmp_path / 'run.jsonl'
    sim = SimProcess(tmp_path, '--quiet', '--token', 'process-test', '--record', str(record),
                     '--action-seconds', '0.1', '--rate-limit-minute', '2')
    try:
        assert get(sim, '/v2/account').status_code == 200
        assert requests.get(sim.base + '/v2/account', headers={'Authorization': 'Bearer other'}, timeout=5).status_code == 401
        assert get(sim, '/v2/account').status_code == 200
        assert get(sim, '/v2/account').status_code == 429
    finally:
        sim.stop()
    statuses = [json.loads(line)['status'] for line in record.read_text().splitlines()]
    assert statuses == [200, 401, 200, 429] and 'process-test' not in record.read_text()


def test_random_faults_from_the_command_line_are_reproducible(tmp_path):
    def run(folder):
        folder.mkdir()
        sim = SimProcess(folder, '--quiet', '--fault-rate', '0.25', '--fault-seed', '7')
        try:
            statuses = []
            for unused in range(30):
                try:
                    statuses.append(get(sim, '/v2/regions').status_code)
                except requests.exceptions.RequestException as error:
                    statuses.append(type(error).__name__)
            return statuses
        finally:
            sim.stop()
    first = run(tmp_path / 'one')
    assert first == run(tmp_path / 'two')
    assert any(status != 200 for status in first) and first.count(200) >= 15


def test_refuses_a_non_loopback_address():
    finished = subprocess.run([sys.executable, '-m', 'simulator', '--host', '0.0.0.0', '--port', '0'], cwd=ROOT,
                              capture_output=True, text=True, timeout=10, check=False)
    assert finished.returncode != 0 and 'loopback' in finished.stderr


def test_refuses_a_bad_fleet_spec():
    finished = subprocess.run([sys.executable, '-m', 'simulator', '--fleet', 'web:10', '--port', '0'], cwd=ROOT,
                              capture_output=True, text=True, timeout=10, check=False)
    assert finished.returncode == 2 and 'TAG=COUNT' in finished.stderr
