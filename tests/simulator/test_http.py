"""The HTTP edge: auth, headers, bad JSON, rate limits, every fault kind, the log, the record, control."""

import json
import time

import pytest
import requests


def test_every_answer_has_the_rate_limit_and_request_id_headers(api):
    for response in (api.call('GET', '/v2/account'), api.call('GET', '/v2/droplets/1'),
                     requests.get(api.base + '/v2/account', timeout=5)):
        for header in ('ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-request-id'):
            assert header in response.headers, (response.status_code, header)
    assert api.checked >= 2  # the fixture really validated answers against the spec


def test_missing_wrong_and_revoked_tokens_are_401(make_api):
    strict = make_api(tokens=['good-token'])
    for headers in ({}, {'Authorization': 'Bearer wrong'}, {'Authorization': 'Basic Z29vZA=='}, {'Authorization': 'Bearer '}):
        response = requests.get(strict.base + '/v2/account', headers=headers, timeout=5)
        assert response.status_code == 401
        assert response.json() == {'id': 'unauthorized', 'message': 'Unable to authenticate you',
                                   'request_id': response.headers['x-request-id']}
    good = {'Authorization': 'Bearer good-token'}
    assert requests.get(strict.base + '/v2/account', headers=good, timeout=5).status_code == 200
    strict.control('POST', 'tokens', {'revoke': ['good-token']})
    assert requests.get(strict.base + '/v2/account', headers=good, timeout=5).status_code == 401
    strict.control('POST', 'tokens', {'allow': ['good-token']})
    assert requests.get(strict.base + '/v2/account', headers=good, timeout=5).status_code == 200


def test_bad_json_is_400_and_nothing_happens(api):
    target = api.seed(count=1)[0]
    response = api.session.post('%s/v2/droplets/%d/actions' % (api.base, target['id']), data=b'{"type": "reboot"',
                                headers={'Content-Type': 'application/json'}, timeout=5)
    assert response.status_code == 400 and response.json()['id'] == 'bad_request'
    not_an_object = api.call('POST', '/v2/droplets/%d/actions' % target['id'], json=['reboot'])
    assert not_an_object.status_code == 400
    assert api.stats()['actions_total'] == 0


def test_rate_limit_counts_each_request_for_a_minute_and_an_hour(make_api):
    limited = make_api(per_minute=5, per_hour=8)
    remaining = [int(limited.call('GET', '/v2/account').headers['ratelimit-remaining']) for unused in range(5)]
    assert remaining == [7, 6, 5, 4, 3]
    burst = limited.call('GET', '/v2/account')
    assert burst.status_code == 429
    assert burst.json() == {'id': 'too_many_requests', 'message': 'API Rate limit exceeded.',
                            'request_id': burst.headers['x-request-id']}
    assert burst.headers['ratelimit-remaining'] == '0' and 55 <= int(burst.headers['retry-after']) <= 60
    assert time.time() + 3590 <= int(burst.headers['ratelimit-reset']) <= time.time() + 3601
    other_token = limited.session.get(limited.base + '/v2/account', headers={'Authorization': 'Bearer another'}, timeout=5)
    assert other_token.status_code == 200 and other_token.headers['ratelimit-remaining'] == '7'  # limits are per token


def test_burst_window_slides_and_the_hourly_limit_has_no_retry_after(make_api):
    clock = FakeClock()
    limited = make_api(per_minute=3, per_hour=4)
    limited.sim.limiter.clock = clock
    assert [limited.call('GET', '/v2/account').status_code for unused in range(4)] == [200, 200, 200, 429]
    clock.now += 61  # the three requests of the last minute expired one by one; the hour still counts them
    assert limited.call('GET', '/v2/account').status_code == 200
    hourly = limited.call('GET', '/v2/account')
    assert hourly.status_code == 429 and 'retry-after' not in hourly.headers
    assert int(hourly.headers['ratelimit-reset']) == int(clock.start + 3600)
    clock.now = clock.start + 3600.5  # the oldest request expired: one more is allowed
    assert limited.call('GET', '/v2/account').status_code == 200


class FakeClock:
    def __init__(self):
        self.start = self.now = 1800000000.0

    def __call__(self):
        return self.now


def test_control_api_is_neither_counted_nor_limited(make_api):
    limited = make_api(per_minute=2)
    for unused in range(5):
        limited.stats()
    assert limited.call('GET', '/v2/account').status_code == 200
    assert limited.stats()['requests_total'] == 1


@pytest.mark.parametrize('status, error_id', [(500, 'server_error'), (502, 'bad_gateway'), (503, 'service_unavailable'),
                                              (504, 'gateway_timeout'), (429, 'too_many_requests')])
def test_status_faults_answer_with_an_api_error_body(api, status, error_id):
    api.faults({'method': 'GET', 'path': '^/v2/account$', 'kind': 'status', 'status': status, 'retry_after': 2})
    response = api.call('GET', '/v2/account')
    assert response.status_code == status and response.json()['id'] == error_id
    assert response.headers['retry-after'] == '2' and response.json()['request_id'] == response.headers['x-request-id']
    assert api.call('GET', '/v2/account').status_code == 200  # times defaults to 1


def test_fault_after_and_times(api):
    api.faults({'path': '^/v2/account$', 'kind': 'status', 'status': 503, 'after': 1, 'times': 2})
    assert [api.call('GET', '/v2/account').status_code for unused in range(4)] == [200, 503, 503, 200]


def test_reset_before_drops_the_request_unread_and_undone(api):
    target = api.seed(count=1)[0]
    api.faults({'method': 'POST', 'path': '/actions$', 'kind': 'reset_before'})
    with pytest.raises(requests.exceptions.ConnectionError):
        api.call('POST', '/v2/droplets/%d/actions' % target['id'], json={'type': 'reboot'})
    assert api.stats()['actions_total'] == 0
    assert api.call('GET', '/v2/droplets/%d/actions' % target['id']).json()['actions'] == []


def test_reset_after_carries_the_request_out_then_drops_the_answer(api):
    target = api.seed(count=1)[0]
    api.faults({'method': 'POST', 'path': '/actions$', 'kind': 'reset_after'})
    with pytest.raises(requests.exceptions.ConnectionError):
        api.call('POST', '/v2/droplets/%d/actions' % target['id'], json={'type': 'reboot'})
    actions = api.call('GET', '/v2/droplets/%d/actions' % target['id']).json()['actions']
    assert [a['type'] for a in actions] == ['reboot']


def test_truncate_sends_half_a_body_under_a_full_content_length(api):
    api.faults({'method': 'GET', 'path': '^/v2/account$', 'kind': 'truncate'})
    with pytest.raises(requests.exceptions.RequestException):
        api.call('GET', '/v2/account')
    assert api.call('GET', '/v2/account').status_code == 200


def test_non_json_is_an_html_502(api):
    api.faults({'method': 'GET', 'path': '^/v2/account$', 'kind': 'non_json'})
    response = api.call('GET', '/v2/account')
    assert response.status_code == 502 and response.headers['Content-Type'] == 'text/html'
    assert response.text.lstrip().startswith('<!DOCTYPE html>')
    with pytest.raises(ValueError):
        response.json()


def test_delay_answers_late_after_doing_the_work(api):
    target = api.seed(count=1)[0]
    api.faults({'method': 'POST', 'path': '/actions$', 'kind': 'delay', 'delay': 0.6})
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        api.session.post('%s/v2/droplets/%d/actions' % (api.base, target['id']), json={'type': 'reboot'}, timeout=0.3)
    assert api.stats()['actions_total'] == 1  # done before the answer was due
    time.sleep(0.4)
    slow = api.call('GET', '/v2/account')
    assert slow.status_code == 200 and time.monotonic() - started >= 0.6


def test_random_faults_repeat_with_the_same_seed(make_api):
    def run():
        faulty = make_api(contract=None)
        faulty.faults(random={'rate': 0.3, 'seed': 42, 'kinds': ['status', 'non_json']})
        return [faulty.call('GET', '/v2/account').status_code for unused in range(40)]
    first, second = run(), run()
    assert first == second
    assert 5 <= sum(1 for status in first if status != 200) <= 20


def test_random_action_faults_end_the_created_action(make_api):
    faulty = make_api()
    target = faulty.seed(count=1)[0]
    faulty.faults(random={'rate': 1.0, 'seed': 1, 'kinds': ['action_error']})
    action = faulty.call('POST', '/v2/droplets/%d/actions' % target['id'], json={'type': 'reboot'}).json()['action']
    faulty.control('DELETE', 'faults')
    assert faulty.wait_action(action['id'])['status'] == 'errored'


def test_unknown_fault_kinds_are_refused_whole(api):
    response = requests.post(api.base + '/_sim/faults', json={'faults': [{'kind': 'status'}, {'kind': 'meteor'}]}, timeout=5)
    assert response.status_code == 400 and 'meteor' in response.json()['message']
    assert api.call('GET', '/v2/account').status_code == 200


def test_stats_and_log(api):
    target = api.seed(count=1)[0]
    api.call('GET', '/v2/droplets/%d' % target['id'])
    api.call('POST', '/v2/droplets/%d/actions' % target['id'], json={'type': 'power_off'})
    api.call('POST', '/v2/droplets/%d/actions' % target['id'], json={'type': 'power_off'})
    stats = api.stats()
    assert stats['requests'] == {'GET /v2/droplets/{droplet_id}': 1, 'POST /v2/droplets/{droplet_id}/actions': 2}
    assert (stats['requests_total'], stats['posts_total'], stats['status_counts']) == (3, 2, {'200': 1, '201': 1, '422': 1})
    assert stats['actions'] == {str(target['id']): {'power_off': 1}} and stats['actions_by_type'] == {'power_off': 1}
    assert stats['actions_total'] == 1
    entries = api.control('GET', 'log')['entries']
    assert [(e['seq'], e['method'], e['status']) for e in entries] == [(1, 'GET', 200), (2, 'POST', 201), (3, 'POST', 422)]
    assert entries[1]['request_body'] == {'type': 'power_off'} and entries[1]['response_body']['action']['type'] == 'power_off'
    assert [e['seq'] for e in api.control('GET', 'log?since=2')['entries']] == [3]
    assert 'test-token' not in json.dumps(entries)


def test_the_record_file_has_one_line_per_exchange_and_no_token(make_api, tmp_path):
    record = tmp_path / 'record.jsonl'
    recorded = make_api(record_path=str(record))
    target = recorded.seed(count=1)[0]
    recorded.call('GET', '/v2/droplets', params={'per_page': 5})
    recorded.call('POST', '/v2/droplets/%d/actions' % target['id'], json={'type': 'reboot'})
    recorded.call('GET', '/v2/droplets/%d' % 1)
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert [(l['method'], l['template'], l['status']) for l in lines] == [
        ('GET', '/v2/droplets', 200), ('POST', '/v2/droplets/{droplet_id}/actions', 201),
        ('GET', '/v2/droplets/{droplet_id}', 404)]
    assert lines[0]['query'] == {'per_page': '5'}
    assert lines[1]['request_headers'] == {'Content-Type': 'application/json'}
    assert lines[1]['request_body'] == {'type': 'reboot'} and lines[1]['response_body']['action']['type'] == 'reboot'
    assert set(lines[2]['response_headers']) >= {'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-request-id'}
    assert 'test-token' not in record.read_text() and 'Authorization' not in record.read_text()


def test_reset_forgets_everything_but_the_catalog(api):
    api.seed(count=3, tag='web')
    api.configure(action_seconds={'default': 9}, rate_limit={'per_minute': 1})
    api.faults({'kind': 'status', 'status': 500, 'times': -1, 'path': '^/v2/regions'})
    api.control('POST', 'reset')
    assert api.call('GET', '/v2/droplets').json()['meta']['total'] == 0
    assert api.call('GET', '/v2/regions').status_code == 200 and api.call('GET', '/v2/sizes').status_code == 200
    assert api.stats()['requests_total'] == 3
    assert api.configure()['action_seconds'] == {'default': 0.2}


def test_patch_sets_raw_state(api):
    target = api.seed(count=1)[0]
    patched = api.control('PATCH', 'droplets/%d' % target['id'], {'status': 'off', 'locked': True,
                                                                  'size_slug': 's-2vcpu-2gb', 'features': ['ipv6']})
    shown = patched['droplet']
    assert (shown['status'], shown['locked'], shown['size']['slug'], shown['vcpus']) == ('off', True, 's-2vcpu-2gb', 2)
    assert shown['networks']['v6'] and shown['features'] == ['ipv6']
    refused = api.call('POST', '/v2/droplets/%d/actions' % target['id'], json={'type': 'power_on'})
    assert refused.status_code == 422 and 'pending event' in refused.json()['message']
    api.control('PATCH', 'droplets/%d' % target['id'], {'locked': False})
    assert api.call('POST', '/v2/droplets/%d/actions' % target['id'], json={'type': 'power_on'}).status_code == 201


@pytest.mark.parametrize('route, body, named', [
    ('config', {'action_second': 5}, 'action_second'),
    ('config', {'rate_limit': {'per_minutes': 1}}, 'per_minutes'),
    ('faults', {'faults': [{'kind': 'status', 'stauts': 503}]}, 'stauts'),
    ('faults', {'random': {'rat': 1.0}}, 'rat'),
    ('faults', {'fault': [{'kind': 'status'}]}, 'fault'),
    ('tokens', {'revoke_tokens': ['test-token']}, 'revoke_tokens'),
    ('droplets', {'cuont': 3}, 'cuont'),
    ('droplets', {'droplets': [{'name': 'a', 'sise': 's-1vcpu-1gb'}]}, 'sise'),
])
def test_a_misspelt_control_key_is_refused_not_ignored(api, route, body, named):
    """A typo must not leave a test running without the fault or state it asked for."""
    response = requests.post(api.base + '/_sim/' + route, json=body, timeout=5)
    # named as the unknown key, not merely present in the list of known ones ('rat' is in 'rate')
    assert response.status_code == 400 and 'unknown key(s) %s;' % named in response.json()['message']
    stats = api.stats()
    assert api.call('GET', '/v2/droplets').json()['meta']['total'] == 0
    assert api.call('GET', '/v2/account').status_code == 200
    assert api.control('POST', 'faults', {})['scripted'] == 0 and api.configure()['rate_limit']['per_minute'] == 250
    assert stats['requests_total'] == 0
