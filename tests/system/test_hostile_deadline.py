"""The deadline is law: whatever the API does, the task ends within wait_timeout + timeout + 5 s."""

import time
from email.utils import formatdate

import pytest

from hostile_api import (answer, dribbled, dribbled_headers, endless_pages, looping_pages, quota_nearly_spent,
                         rate_limited)
from hostile_checks import api, run_checked  # noqa: F401 pylint: disable=unused-import


@pytest.mark.parametrize('module, args', [
    ('droplet_action', dict(droplet_name='web', type='power_off')),
    ('droplet_action_info', dict(droplet_name='web')),
], ids=['droplet_name-lookup', 'action_info'])
def test_endless_next_links_stop_at_the_deadline(api, module, args):
    # 880 to 1,800 GETs in 40 s with wait_timeout: 5.
    api.on('GET', '^/v2/droplets$', endless_pages())
    failed, result, seconds = run_checked(api, module=module, wait_timeout=2, timeout=1, **args)
    assert failed and 'deadline' in result['msg'] and 'wait_timeout' in result['msg']
    assert 2 <= len(api.requests) <= 500 and api.posts() == []


def test_a_next_link_that_loops_is_an_error_at_once(api):
    api.on('GET', '^/v2/droplets$', looping_pages())
    failed, result, seconds = run_checked(api, droplet_name='web', type='power_off')
    assert failed and 'already sent' in result['msg']
    assert len(api.requests) == 2 and seconds < 2


def test_a_body_dribbled_byte_by_byte_fails_after_timeout(api):
    droplet = api.seed()[0]
    api.on('GET', '^/v2/droplets/', dribbled(dict(droplet=droplet), 0.2))
    failed, result, seconds = run_checked(api, droplet_id=droplet['id'], type='power_off', timeout=1, wait_timeout=2)
    assert failed and 'within 1 s' in result['msg']
    assert api.posts() == []


def test_headers_dribbled_byte_by_byte_fail_after_timeout(api):
    droplet = api.seed()[0]
    api.on('GET', '^/v2/droplets/', dribbled_headers(0.2))
    failed, result, seconds = run_checked(api, droplet_id=droplet['id'], type='power_off', timeout=1, wait_timeout=2)
    assert failed and 'within 1 s' in result['msg']
    assert api.posts() == []


def test_a_quota_nearly_spent_with_a_far_reset_fails_at_once_saying_why(api):
    # ratelimit-remaining 1 with a far reset: 60 s sleeps, the POST at 120 s with wait_timeout 5,
    # and "Timed out after 0 s".
    droplet = api.seed()[0]
    quota_nearly_spent(api, remaining=1, reset_in=3000)
    failed, result, seconds = run_checked(api, droplet_id=droplet['id'], type='power_off', wait_timeout=5)
    assert failed and 'rate-limit reset' in result['msg'] and 'wait_timeout' in result['msg']
    assert seconds < 3 and api.posts() == []


@pytest.mark.parametrize('retry_after', ['0', '-3', '0.001', 'NaN', 'inf', 'Thu, 01 Jan 1970 00:00:00 GMT', 'later'])
def test_429_with_any_retry_after_keeps_within_the_deadline_and_the_rate(api, retry_after):
    # Retry-After 0 or negative: 115 requests in 5 s; NaN: a crash; an HTTP-date: ignored.
    droplet = api.seed()[0]
    api.on(None, '^/v2/', rate_limited(retry_after))
    failed, result, seconds = run_checked(api, droplet_id=droplet['id'], type='power_off', wait_timeout=3)
    assert failed and 'HTTP 429' in result['msg']
    assert len(api.requests) <= 8  # at most one every second or so (0.25 s is backoff's floor)


def test_429_with_an_http_date_retry_after_waits_until_then(api):
    droplet = api.seed()[0]

    def in_two_seconds(hostile, request):
        return rate_limited(formatdate(time.time() + 2, usegmt=True))(hostile, request)
    api.on('GET', '^/v2/droplets/', in_two_seconds, times=1)
    failed, result, seconds = run_checked(api, droplet_id=droplet['id'], type='power_off', wait_timeout=8)
    assert not failed, result['msg']
    gap = api.requests[1].at - api.requests[0].at
    assert 1.0 <= gap and len(api.posts()) == 1


def test_a_5xx_storm_ends_within_the_budget(api):
    droplet = api.seed()[0]
    api.on(None, '^/v2/', answer(503, dict(id='service_unavailable', message='Try later.')))
    failed, result, seconds = run_checked(api, droplet_id=droplet['id'], type='power_off', wait_timeout=2)
    assert failed and 'HTTP 503' in result['msg'] and api.posts() == []
