# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A hold another task left in the shared budget costs a task no more than the API asks of it (issue 19)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

import pytest
import requests

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import DigitalOceanAPIError, DigitalOceanClient
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.budget import RequestBudget
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.gate import RequestGate
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.names import budget_key
from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.http_fakes import Reply, scripted_session
from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.test_coordination import (  # noqa: F401 pylint: disable=unused-import
    clock, shared_dir)

TOKEN = 'dop_v1_' + 'b' * 64
URL = 'https://api.example.test'
TOO_MANY = dict(id='too_many_requests', message='API Rate limit exceeded.')


def task(shared_dir, clock, script=()):
    """One task's client on the token's shared budget (another task: another call)."""
    budget = RequestBudget(shared_dir, budget_key(URL, TOKEN), clock=clock, sleep=clock.sleep)
    client = DigitalOceanClient(URL, TOKEN, session=scripted_session(list(script), clock)[0], sleep=clock.sleep,
                                clock=clock)
    client.gate = RequestGate(budget, clock=clock)
    client.deadline = clock.now + 600
    return client


def hold_left_by_another_task(shared_dir, clock, retry_after='999999'):
    other = task(shared_dir, clock, [Reply(429, TOO_MANY, {'Retry-After': retry_after})])
    other.deadline = clock.now + 3
    with pytest.raises(DigitalOceanAPIError):
        other.get('/v2/account')


def test_a_hold_another_task_left_costs_one_probe_not_its_length(shared_dir, clock):
    # Before: the next task slept 120 s (the capped Retry-After of another task's 429) before its first request.
    hold_left_by_another_task(shared_dir, clock)
    mine = task(shared_dir, clock, [Reply(200, dict(account=dict(uuid='u')))])
    started = clock.now
    assert mine.get('/v2/account') == dict(account=dict(uuid='u'))
    assert clock.now - started == 0.0
    assert mine.stats['requests'] == 1


def test_after_the_probe_a_task_waits_what_the_api_asks_of_it_not_the_inherited_hold(shared_dir, clock):
    hold_left_by_another_task(shared_dir, clock)
    mine = task(shared_dir, clock, [Reply(429, TOO_MANY, {'Retry-After': '3'}), Reply(200, dict(ok=True))])
    started = clock.now
    assert mine.get('/v2/account') == dict(ok=True)
    assert 3.0 <= clock.now - started <= 3.4  # its own 429's Retry-After and jitter; before: 120 s, then 3 more
    assert mine.stats['requests'] == 2


def test_a_failure_after_an_inherited_hold_says_how_much_time_went_to_it(shared_dir, clock):
    hold_left_by_another_task(shared_dir, clock)
    mine = task(shared_dir, clock, [Reply(429, TOO_MANY, {'Retry-After': '999999'})])
    mine.deadline = clock.now + 60
    with pytest.raises(DigitalOceanAPIError) as failure:
        mine.get('/v2/account')
    note = mine.gate.hold_note()
    assert 'would pass the task deadline' in failure.value.message
    assert 'hold set by another task' in note and 'spent 0.0 s waiting on it' in note


def test_a_task_keeps_to_the_hold_its_own_429_set(shared_dir, clock):
    mine = task(shared_dir, clock, [Reply(429, TOO_MANY, {'Retry-After': '10'}), Reply(200, dict(ok=True))])
    started = clock.now
    assert mine.get('/v2/account') == dict(ok=True)
    assert clock.now - started >= 10.0
    assert mine.gate.hold_note() == ''


def test_a_probe_that_got_no_answer_taught_nothing_and_the_retry_probes_again(shared_dir, clock):
    hold_left_by_another_task(shared_dir, clock)
    mine = task(shared_dir, clock, [requests.exceptions.ConnectionError('reset'), Reply(200, dict(ok=True))])
    started = clock.now
    assert mine.get('/v2/account') == dict(ok=True)
    assert clock.now - started < 30  # the retry's backoff, not the 120 s hold
    assert mine.stats['requests'] == 2


def test_the_other_threads_of_the_task_wait_for_the_probes_answer_not_for_the_hold(shared_dir, clock):
    hold_left_by_another_task(shared_dir, clock)
    probe_sent, answered_at = threading.Event(), []

    def slow_probe(request):
        probe_sent.set()
        time.sleep(0.3)
        answered_at.append(time.monotonic())
        return Reply(200, dict(ok=True))

    def second(request):
        sent_at.append(time.monotonic())
        return Reply(200, dict(ok=True))
    sent_at = []
    mine = task(shared_dir, clock, [slow_probe, second])
    started = clock.now
    prober = threading.Thread(target=mine.get, args=('/v2/account',))
    prober.start()
    probe_sent.wait(5)
    assert mine.get('/v2/account') == dict(ok=True)
    prober.join(5)
    assert sent_at[0] >= answered_at[0]  # the second request waited for the probe's answer
    assert clock.now - started < 1.0  # and then for nothing more: the probe lifted the hold
