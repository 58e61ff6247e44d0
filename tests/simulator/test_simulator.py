"""The simulator behaves like the API: lifecycle, locks, lag, pages, auth, limits, faults, and the spec."""

import json
import time

import pytest
import requests

from sim_harness import Api
from contract_check import validate_exchange
from spec_loader import load_api


@pytest.fixture(scope='module')
def spec():
    return load_api('http://127.0.0.1:8080')


def check(spec, response, method, path, body=None, query=None):
    """Validate a live exchange against the spec, and return the decoded body."""
    decoded = response.json() if response.content else None
    validate_exchange(spec, {'method': method, 'path': path, 'query': query or {}, 'request_body': body,
                             'status': response.status_code, 'response_body': decoded,
                             'response_headers': dict(response.headers)})
    return decoded


def wait_status(api, droplet_id, status, limit=5.0):
    end = time.time() + limit
    while time.time() < end:
        droplet = api.call('GET', '/v2/droplets/%d' % droplet_id).json()['droplet']
        if droplet['status'] == status and not droplet['locked']:
            return droplet
        time.sleep(0.05)
    raise AssertionError('Droplet %s never became %s' % (droplet_id, status))


def test_power_off_locks_then_completes_then_status_follows(api, spec):
    droplet = api.seed(count=1)[0]
    path = '/v2/droplets/%d/actions' % droplet['id']
    created = check(spec, api.call('POST', path, json={'type': 'power_off'}), 'POST', path, {'type': 'power_off'})
    assert created['action']['status'] == 'in-progress'
    busy = api.call('GET', '/v2/droplets/%d' % droplet['id']).json()['droplet']
    assert busy['locked'] is True
    again = api.call('POST', path, json={'type': 'power_on'})
    assert again.status_code == 422
    assert check(spec, again, 'POST', path, {'type': 'power_on'})['message'] == 'Droplet already has a pending event.'
    assert wait_status(api, droplet['id'], 'off')['status'] == 'off'
    action_path = '/v2/actions/%d' % created['action']['id']
    finished = check(spec, api.call('GET', action_path), 'GET', action_path)['action']
    assert finished['status'] == 'completed' and finished['completed_at']


@pytest.mark.parametrize('action_type, body, state, expected', [
    ('power_on', {}, {'status': 'off'}, lambda d: d['status'] == 'active'),
    ('shutdown', {}, {}, lambda d: d['status'] == 'off'),
    ('enable_backups', {}, {}, lambda d: 'backups' in d['features']),
    ('disable_backups', {}, {'backups': True}, lambda d: 'backups' not in d['features']),
    ('enable_ipv6', {}, {}, lambda d: 'ipv6' in d['features'] and d['networks']['v6']),
    ('rename', {'name': 'renamed'}, {}, lambda d: d['name'] == 'renamed'),
    ('resize', {'size': 's-2vcpu-4gb', 'disk': True}, {'status': 'off'}, lambda d: d['size_slug'] == 's-2vcpu-4gb'
     and d['disk'] == 80),
    ('resize', {'size': 's-2vcpu-4gb'}, {'status': 'off'}, lambda d: d['size_slug'] == 's-2vcpu-4gb' and d['disk'] == 25),
    ('rebuild', {'image': 'debian-12-x64'}, {}, lambda d: d['image']['slug'] == 'debian-12-x64'),
    ('change_kernel', {'kernel': 7516}, {'kernel_id': 7515}, lambda d: d['kernel']['id'] == 7516),
    ('snapshot', {'name': 'snap-1'}, {}, lambda d: len(d['snapshot_ids']) == 1),
    ('reboot', {}, {}, lambda d: d['status'] == 'active'),
    ('power_cycle', {}, {}, lambda d: d['status'] == 'active'),
    ('password_reset', {}, {}, lambda d: d['status'] == 'active'),
    ('change_backup_policy', {'backup_policy': {'plan': 'daily', 'hour': 8}}, {'backups': True},
     lambda d: 'backups' in d['features']),
])
def test_each_action_type_changes_the_droplet(api, spec, action_type, body, state, expected):
    droplet = api.seed(count=1, **state)[0]
    path = '/v2/droplets/%d/actions' % droplet['id']
    request_body = dict(body, type=action_type)
    response = api.call('POST', path, json=request_body)
    assert response.status_code == 201, response.text
    action = check(spec, response, 'POST', path, request_body)['action']
    deadline = time.time() + 5
    while api.call('GET', '/v2/actions/%d' % action['id']).json()['action']['status'] == 'in-progress':
        assert time.time() < deadline
        time.sleep(0.05)
    time.sleep(0.2)  # the status lag
    droplet_path = '/v2/droplets/%d' % droplet['id']
    assert expected(check(spec, api.call('GET', droplet_path), 'GET', droplet_path)['droplet'])


def test_restore_needs_one_of_this_droplets_backups(api, spec):
    owner, other = api.seed(droplets=[{'name': 'a', 'backups': True, 'backup_count': 1}, {'name': 'b'}])
    path = '/v2/droplets/%d/actions' % other['id']
    refused = api.call('POST', path, json={'type': 'restore', 'image': owner['backup_ids'][0]})
    assert refused.status_code == 422
    check(spec, refused, 'POST', path, {'type': 'restore', 'image': owner['backup_ids'][0]})
    own = api.call('POST', '/v2/droplets/%d/actions' % owner['id'], json={'type': 'restore', 'image': owner['backup_ids'][0]})
    assert own.status_code == 201


@pytest.mark.parametrize('body, state, message', [
    ({'type': 'resize', 'size': 's-2vcpu-4gb'}, {}, 'must be powered off'),
    ({'type': 'resize', 'size': 's-1vcpu-512mb-10gb'}, {'status': 'off'}, 'smaller disk'),
    ({'type': 'resize', 'size': 'huge'}, {'status': 'off'}, 'invalid size'),
    ({'type': 'power_on'}, {}, 'already powered on'),
    ({'type': 'change_backup_policy', 'backup_policy': {'hour': 4}}, {}, 'not enabled'),
    ({'type': 'change_backup_policy', 'backup_policy': {'hour': 3}}, {'backups': True}, 'hour'),
    ({'type': 'change_kernel', 'kernel': 1}, {}, 'invalid kernel'),
    ({'type': 'rebuild', 'image': 'no-such'}, {}, 'invalid image'),
    ({'type': 'teleport'}, {}, 'invalid action type'),
])
def test_requests_the_api_refuses(api, body, state, message):
    droplet = api.seed(count=1, **state)[0]
    response = api.call('POST', '/v2/droplets/%d/actions' % droplet['id'], json=body)
    assert response.status_code == 422
    error = response.json()
    assert message in error['message'] and error['id'] == 'unprocessable_entity' and error['request_id']


def test_pages_filters_and_links(api, spec):
    api.seed(count=45, tag='web', name_prefix='web-')
    api.seed(count=5, tag='db', name_prefix='db-')
    query = {'tag_name': 'web', 'per_page': '20', 'page': '2'}
    page = check(spec, api.call('GET', '/v2/droplets', params=query), 'GET', '/v2/droplets', query=query)
    assert len(page['droplets']) == 20 and page['meta']['total'] == 45
    assert set(page['links']['pages']) == {'first', 'prev', 'next', 'last'}
    assert page['links']['pages']['next'].startswith(api.base + '/v2/droplets?') and 'page=3' in page['links']['pages']['next']
    named = api.call('GET', '/v2/droplets', params={'name': 'DB-0003'}).json()
    assert [d['name'] for d in named['droplets']] == ['db-0003']
    both = api.call('GET', '/v2/droplets', params={'name': 'db-0003', 'tag_name': 'db'})
    assert both.status_code == 400


def test_auth_and_not_found_bodies(api, spec):
    anonymous = requests.get(api.base + '/v2/account', timeout=5)
    assert anonymous.status_code == 401
    assert check(spec, anonymous, 'GET', '/v2/account') == {'id': 'unauthorized', 'message': 'Unable to authenticate you',
                                                            'request_id': anonymous.headers['x-request-id']}
    missing = api.call('GET', '/v2/droplets/1')
    assert missing.status_code == 404 and check(spec, missing, 'GET', '/v2/droplets/1')['id'] == 'not_found'


def test_rate_limit_headers_and_429():
    limited = Api(per_minute=5)
    try:
        remaining = [int(limited.call('GET', '/v2/account').headers['ratelimit-remaining']) for attempt in range(5)]
        assert remaining == sorted(remaining, reverse=True) and remaining[0] > remaining[-1]
        refused = limited.call('GET', '/v2/account')
        assert refused.status_code == 429
        assert refused.json()['id'] == 'too_many_requests'
        assert 1 <= int(refused.headers['Retry-After']) <= 60
        assert int(refused.headers['ratelimit-reset']) > time.time()
    finally:
        limited.close()


def test_tag_action_only_for_the_bulk_subset(api, spec):
    api.seed(count=3, tag='web')
    query = {'tag_name': 'web'}
    refused = api.call('POST', '/v2/droplets/actions', params=query, json={'type': 'reboot'})
    assert refused.status_code == 422
    response = api.call('POST', '/v2/droplets/actions', params=query, json={'type': 'power_off'})
    assert response.status_code == 201
    assert len(check(spec, response, 'POST', '/v2/droplets/actions', {'type': 'power_off'}, query)['actions']) == 3


def test_scripted_faults(api):
    droplet = api.seed(count=1)[0]
    path = '/v2/droplets/%d' % droplet['id']
    requests.post(api.base + '/_sim/faults', timeout=5, json={'faults': [
        {'method': 'GET', 'path': '^/v2/droplets/', 'kind': 'status', 'status': 503, 'times': 1},
        {'method': 'GET', 'path': '^/v2/droplets/', 'kind': 'non_json', 'times': 1},
        {'method': 'GET', 'path': '^/v2/droplets/', 'kind': 'reset_before', 'times': 1},
        {'method': 'POST', 'path': '/actions$', 'kind': 'reset_after', 'times': 1},
        {'kind': 'action_error', 'type': 'reboot'}]})
    assert api.call('GET', path).status_code == 503
    html = api.call('GET', path)
    assert html.status_code == 502 and html.headers['Content-Type'] == 'text/html'
    with pytest.raises(requests.exceptions.ConnectionError):
        api.call('GET', path)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.call('POST', path + '/actions', json={'type': 'reboot'})
    # reset_after: the action was carried out although no answer came back
    actions = api.call('GET', path + '/actions').json()['actions']
    assert [a['type'] for a in actions] == ['reboot']
    time.sleep(0.3)
    assert api.call('GET', '/v2/actions/%d' % actions[0]['id']).json()['action']['status'] == 'errored'


def test_stats_and_log_count_requests(api):
    droplet = api.seed(count=1)[0]
    api.call('GET', '/v2/droplets/%d' % droplet['id'])
    api.call('POST', '/v2/droplets/%d/actions' % droplet['id'], json={'type': 'power_off'})
    stats = requests.get(api.base + '/_sim/stats', timeout=5).json()
    assert stats['requests'] == {'GET /v2/droplets/{droplet_id}': 1, 'POST /v2/droplets/{droplet_id}/actions': 1}
    assert stats['posts_total'] == 1 and stats['actions'] == {str(droplet['id']): {'power_off': 1}}
    log = requests.get(api.base + '/_sim/log', timeout=5).json()['entries']
    assert [e['method'] for e in log] == ['GET', 'POST']
    assert 'test-token' not in json.dumps(log)


def test_a_thousand_droplet_fleet_by_tag():
    fleet = Api()
    try:
        requests.post(fleet.base + '/_sim/droplets', json={'count': 1000, 'tag': 'web'}, timeout=30)
        query = {'tag_name': 'web', 'per_page': '200'}
        assert fleet.call('GET', '/v2/droplets', params=query).json()['meta']['total'] == 1000
        response = fleet.call('POST', '/v2/droplets/actions', params={'tag_name': 'web'}, json={'type': 'power_off'})
        assert len(response.json()['actions']) == 1000
    finally:
        fleet.close()


def test_status_lag_counts_from_when_the_action_ended_not_from_when_someone_looked(api):
    droplet = api.seed(count=1)[0]
    api.call('POST', '/v2/droplets/%d/actions' % droplet['id'], json={'type': 'power_off'})
    time.sleep(0.2 + 0.1 + 0.2)  # action 0.2 s, lag 0.1 s, and some slack, with nobody reading meanwhile
    assert api.call('GET', '/v2/droplets/%d' % droplet['id']).json()['droplet']['status'] == 'off'
