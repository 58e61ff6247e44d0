"""HTTP rules made strict where the spec is strict (issue 12): Content-Type, paging bounds, HEAD, limiter modes."""

import json

import pytest
import requests

TOKEN = {'Authorization': 'Bearer test-token'}


def raw_post(api, path, data, content_type=None):
    headers = dict(TOKEN)
    if content_type is not None:
        headers['Content-Type'] = content_type
    return requests.post(api.base + path, data=data, headers=headers, timeout=5)


@pytest.mark.parametrize('content_type', [None, 'text/plain', 'application/x-www-form-urlencoded'])
def test_a_json_body_without_the_json_content_type_is_refused(api, content_type):
    target = api.seed(count=1)[0]
    response = raw_post(api, '/v2/droplets/%d/actions' % target['id'], json.dumps({'type': 'reboot'}), content_type)
    assert response.status_code == 400
    error = response.json()
    assert error['id'] == 'bad_request' and 'Content-Type' in error['message']
    assert error['request_id'] == response.headers['x-request-id']
    assert api.stats()['actions_total'] == 0


def test_the_json_content_type_with_a_charset_is_accepted(api):
    target = api.seed(count=1)[0]
    response = raw_post(api, '/v2/droplets/%d/actions' % target['id'], json.dumps({'type': 'reboot'}),
                        'application/json; charset=utf-8')
    assert response.status_code == 201


def test_a_post_without_a_body_needs_no_content_type(api):
    target = api.seed(count=1, tag='web')[0]
    response = requests.post(api.base + '/v2/droplets/%d/actions' % target['id'], headers=TOKEN, timeout=5)
    assert response.status_code == 422 and 'type is required' in response.json()['message']


@pytest.mark.parametrize('params', [{'per_page': 0}, {'per_page': 201}, {'per_page': 500}, {'page': 0},
                                    {'page': -1}, {'per_page': -5}])
def test_paging_outside_the_spec_bounds_is_refused(api, params):
    api.seed(count=3)
    response = requests.get(api.base + '/v2/droplets', params=params, headers=TOKEN, timeout=5)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error['id'] == 'bad_request' and list(params)[0] in error['message']


def test_paging_at_the_spec_bounds_is_accepted(api):
    api.seed(count=3)
    assert len(api.call('GET', '/v2/droplets', params={'per_page': 1}).json()['droplets']) == 1
    assert len(api.call('GET', '/v2/droplets', params={'per_page': 200, 'page': 1}).json()['droplets']) == 3


def test_lenient_validation_restores_the_old_clamping_and_any_content_type(api):
    assert api.configure(strict_validation=False)['strict_validation'] is False
    api.seed(count=3)
    page = requests.get(api.base + '/v2/droplets', params={'per_page': 500, 'page': 0}, headers=TOKEN, timeout=5)
    assert page.status_code == 200 and len(page.json()['droplets']) == 3
    target = api.seed(count=1)[0]
    assert raw_post(api, '/v2/droplets/%d/actions' % target['id'], json.dumps({'type': 'reboot'})).status_code == 201


def test_head_answers_with_a_gets_status_and_headers_and_no_body(api):
    target = api.seed(count=1)[0]
    for path, status in (('/v2/droplets/%d' % target['id'], 200), ('/v2/droplets/999', 404), ('/v2/account', 200)):
        got = requests.get(api.base + path, headers=TOKEN, timeout=5)
        head = requests.head(api.base + path, headers=TOKEN, timeout=5)
        assert (head.status_code, got.status_code) == (status, status)
        assert head.content == b''
        assert head.headers['Content-Type'] == got.headers['Content-Type']
        assert head.headers['Content-Length'] == got.headers['Content-Length']
        for name in ('ratelimit-limit', 'ratelimit-reset', 'x-request-id'):
            assert name in head.headers
    unauthenticated = requests.head(api.base + '/v2/account', timeout=5)
    assert unauthenticated.status_code == 401 and unauthenticated.content == b''


def test_head_keeps_the_connection_usable(api):
    with requests.Session() as session:
        session.headers.update(TOKEN)
        for unused in range(3):
            assert session.head(api.base + '/v2/regions', timeout=5).status_code == 200
            assert session.get(api.base + '/v2/regions', timeout=5).json()['regions']


# -- rate limiting: the docs do not say whether refused requests count; both readings are offered ---
def burst(running, count):
    return [requests.get(running.base + '/v2/account', headers=TOKEN, timeout=5).status_code for unused in range(count)]


def test_lenient_mode_is_the_default_and_refused_requests_do_not_count(make_api):
    running = make_api(per_minute=3)
    assert running.configure()['rate_limit']['mode'] == 'lenient'
    assert burst(running, 6) == [200, 200, 200, 429, 429, 429]
    assert running.sim.limiter.counted('test-token') == 3


def test_strict_mode_counts_refused_requests_against_the_minute(make_api):
    running = make_api(per_minute=3, rate_limit_mode='strict')
    assert burst(running, 6) == [200, 200, 200, 429, 429, 429]
    assert running.sim.limiter.counted('test-token') == 6
    refused = requests.get(running.base + '/v2/account', headers=TOKEN, timeout=5)
    assert refused.status_code == 429 and int(refused.headers['retry-after']) >= 59


def test_strict_mode_keeps_a_client_that_retries_at_once_out_until_it_waits(make_api):
    clock = [1000.0]
    running = make_api(per_minute=2, rate_limit_mode='strict')
    running.sim.limiter.clock = lambda: clock[0]
    assert burst(running, 2) == [200, 200]
    for unused in range(5):  # retrying every 20 s: each refusal renews the window
        clock[0] += 20
        assert burst(running, 1) == [429]
    clock[0] += 61
    assert burst(running, 1) == [200]


def test_the_mode_is_switched_through_the_control_api(make_api):
    running = make_api(per_minute=2)
    assert running.configure(rate_limit={'mode': 'strict'})['rate_limit']['mode'] == 'strict'
    assert burst(running, 4) == [200, 200, 429, 429]
    assert running.sim.limiter.counted('test-token') == 4
    bad = requests.post(running.base + '/_sim/config', json={'rate_limit': {'mode': 'harsh'}}, timeout=5)
    assert bad.status_code == 400 and 'mode' in bad.json()['message']


def test_a_head_is_recorded_without_the_body_it_did_not_send(make_api, tmp_path):
    record = tmp_path / 'head.jsonl'
    running = make_api(record_path=str(record))
    assert requests.head(running.base + '/v2/account', headers=TOKEN, timeout=5).status_code == 200
    line = json.loads(record.read_text().splitlines()[0])
    assert (line['method'], line['status'], line['response_body']) == ('HEAD', 200, None)
    assert running.stats()['requests'] == {'HEAD /v2/account': 1}
