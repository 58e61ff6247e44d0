# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random

import pytest

from ansible_collections.oceanops.droplets.plugins.module_utils._coordination import adaptive_schedule as schedule_module
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.adaptive_schedule import AdaptiveSchedule
from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClock


def make(clock=None, seed=1):
    clock = clock or FakeClock()
    return clock, AdaptiveSchedule(clock=clock, rng=random.Random(seed))


def test_starts_at_the_normal_schedule():
    unused, schedule = make()
    assert schedule.factor() == 1.0


def test_a_429_doubles_the_factor_and_more_429s_keep_multiplying_up_to_the_cap():
    unused, schedule = make()
    schedule.observe(429)
    assert schedule.factor() == 2.0
    schedule.observe(429)
    assert schedule.factor() == 4.0
    for unused in range(10):
        schedule.observe(429)
    assert schedule.factor() == schedule_module.MAX_FACTOR


def test_recovery_is_additive_and_slow():
    clock, schedule = make()
    for unused in range(3):
        schedule.observe(429)
    assert schedule.factor() == 8.0
    clock.now += 10
    assert schedule.factor() == pytest.approx(8.0 - 10 * schedule_module.RECOVERY_PER_SECOND)
    clock.now += 1000
    assert schedule.factor() == 1.0  # never faster than the normal schedule


def test_successful_answers_do_not_undo_a_429_at_once():
    clock, schedule = make()
    schedule.observe(429)
    for unused in range(50):
        schedule.observe(200, remaining=4000)
    assert schedule.factor() == 2.0


def test_remaining_falling_faster_than_the_burst_limit_slows_down_without_a_429():
    clock, schedule = make()
    remaining = 5000
    for unused in range(7):  # 20 requests a second seen over 6 s: far above 250 a minute
        schedule.observe(200, remaining=remaining)
        clock.now += 1
        remaining -= 20
    # slowed at 5 s, then two seconds of recovery
    assert schedule.factor() == pytest.approx(schedule_module.SLOW_DOWN_ON_DRAIN - 2 * schedule_module.RECOVERY_PER_SECOND)


def test_remaining_falling_slowly_changes_nothing():
    clock, schedule = make()
    remaining = 5000
    for unused in range(30):  # 1 request a second
        schedule.observe(200, remaining=remaining)
        clock.now += 1
        remaining -= 1
    assert schedule.factor() == 1.0


def test_a_fast_drain_slows_down_once_per_cooldown_not_on_every_sample():
    clock, schedule = make()
    remaining = 5000
    for unused in range(10):  # 9 s at 20 a second: slowed at 5 s, cooldown until 10 s
        schedule.observe(200, remaining=remaining)
        clock.now += 1
        remaining -= 20
    assert schedule.slow_downs == 1


def test_first_429_waits_retry_after_plus_at_most_one_second():
    unused, schedule = make()
    schedule.observe(429)
    delays = [schedule.retry_delay(30.0) for unused in range(200)]
    assert min(delays) >= 30.0
    assert max(delays) <= 31.0


def test_consecutive_429s_wait_longer_than_a_short_retry_after_and_spread():
    unused, schedule = make()
    for unused in range(5):
        schedule.observe(429)
    delays = [schedule.retry_delay(1.0) for unused in range(200)]
    assert min(delays) >= 16.0  # 1 s * 2 ** 4
    assert max(delays) <= 24.0
    assert max(delays) - min(delays) > 4.0  # jitter spreads a crowd out


def test_retry_delay_never_less_than_asked_even_over_the_cap():
    unused, schedule = make()
    for unused in range(20):
        schedule.observe(429)
    assert schedule.retry_delay(300.0) >= 300.0
    assert schedule.retry_delay(None) <= schedule_module.RATE_LIMIT_WAIT_CAP_SECONDS


def test_a_success_ends_the_run_of_429s():
    unused, schedule = make()
    schedule.observe(429)
    schedule.observe(429)
    schedule.observe(200)
    schedule.observe(429)
    assert schedule.retry_delay(2.0) <= 2.2


def test_a_429_without_retry_after_still_waits_and_spreads():
    unused, schedule = make()
    schedule.observe(429)
    delays = [schedule.retry_delay(None) for unused in range(200)]
    assert min(delays) >= 1.0 and max(delays) <= 1.5 and max(delays) > min(delays)
