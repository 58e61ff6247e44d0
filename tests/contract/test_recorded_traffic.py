"""Every recorded API exchange, validated against DigitalOcean's OpenAPI spec.

With SIM_RECORD_FILE set (make test sets it to the integration run's --record file), that file is
validated. Without it, this test records its own: it starts ``python3 -m simulator --record``,
drives it through a scripted session that calls every endpoint of the spec, and validates that.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import pytest
import requests

from spec_loader import check_exchange, explain, load_api, load_spec_dict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Answers that are not the API's by design: an HTML proxy page. (reset_before never has an answer.)
NOT_API_ANSWERS = ('non_json',)
# Methods the spec defines no operation for: HEAD answers a GET's status and headers with no body.
NO_OPERATION_METHODS = ('HEAD',)


def read_record(path):
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope='module')
def record():
    """(entries, whether they come from SIM_RECORD_FILE)."""
    path = os.environ.get('SIM_RECORD_FILE')
    if path:
        if not os.path.isfile(path):
            raise RuntimeError('SIM_RECORD_FILE=%s does not exist: run the integration tests first' % path)
        return read_record(path), True
    with tempfile.TemporaryDirectory(prefix='sim-record-') as folder:
        own = os.path.join(folder, 'session.jsonl')
        scripted_session(folder, own)
        return read_record(own), False


@pytest.fixture(scope='module')
def api():
    return load_api()


def test_the_record_is_substantial(record):
    entries, external = record
    assert len(entries) >= 50, 'only %d exchanges recorded' % len(entries)
    assert any(e['method'] == 'POST' and e['path'].endswith('/actions') and e['status'] == 201 for e in entries)
    if not external:
        # our own session must have reached every operation the spec defines
        spec = load_spec_dict()
        defined = set('%s %s' % (method.upper(), path) for path, operations in spec['paths'].items()
                      for method in operations if method in ('get', 'post', 'put', 'patch', 'delete'))
        seen = set('%s %s' % (e['method'], e['template']) for e in entries if e['status'] < 400)
        assert not defined - seen, 'never called successfully: %s' % sorted(defined - seen)


def test_every_recorded_exchange_matches_the_spec(api, record):
    entries, unused = record
    failures, checked = [], 0
    for entry in entries:
        if entry.get('fault') in NOT_API_ANSWERS or entry['method'] in NO_OPERATION_METHODS:
            continue
        try:
            check_exchange(api, entry)
            checked += 1
        except Exception as error:  # pylint: disable=broad-except  # collect them all, report the first few
            failures.append('%s %s -> %s: %s' % (entry['method'], entry['path'], entry['status'], explain(error)))
    assert checked, 'no exchange was validated'
    assert not failures, '%d of %d exchanges break the spec:\n%s' % (len(failures), len(entries), '\n'.join(failures[:10]))


def test_the_validator_rejects_a_broken_answer(api, record):
    """The check above can fail: a Droplet without its required fields is caught."""
    entries, unused = record
    sample = next(e for e in entries if e['template'] == '/v2/droplets/{droplet_id}' and e['status'] == 200
                  and e['method'] == 'GET')
    broken = dict(sample, response_body={'droplet': {'id': 'not-a-number'}})
    with pytest.raises(Exception):
        check_exchange(api, broken)


def scripted_session(folder, record_path):
    """Drive a fresh simulator through every endpoint (and a few refusals), recording to ``record_path``."""
    port_file = os.path.join(folder, 'port')
    with open(os.path.join(folder, 'sim.log'), 'w') as log:
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, '-m', 'simulator', '--port', '0', '--port-file', port_file, '--quiet', '--record',
             record_path, '--action-seconds', '0.05', '--status-lag', '0.02'], cwd=ROOT, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(port_file):
            assert process.poll() is None and time.monotonic() < deadline, 'the simulator did not start'
            time.sleep(0.01)
        with open(port_file) as handle:
            Session('http://127.0.0.1:%s' % handle.read().strip()).run()
    finally:
        process.terminate()
        process.wait(10)


class Session:
    def __init__(self, base):
        self.base = base
        self.http = requests.Session()
        self.http.headers['Authorization'] = 'Bearer contract-session'

    def call(self, method, path, expect=None, **kwargs):
        response = self.http.request(method, self.base + path, timeout=10, **kwargs)
        if expect is not None:
            assert response.status_code == expect, '%s %s: %s %s' % (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def settle(self, action):
        while self.call('GET', '/v2/actions/%d' % action['id'], 200)['action']['status'] == 'in-progress':
            time.sleep(0.02)
        time.sleep(0.05)  # the status lag

    def act(self, droplet_id, **body):
        action = self.call('POST', '/v2/droplets/%d/actions' % droplet_id, 201, json=body)['action']
        self.settle(action)
        return action

    def run(self):
        self.call('GET', '/v2/account', 200)
        for path in ('/v2/sizes', '/v2/regions', '/v2/images'):
            self.call('GET', path, 200)
        self.call('GET', '/v2/images', 200, params={'type': 'distribution', 'per_page': 2})
        self.call('GET', '/v2/images', 200, params={'type': 'application'})
        self.call('GET', '/v2/images/ubuntu-24-04-x64', 200)
        body = {'name': 'contract-01', 'region': 'nyc3', 'size': 's-1vcpu-1gb', 'image': 'ubuntu-24-04-x64',
                'tags': ['contract']}
        created = self.call('POST', '/v2/droplets', 202, json=body)
        self.settle(created['links']['actions'][0])
        multi_body = dict(body, names=['contract-02', 'contract-03'])
        del multi_body['name']
        multi = self.call('POST', '/v2/droplets', 202, json=multi_body)
        for link in multi['links']['actions']:
            self.settle(link)
        first = created['droplet']['id']
        self.call('GET', '/v2/droplets', 200, params={'tag_name': 'contract', 'per_page': 2, 'page': 2})
        self.call('GET', '/v2/droplets', 200, params={'name': 'contract-01'})
        self.call('GET', '/v2/droplets/%d' % first, 200)
        self.call('GET', '/v2/droplets/%d/kernels' % first, 200)
        self.every_action_type(first)
        self.legacy_kernel()
        self.read_only_lists()
        self.lists_and_images(first)
        self.tags(multi['droplets'][0]['id'])
        self.refusals(first)
        self.call('DELETE', '/v2/droplets/%d' % multi['droplets'][1]['id'], 204)
        self.call('DELETE', '/v2/droplets', 204, params={'tag_name': 'contract'})

    def every_action_type(self, droplet_id):
        self.act(droplet_id, type='enable_backups', backup_policy={'plan': 'weekly', 'weekday': 'MON', 'hour': 4})
        self.act(droplet_id, type='change_backup_policy', backup_policy={'plan': 'daily', 'hour': 8})
        self.call('GET', '/v2/droplets/%d/backups/policy' % droplet_id, 200)
        self.call('GET', '/v2/droplets/backups/policies', 200)
        self.call('GET', '/v2/droplets/backups/supported_policies', 200)
        for action_type in ('reboot', 'power_cycle', 'password_reset', 'enable_ipv6', 'shutdown', 'power_on',
                            'power_off'):
            self.act(droplet_id, type=action_type)
        self.act(droplet_id, type='resize', size='s-1vcpu-2gb', disk=True)
        self.act(droplet_id, type='power_on')
        self.act(droplet_id, type='rebuild', image='debian-12-x64')
        self.act(droplet_id, type='rename', name='contract-01-renamed')
        self.act(droplet_id, type='snapshot', name='contract-snapshot')
        self.act(droplet_id, type='disable_backups')
        seed = {'droplets': [{'name': 'contract-restore', 'tags': ['contract'], 'backups': True, 'backup_count': 1}]}
        seeded = requests.post(self.base + '/_sim/droplets', json=seed, timeout=10)
        owner = seeded.json()['droplets'][0]
        self.act(owner['id'], type='restore', image=owner['backup_ids'][0])
        self.call('GET', '/v2/droplets/%d/backups' % owner['id'], 200)
        for action_type in ('power_off', 'power_on', 'snapshot'):
            actions = self.call('POST', '/v2/droplets/actions', 201, params={'tag_name': 'contract'},
                                json={'type': action_type, 'name': 'tag-snapshot'} if action_type == 'snapshot'
                                else {'type': action_type})['actions']
            for action in actions:
                self.settle(action)

    def legacy_kernel(self):
        """change_kernel applies only to a Droplet with an external kernel (created before March 2017)."""
        seed = {'droplets': [{'name': 'contract-legacy', 'tags': ['contract'], 'kernel_id': 7515}]}
        legacy = requests.post(self.base + '/_sim/droplets', json=seed, timeout=10).json()['droplets'][0]
        self.call('GET', '/v2/droplets/%d/kernels' % legacy['id'], 200, params={'per_page': 2})
        self.act(legacy['id'], type='change_kernel', kernel=7516)

    def read_only_lists(self):
        for path in ('/v2/firewalls', '/v2/volumes', '/v2/account/keys', '/v2/projects', '/v2/projects/default',
                     '/v2/vpcs'):
            self.call('GET', path, 200)
        self.call('GET', '/v2/vpcs', 200, params={'per_page': 2, 'page': 2})
        self.call('GET', '/v2/volumes', 200, params={'name': 'data', 'region': 'nyc3'})
        self.call('HEAD', '/v2/account', 200)

    def lists_and_images(self, droplet_id):
        actions = self.call('GET', '/v2/droplets/%d/actions' % droplet_id, 200, params={'per_page': 3})
        self.call('GET', '/v2/droplets/%d/actions/%d' % (droplet_id, actions['actions'][0]['id']), 200)
        self.call('GET', '/v2/actions', 200, params={'per_page': 5, 'page': 2})
        self.call('GET', '/v2/actions/%d' % actions['actions'][0]['id'], 200)
        snapshots = self.call('GET', '/v2/droplets/%d/snapshots' % droplet_id, 200)['snapshots']
        self.call('GET', '/v2/snapshots', 200)
        self.call('GET', '/v2/snapshots', 200, params={'resource_type': 'droplet'})
        self.call('GET', '/v2/snapshots/%d' % snapshots[0]['id'], 200)
        self.call('GET', '/v2/images', 200, params={'private': 'true'})
        self.call('GET', '/v2/images/%d' % snapshots[0]['id'], 200)
        self.call('DELETE', '/v2/snapshots/%d' % snapshots[0]['id'], 204)

    def tags(self, droplet_id):
        self.call('POST', '/v2/tags', 201, json={'name': 'contract-extra'})
        resources = {'resources': [{'resource_id': str(droplet_id), 'resource_type': 'droplet'}]}
        self.call('POST', '/v2/tags/contract-extra/resources', 204, json=resources)
        self.call('GET', '/v2/tags', 200)
        self.call('GET', '/v2/tags/contract-extra', 200)
        self.call('DELETE', '/v2/tags/contract-extra/resources', 204, json=resources)
        self.call('DELETE', '/v2/tags/contract-extra', 204)

    def refusals(self, droplet_id):
        """Answers the API gives when it says no: their bodies must match the spec too."""
        self.call('GET', '/v2/droplets/1', 404)
        self.call('POST', '/v2/droplets/%d/actions' % droplet_id, 422, json={'type': 'power_on'})
        self.call('POST', '/v2/droplets/%d/actions' % droplet_id, 422, json={'type': 'resize', 'size': 's-1vcpu-1gb'})
        self.call('POST', '/v2/droplets/%d/actions' % droplet_id, 422, json={'type': 'teleport'})
        self.call('GET', '/v2/droplets', 400, params={'name': 'x', 'tag_name': 'y'})
        self.call('GET', '/v2/droplets', 400, params={'per_page': 500})
        self.call('GET', '/v2/actions', 400, params={'page': 0})
        self.call('POST', '/v2/droplets/%d/actions' % droplet_id, 400, data='{"type": "reboot"}',
                  headers={'Content-Type': 'text/plain'})
        self.call('POST', '/v2/droplets/%d/actions' % droplet_id, 422, json={'type': 'change_kernel', 'kernel': 7516})
        self.call('POST', '/v2/tags', 400, json={'name': 'not valid'})
        requests.get(self.base + '/v2/account', timeout=10)  # 401
