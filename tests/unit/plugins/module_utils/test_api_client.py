# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

import pytest
import requests
from urllib3.exceptions import NewConnectionError

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import DigitalOceanAPIError, DigitalOceanClient

from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClock
from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.http_fakes import Reply, scripted_session

TOKEN = 'dop_v1_secret_token_value'
ERROR_503 = Reply(503, dict(id='service_unavailable', message='Try later.', request_id='r-503'))
ACTION = Reply(201, dict(action=dict(id=7, status='in-progress', type='reboot')))
DROPLET = Reply(200, dict(droplet=dict(id=1)))


def make_client(script, api_url='https://api.example.test/', token=TOKEN, **kwargs):
    clock = FakeClock()
    session, adapter = scripted_session(script, clock)
    client = DigitalOceanClient(api_url, token, session=session, sleep=clock.sleep, clock=clock, **kwargs)
    return client, adapter, clock


def refused():
    return requests.exceptions.ConnectionError(
        requests.packages.urllib3.exceptions.MaxRetryError(None, '/', NewConnectionError(None, 'refused')))


def test_get_retries_5xx_then_succeeds():
    client, session, clock = make_client([ERROR_503, ERROR_503, DROPLET])
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
    Reply(201, raw=b'{"action": {"id": 7'),
], ids=['5xx', 'dropped-connection', 'read-timeout', 'unreadable-2xx'])
def test_post_with_an_unknown_outcome_is_not_repeated(failure):
    client, session, clock = make_client([failure, ACTION])
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.post('/v2/droplets/1/actions', dict(type='reboot'))
    assert caught.value.outcome_unknown
    assert len(session.sent) == 1


def test_post_is_retried_after_429_honouring_retry_after():
    limited = Reply(429, dict(id='too_many_requests', message='API Rate limit exceeded.'), {'Retry-After': '3'})
    client, session, clock = make_client([limited, ACTION])
    assert client.post('/v2/droplets/1/actions', dict(type='reboot'))['action']['id'] == 7
    assert len(session.sent) == 2
    assert len(clock.sleeps) == 1 and 3.0 <= clock.sleeps[0] <= 3.3  # Retry-After, plus a little jitter
    assert client.stats['rate_limited'] == 1


def test_a_burst_429_costs_its_retry_after_and_no_pacing_on_top():
    # The burst limit answers with the hourly headers at remaining 0 and a reset an hour away; once
    # Retry-After has been waited out, those stale numbers must not also pace the retry.
    hour_away = str(int(time.time()) + 3600)
    limited = Reply(429, dict(id='too_many_requests', message='API Rate limit exceeded.'),
                    {'Retry-After': '5', 'ratelimit-remaining': '0', 'ratelimit-reset': hour_away,
                     'ratelimit-limit': '5000'})
    client, session, clock = make_client([limited, DROPLET])
    assert client.get('/v2/droplets/1') == dict(droplet=dict(id=1))
    assert len(clock.sleeps) == 1 and 5.0 <= clock.sleeps[0] <= 5.5


def test_an_hourly_429_waits_for_the_reset_once():
    soon = int(time.time()) + 30
    limited = Reply(429, dict(id='too_many_requests', message='API Rate limit exceeded.'),
                    {'ratelimit-remaining': '0', 'ratelimit-reset': str(soon), 'ratelimit-limit': '5000'})
    client, session, clock = make_client([limited, DROPLET])
    assert client.get('/v2/droplets/1') == dict(droplet=dict(id=1))
    assert len(clock.sleeps) == 1 and 28 <= clock.sleeps[0] <= 31


def limited(retry_after='1'):
    return Reply(429, dict(id='too_many_requests', message='API Rate limit exceeded.'), {'Retry-After': retry_after})


def test_429_is_retried_until_the_deadline_not_a_fixed_number_of_times():
    # Many forks sharing one token can meet the burst limit again and again; the API certainly did
    # not act, so the task keeps its place until its own wait_timeout rather than failing early.
    client, session, clock = make_client([limited()] * 10 + [DROPLET])
    client.deadline = clock.now + 60
    assert client.get('/v2/droplets/1') == dict(droplet=dict(id=1))
    assert len(session.sent) == 11


def test_429_retries_end_at_the_deadline():
    client, session, clock = make_client([limited()] * 50)
    client.deadline = clock.now + 5
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.get('/v2/droplets/1')
    assert caught.value.status == 429 and 'deadline set by wait_timeout' in caught.value.message
    assert 3 <= len(session.sent) <= 6 and clock.now <= client.deadline


def test_without_a_deadline_429_retries_are_bounded():
    client, session, clock = make_client([limited()] * 50)
    with pytest.raises(DigitalOceanAPIError):
        client.get('/v2/droplets/1')
    assert len(session.sent) == client.max_attempts


@pytest.mark.parametrize('retry_after', ['0', '-5', '0.01', '-inf'])
def test_a_retry_after_of_zero_or_less_still_waits_a_second(retry_after):
    # Retry-After: 0 made the client hammer the API (115 requests in 5 s).
    client, session, clock = make_client([limited(retry_after)] * 3 + [DROPLET])
    client.deadline = clock.now + 60
    client.get('/v2/droplets/1')
    assert len(clock.sleeps) == 3 and all(sleep >= 1.0 for sleep in clock.sleeps)


@pytest.mark.parametrize('retry_after', ['NaN', 'nan', 'soon', ''])
def test_an_unreadable_retry_after_falls_back_to_backoff(retry_after):
    client, session, clock = make_client([limited(retry_after), DROPLET])
    assert client.get('/v2/droplets/1') == dict(droplet=dict(id=1))
    assert len(clock.sleeps) == 1 and 0 < clock.sleeps[0] <= 30


def test_an_infinite_retry_after_fails_at_once_naming_the_deadline():
    client, session, clock = make_client([limited('inf'), DROPLET])
    client.deadline = clock.now + 10
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.get('/v2/droplets/1')
    assert caught.value.status == 429 and 'wait_timeout' in caught.value.message
    assert len(session.sent) == 1 and clock.sleeps == []


def test_retry_after_as_an_http_date_is_honoured():
    in_20_s = time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime(time.time() + 20))
    client, session, clock = make_client([limited(in_20_s), DROPLET])
    client.get('/v2/droplets/1')
    assert len(clock.sleeps) == 1 and 17 <= clock.sleeps[0] <= 23


def test_forks_told_the_same_retry_after_do_not_all_come_back_at_once():
    delays = set()
    for seed in range(5):
        client, session, clock = make_client([limited(), Reply(200, dict(ok=1))])
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
    client, session, clock = make_client([Reply(422, body)])
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.post('/v2/droplets/1/actions', dict(type='reboot'))
    assert caught.value.status == 422 and not caught.value.outcome_unknown
    assert caught.value.api_message == 'Droplet already has a pending event.'
    assert len(session.sent) == 1


def test_non_json_error_body_still_gives_a_clear_error():
    client, session, clock = make_client([Reply(404, raw=b'<html>nope</html>', headers={'x-request-id': 'r-html'})])
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


def test_pacing_spreads_requests_when_quota_is_nearly_spent():
    low = Reply(200, dict(ok=1), {'ratelimit-remaining': '2', 'ratelimit-reset': '4102444800', 'ratelimit-limit': '5000'})
    client, session, clock = make_client([low, Reply(200, dict(ok=2))])
    client.get('/v2/account')
    client.get('/v2/account')
    assert clock.sleeps and clock.sleeps[0] > 0


def test_pacing_never_sleeps_past_the_deadline():
    # ratelimit-remaining 1 with a reset far away made each request sleep 60 s, wait_timeout ignored.
    far = str(int(time.time()) + 3000)
    low = Reply(200, dict(ok=1), {'ratelimit-remaining': '1', 'ratelimit-reset': far, 'ratelimit-limit': '5000'})
    client, session, clock = make_client([low, Reply(200, dict(ok=2))])
    client.deadline = clock.now + 5
    client.get('/v2/account')
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.get('/v2/account')
    assert 'rate-limit reset' in caught.value.message and 'wait_timeout' in caught.value.message
    assert clock.sleeps == [] and len(session.sent) == 1


def test_the_api_message_in_an_error_is_bounded():
    client, session, clock = make_client([Reply(400, dict(id='bad_request', message='x' * 100000))])
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.get('/v2/droplets/1')
    assert len(caught.value.message) < 1000


def test_429s_within_a_deadline_do_not_use_up_the_retries_of_other_failures():
    # make bench, 200 forks without the shared directory, strict limiter: a GET met five 429s in a row,
    # then one dropped connection, and failed the host: 429s had counted against the six attempts.
    dropped = requests.exceptions.ConnectionError('Connection aborted: RemoteDisconnected')
    client, session, clock = make_client([limited()] * 8 + [dropped, ERROR_503, DROPLET])
    client.deadline = clock.now + 600
    assert client.get('/v2/droplets/1') == dict(droplet=dict(id=1))
    assert len(session.sent) == 11


def test_other_failures_still_give_up_after_six_attempts_between_429s():
    client, session, clock = make_client([limited(), ERROR_503] * 6)
    client.deadline = clock.now + 600
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.get('/v2/droplets/1')
    assert caught.value.status == 503 and len(session.sent) == 12
