# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

import pytest
import requests
from urllib3.exceptions import NewConnectionError

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import DigitalOceanAPIError, DigitalOceanClient

from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClock, FakeResponse, FakeSession

TOKEN = 'dop_v1_secret_token_value'
ERROR_503 = FakeResponse(503, dict(id='service_unavailable', message='Try later.', request_id='r-503'))
ACTION = FakeResponse(201, dict(action=dict(id=7, status='in-progress', type='reboot')))


def make_client(script):
    clock = FakeClock()
    session = FakeSession(script)
    client = DigitalOceanClient('https://api.example.test/', TOKEN, session=session, sleep=clock.sleep, clock=clock)
    return client, session, clock


def refused():
    return requests.exceptions.ConnectionError(
        requests.packages.urllib3.exceptions.MaxRetryError(None, '/', NewConnectionError(None, 'refused')))


def test_get_retries_5xx_then_succeeds():
    client, session, clock = make_client([ERROR_503, ERROR_503, FakeResponse(200, dict(droplet=dict(id=1)))])
    assert client.get('/v2/droplets/1') == dict(droplet=dict(id=1))
    assert len(session.sent) == 3
    assert client.stats['retries'] == 2
    assert len(clock.sleeps) == 2


def test_get_gives_up_with_the_api_details():
    client, session, clock = make_client([ERROR_503] * 6)
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.get('/v2/droplets/1')
    error = caught.value
    assert (error.status, error.error_id, error.api_message, error.request_id) == (503, 'service_unavailable', 'Try later.', 'r-503')
    assert 'HTTP 503' in error.message and 'Try later.' in error.message and 'r-503' in error.message
    assert len(session.sent) == 6


@pytest.mark.parametrize('failure', [
    ERROR_503,
    requests.exceptions.ConnectionError('Connection aborted: RemoteDisconnected'),
    requests.exceptions.ReadTimeout('read timed out'),
    FakeResponse(201, raw=b'{"action": {"id": 7'),
], ids=['5xx', 'dropped-connection', 'read-timeout', 'unreadable-2xx'])
def test_post_with_an_unknown_outcome_is_not_repeated(failure):
    client, session, clock = make_client([failure, ACTION])
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.post('/v2/droplets/1/actions', dict(type='reboot'))
    assert caught.value.outcome_unknown
    assert len(session.sent) == 1


def test_post_is_retried_after_429_honouring_retry_after():
    limited = FakeResponse(429, dict(id='too_many_requests', message='API Rate limit exceeded.'), {'Retry-After': '3'})
    client, session, clock = make_client([limited, ACTION])
    assert client.post('/v2/droplets/1/actions', dict(type='reboot'))['action']['id'] == 7
    assert len(session.sent) == 2
    assert len(clock.sleeps) == 1 and 3.0 <= clock.sleeps[0] <= 3.3  # Retry-After, plus a little jitter
    assert client.stats['rate_limited'] == 1


def test_a_burst_429_costs_its_retry_after_and_no_pacing_on_top():
    # The burst limit answers with the hourly headers at remaining 0 and a reset an hour away; once
    # Retry-After has been waited out, those stale numbers must not also pace the retry.
    hour_away = str(int(time.time()) + 3600)
    limited = FakeResponse(429, dict(id='too_many_requests', message='API Rate limit exceeded.'),
                           {'Retry-After': '5', 'ratelimit-remaining': '0', 'ratelimit-reset': hour_away,
                            'ratelimit-limit': '5000'})
    client, session, clock = make_client([limited, FakeResponse(200, dict(droplet=dict(id=1)))])
    assert client.get('/v2/droplets/1') == dict(droplet=dict(id=1))
    assert len(clock.sleeps) == 1 and 5.0 <= clock.sleeps[0] <= 5.5


def test_an_hourly_429_waits_for_the_reset_once():
    soon = int(time.time()) + 30
    limited = FakeResponse(429, dict(id='too_many_requests', message='API Rate limit exceeded.'),
                           {'ratelimit-remaining': '0', 'ratelimit-reset': str(soon), 'ratelimit-limit': '5000'})
    client, session, clock = make_client([limited, FakeResponse(200, dict(droplet=dict(id=1)))])
    assert client.get('/v2/droplets/1') == dict(droplet=dict(id=1))
    assert len(clock.sleeps) == 1 and 28 <= clock.sleeps[0] <= 31


LIMITED_1S = FakeResponse(429, dict(id='too_many_requests', message='API Rate limit exceeded.'), {'Retry-After': '1'})


def test_429_is_retried_until_the_deadline_not_a_fixed_number_of_times():
    # Many forks sharing one token can meet the burst limit again and again; the API certainly did
    # not act, so the task keeps its place until its own wait_timeout rather than failing early.
    client, session, clock = make_client([LIMITED_1S] * 10 + [FakeResponse(200, dict(droplet=dict(id=1)))])
    client.deadline = clock.now + 60
    assert client.get('/v2/droplets/1') == dict(droplet=dict(id=1))
    assert len(session.sent) == 11


def test_429_retries_end_at_the_deadline():
    client, session, clock = make_client([LIMITED_1S] * 50)
    client.deadline = clock.now + 5
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.get('/v2/droplets/1')
    assert caught.value.status == 429
    assert 3 <= len(session.sent) <= 6 and clock.now <= client.deadline


def test_without_a_deadline_429_retries_are_bounded():
    client, session, clock = make_client([LIMITED_1S] * 50)
    with pytest.raises(DigitalOceanAPIError):
        client.get('/v2/droplets/1')
    assert len(session.sent) == client.max_attempts


def test_forks_told_the_same_retry_after_do_not_all_come_back_at_once():
    delays = set()
    for seed in range(5):
        client, session, clock = make_client([LIMITED_1S, FakeResponse(200, dict(ok=1))])
        client._rng.seed(seed)
        client.get('/v2/account')
        delays.add(round(clock.sleeps[0], 6))
    assert len(delays) == 5 and all(1.0 <= delay <= 1.1 for delay in delays)


def test_post_is_retried_when_the_connection_was_refused():
    client, session, clock = make_client([refused(), ACTION])
    assert client.post('/v2/droplets/1/actions', dict(type='reboot'))['action']['id'] == 7
    assert len(session.sent) == 2


def test_4xx_is_not_retried_and_keeps_the_message():
    body = dict(id='unprocessable_entity', message='Droplet already has a pending event.', request_id='r-422')
    client, session, clock = make_client([FakeResponse(422, body)])
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.post('/v2/droplets/1/actions', dict(type='reboot'))
    assert caught.value.status == 422 and not caught.value.outcome_unknown
    assert caught.value.api_message == 'Droplet already has a pending event.'
    assert len(session.sent) == 1


def test_non_json_error_body_still_gives_a_clear_error():
    client, session, clock = make_client([FakeResponse(404, raw=b'<html>nope</html>', headers={'x-request-id': 'r-html'})])
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.get('/v2/droplets/9')
    assert caught.value.status == 404
    assert caught.value.request_id == 'r-html'
    assert 'not a DigitalOcean error object' in caught.value.message


def test_retry_stops_at_the_deadline():
    client, session, clock = make_client([ERROR_503] * 6)
    client.deadline = clock.now + 0.1
    with pytest.raises(DigitalOceanAPIError):
        client.get('/v2/droplets/1')
    assert len(session.sent) == 1


def test_pagination_follows_next_but_only_on_our_own_host():
    page1 = FakeResponse(200, dict(droplets=[dict(id=1)], links=dict(pages=dict(
        next='https://evil.example.test/v2/droplets?page=2&per_page=200&tag_name=web'))))
    page2 = FakeResponse(200, dict(droplets=[dict(id=2)], links=dict(pages=dict(prev='x'))))
    client, session, clock = make_client([page1, page2])
    assert [d['id'] for d in client.paginate('/v2/droplets', 'droplets', params=dict(tag_name='web'))] == [1, 2]
    assert session.sent[0][2] == dict(tag_name='web', per_page=200)
    assert session.sent[1][1] == 'https://api.example.test/v2/droplets'
    assert session.sent[1][2] == dict(page='2', per_page='200', tag_name='web')


def test_pagination_limit_stops_reading_pages():
    page1 = FakeResponse(200, dict(actions=[dict(id=1), dict(id=2)], links=dict(pages=dict(next='https://x/v2/actions?page=2'))))
    client, session, clock = make_client([page1])
    assert [a['id'] for a in client.paginate('/v2/actions', 'actions', limit=2)] == [1, 2]
    assert len(session.sent) == 1


def test_token_is_sent_but_never_in_an_error():
    client, session, clock = make_client([FakeResponse(401, dict(id='unauthorized', message='Unable to authenticate you'))])
    assert session.headers['Authorization'] == 'Bearer ' + TOKEN
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.get('/v2/account')
    assert TOKEN not in repr(caught.value.details()) and TOKEN not in caught.value.message


def test_pacing_spreads_requests_when_quota_is_nearly_spent():
    low = FakeResponse(200, dict(ok=1), {'ratelimit-remaining': '2', 'ratelimit-reset': '4102444800', 'ratelimit-limit': '5000'})
    client, session, clock = make_client([low, FakeResponse(200, dict(ok=2))])
    client.get('/v2/account')
    client.get('/v2/account')
    assert clock.sleeps and clock.sleeps[0] > 0
