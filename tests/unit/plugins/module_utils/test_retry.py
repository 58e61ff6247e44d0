# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random

import pytest

from ansible_collections.oceanops.droplets.plugins.module_utils.retry import backoff_delay, poll_interval, server_requested_delay
from ansible_collections.oceanops.droplets.plugins.module_utils.timing import RATE_LIMIT_WAIT_CAP_SECONDS


def polls_until(length):
    """How many polls the schedule makes before it notices an action of ``length`` seconds ended."""
    elapsed, polls = 0.0, 0
    while elapsed < length:
        elapsed += poll_interval(elapsed)
        polls += 1
    return polls, elapsed - length


@pytest.mark.parametrize('elapsed', [0, 0.3, 1, 2.5, 5, 6, 10, 19.9, 20, 45, 120, 599, 600, 3600])
def test_poll_gap_never_exceeds_two_seconds_or_ten_percent(elapsed):
    assert 0 < poll_interval(elapsed) <= max(2.0, 0.1 * elapsed) + 1e-9


@pytest.mark.parametrize('length', [1, 5, 30, 300, 1800])
def test_finish_is_noticed_within_bound(length):
    late = polls_until(length)[1]
    assert late <= max(2.0, 0.1 * length)


def test_poll_count_grows_with_logarithm_of_length():
    p30 = polls_until(30)[0]
    p300 = polls_until(300)[0]
    p600 = polls_until(600)[0]
    p3000 = polls_until(3000)[0]
    # Ten times longer costs a roughly constant number of extra polls, not ten times as many.
    assert p300 - p30 < 30
    assert p300 < 60
    # Past ten minutes the gap is capped at 60 s: one request a minute.
    assert p3000 <= p600 + (3000 - 600) / 60.0 + 1


def test_backoff_is_jittered_and_capped():
    rng = random.Random(1)
    delays = [backoff_delay(attempt, rng) for attempt in range(12)]
    assert all(0 < d <= 30.0 for d in delays)
    assert len(set(round(d, 6) for d in delays)) == len(delays)
    assert backoff_delay(0, rng) <= 0.5


def test_retry_after_is_honoured_and_capped():
    assert server_requested_delay({'Retry-After': '7'}) == 7.0
    assert server_requested_delay({'Retry-After': '100000'}) == RATE_LIMIT_WAIT_CAP_SECONDS


def test_ratelimit_reset_used_only_when_quota_is_spent():
    headers = {'ratelimit-reset': '1012', 'ratelimit-remaining': '0'}
    assert server_requested_delay(headers, now=1000) == 12.0
    headers['ratelimit-remaining'] = '40'
    assert server_requested_delay(headers, now=1000) is None
    assert server_requested_delay({}, now=1000) is None


@pytest.mark.parametrize('value, expected', [
    ('0', 1.0), ('-5', 1.0), ('0.2', 1.0), ('2.5', 2.5), ('-inf', 1.0), ('inf', RATE_LIMIT_WAIT_CAP_SECONDS),
    ('1e400', RATE_LIMIT_WAIT_CAP_SECONDS),
])
def test_retry_after_seconds_are_kept_between_floor_and_cap(value, expected):
    # Retry-After 0 or negative gave no delay at all (115 requests in 5 s).
    assert server_requested_delay({'Retry-After': value}, now=1000) == expected


@pytest.mark.parametrize('value', ['NaN', 'nan', 'later', '', '  '])
def test_an_unreadable_retry_after_counts_as_absent(value):
    # NaN crashed the module.
    assert server_requested_delay({'Retry-After': value}, now=1000) is None


def test_retry_after_as_an_http_date():
    assert server_requested_delay({'Retry-After': 'Wed, 21 Oct 2015 07:28:30 GMT'}, now=1445412480) == 30.0
    assert server_requested_delay({'Retry-After': 'Wed, 21 Oct 2015 07:28:00 GMT'}, now=1445412480 + 50) == 1.0
