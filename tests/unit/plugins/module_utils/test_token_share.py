# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import random

import pytest

from ansible_collections.oceanops.droplets.plugins.module_utils._coordination import token_share
from ansible_collections.oceanops.droplets.plugins.module_utils.timing import (
    API_REQUESTS_PER_MINUTE, BUDGET_PER_MINUTE, TOKEN_SHARE_MIN_SHARE, TOKEN_SHARE_STEP)
from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClock

FLOOR = int(BUDGET_PER_MINUTE * TOKEN_SHARE_MIN_SHARE)


@pytest.fixture
def clock():
    return FakeClock()


def feed(share, state, clock, token, ours_each_second, others_each_second, seconds):
    """``seconds`` seconds of both sides sending evenly; ``token`` is the API's count of the hour (a list)."""
    for unused in range(seconds):
        for unused in range(others_each_second):
            token[0] += 1
        for unused in range(ours_each_second):
            token[0] += 1
            share.answered(state, 5000 - token[0])
        clock.now += 1


def test_without_samples_the_whole_budget_is_ours(clock):
    assert token_share.TokenShare(clock).allowance(token_share.empty(), BUDGET_PER_MINUTE) == BUDGET_PER_MINUTE


def test_a_lone_controller_sees_only_its_own_fall_and_keeps_the_whole_budget(clock):
    share, state, token = token_share.TokenShare(clock), token_share.empty(), [0]
    feed(share, state, clock, token, 3, 0, 30)
    assert share.minute(state) == (0, pytest.approx(87, abs=3))  # counted: 3 a second over the 29 s spanned
    assert share.allowance(state, BUDGET_PER_MINUTE) == BUDGET_PER_MINUTE
    assert share.spacing(BUDGET_PER_MINUTE, BUDGET_PER_MINUTE, 210) == 0.0  # alone: bursts as before


def test_the_fall_beyond_our_own_requests_is_the_others(clock):
    share, state, token = token_share.TokenShare(clock), token_share.empty(), [0]
    feed(share, state, clock, token, 1, 2, 30)
    others, ours = share.minute(state)
    assert ours == 29 and others == pytest.approx(2 * ours, rel=0.1)


def test_with_others_taking_the_room_our_allowance_falls_below_the_budget_and_is_spread_out(clock):
    share, state, token = token_share.TokenShare(clock), token_share.empty(), [0]
    feed(share, state, clock, token, 1, 3, 61)  # 60 + 180 a minute: over the 230 of the budget
    allowance = share.allowance(state, BUDGET_PER_MINUTE)
    assert FLOOR <= allowance < share.minute(state)[1]  # less than we send now: the token is over the budget
    assert share.spacing(allowance, BUDGET_PER_MINUTE, allowance - 5) == pytest.approx(60.0 / (allowance - 5))


def test_controllers_that_start_together_are_not_taken_for_a_minute_of_their_first_seconds(clock):
    """Four controllers start together, 5 requests a second each: the token's minute holds what they sent in those
    seconds (the hour says no more was sent before), and we keep our part of the room. Scaled to a minute, their
    first seconds read as 1,200 a minute, ours as 300: an allowance from such numbers is noise."""
    share, state, token = token_share.TokenShare(clock), token_share.empty(), [0]
    feed(share, state, clock, token, 5, 15, 5)
    others, ours = share.minute(state)
    assert ours == 20 and others == pytest.approx(80, abs=5)  # the 60 seen, and the 20 sent before our first answer
    room = BUDGET_PER_MINUTE - 20 - others - ours
    assert share.allowance(state, BUDGET_PER_MINUTE) >= ours + 0.8 * room / 4


def test_a_controller_joining_a_busy_token_adds_no_more_than_the_room_left_in_its_minute(clock):
    """Others have sent 3 a second for a minute when we start at 1 a second: after 15 s the token's minute holds
    about 195, and 15 of them are ours. Our first 15 s scaled to a minute (60) let us send 40 more, over the
    budget; counted, we keep what we sent and may add no more than the room (the floor aside)."""
    share, state, token = token_share.TokenShare(clock), token_share.empty(), [180]
    feed(share, state, clock, token, 1, 3, 15)
    others, ours = share.minute(state)
    assert ours == 14 and others == pytest.approx(180, abs=10)
    room = BUDGET_PER_MINUTE - 20 - 195
    assert share.allowance(state, BUDGET_PER_MINUTE) <= max(FLOOR, 15 + room + 3)


def test_a_controller_whose_others_went_quiet_takes_the_room_they_left_within_seconds(clock):
    """The others sent 3 a second and stopped 20 s ago; we still send. Their requests stay in the token's minute
    (and so out of the room), but the room left is ours to fill now, not in proportion to the last minute."""
    share, state, token = token_share.TokenShare(clock), token_share.empty(), [0]
    feed(share, state, clock, token, 1, 3, 40)
    feed(share, state, clock, token, 1, 0, 20)
    others, ours = share.minute(state)
    room = BUDGET_PER_MINUTE - 20 - others - ours
    assert room > 20 and share.recent_share(state) == 1.0
    assert share.allowance(state, BUDGET_PER_MINUTE) >= ours + room


def test_a_controller_held_back_with_turns_queued_grows_into_room_the_others_leave_unused(clock):
    """Scenario 8 (df16162): the controller that started first kept 0.66 of the room by its part of the last 15 s
    and used half of it, while the three others, their forks queued, were held at 28 to 49 a minute: split by who
    sends now, a controller held back sends little and so stays held back. With turns queued and room in the
    token's minute, our allowance grows a step every second, beyond our split, never beyond the room."""
    share, state, token = token_share.TokenShare(clock), token_share.empty(), [0]
    feed(share, state, clock, token, 1, 2, 20)
    split = share.allowance(state, BUDGET_PER_MINUTE)
    grown = []
    for unused in range(20):
        feed(share, state, clock, token, 1, 2, 1)
        grown.append(share.allowance(state, BUDGET_PER_MINUTE, queued=True))
    others, ours = share.minute(state)
    room = BUDGET_PER_MINUTE - 20 - others - ours
    assert grown == sorted(grown) and grown[-1] >= split + 20 * TOKEN_SHARE_STEP
    assert grown[-1] <= ours + room + 3
    assert share.allowance(state, BUDGET_PER_MINUTE) < grown[-1]  # nothing queued: our split, as before


def test_a_grown_allowance_falls_back_to_the_split_when_the_tokens_minute_has_no_room(clock):
    share, state, token = token_share.TokenShare(clock), token_share.empty(), [0]
    feed(share, state, clock, token, 1, 2, 20)
    for unused in range(20):
        feed(share, state, clock, token, 1, 2, 1)
        share.allowance(state, BUDGET_PER_MINUTE, queued=True)
    feed(share, state, clock, token, 1, 5, 30)  # the others now take more than the room
    others, ours = share.minute(state)
    assert BUDGET_PER_MINUTE - 20 - others - ours < 0
    assert share.allowance(state, BUDGET_PER_MINUTE, queued=True) == share.allowance(state, BUDGET_PER_MINUTE)


def test_beside_others_our_shared_rounds_are_rarer_by_the_tokens_rate_over_ours(clock):
    share, state, token = token_share.TokenShare(clock), token_share.empty(), [0]
    assert share.round_stretch(state) == 1.0
    feed(share, state, clock, token, 2, 0, 10)
    assert share.round_stretch(state) == 1.0  # alone: rounds as before
    feed(share, state, clock, token, 2, 2, 40)
    assert 1.5 < share.round_stretch(state) <= 2.0  # two alike: half as often
    feed(share, state, clock, token, 1, 20, 60)
    assert share.round_stretch(state) == 4.0  # at most TOKEN_SHARE_MAX_ROUND_STRETCH


def test_others_using_everything_leave_us_the_floor_never_nothing(clock):
    share, state, token = token_share.TokenShare(clock), token_share.empty(), [0]
    feed(share, state, clock, token, 1, 20, 20)
    assert share.allowance(state, BUDGET_PER_MINUTE) == FLOOR


def test_answers_read_out_of_order_do_not_show_a_phantom_controller(clock):
    share, state = token_share.TokenShare(clock), token_share.empty()
    counts = list(range(1, 121))  # our 120 requests, 4 a second, answers handled in a shuffled order
    rng = random.Random(7)
    for second in range(30):
        batch = counts[second * 4:second * 4 + 4]
        rng.shuffle(batch)
        for count in batch:
            share.answered(state, 5000 - count)
        clock.now += 1
    assert share.minute(state)[0] == 0
    assert share.allowance(state, BUDGET_PER_MINUTE) == BUDGET_PER_MINUTE


def test_a_429_or_an_answer_without_the_header_is_no_sample(clock):
    share, state = token_share.TokenShare(clock), token_share.empty()
    share.answered(state, None)
    share.answered(state, -1)
    assert state == token_share.empty()


def test_samples_spanning_less_than_the_minimum_say_nothing_yet(clock):
    share, state = token_share.TokenShare(clock), token_share.empty()
    share.answered(state, 4990)
    clock.now += 1
    share.answered(state, 4900)  # a huge fall, but within one second or so: a burst, not yet a rate
    assert share.minute(state) is None
    assert share.allowance(state, BUDGET_PER_MINUTE) == BUDGET_PER_MINUTE


def test_samples_older_than_the_window_are_forgotten(clock):
    share, state, token = token_share.TokenShare(clock), token_share.empty(), [0]
    feed(share, state, clock, token, 1, 5, 20)
    assert share.allowance(state, BUDGET_PER_MINUTE) < BUDGET_PER_MINUTE
    clock.now += 120
    state = token_share.validated(state, clock.now)
    assert state['seen'] == {} and share.allowance(state, BUDGET_PER_MINUTE) == BUDGET_PER_MINUTE


def test_the_hour_sliding_hides_requests_the_limitation_we_document(clock):
    """Requests that expire from the hour raise remaining: the others' rate is underestimated by theirs."""
    share, state = token_share.TokenShare(clock), token_share.empty()
    for second in range(30):  # others send 2 a second, while 2 a second from an hour ago expire
        share.answered(state, 4000 - second)
        clock.now += 1
    assert share.minute(state)[0] == 0


@pytest.mark.parametrize('stored', [
    {'answered': -1}, {'answered': 1.5}, {'answered': True}, {'answered': 'x'}, {'answered': 2 ** 60},
    {'seen': {'x': [1, 1]}}, {'seen': {'5': [1]}}, {'seen': {'5': [10 ** 12, 0]}}, {'seen': {'5': [1, 9]}},
    {'seen': []}, {'seen': {'5': None}}, {'seen': {'5': [1.0e400, 0]}}, {'seen': {'5': '12'}}, {'seen': {'5': [1, 2, 3]}}])
def test_a_value_we_never_write_is_refused(stored):
    with pytest.raises((ValueError, TypeError, AttributeError)):
        token_share.validated(stored, 1000.0)


def test_stored_samples_from_after_now_are_dropped_a_reboot_reset_the_clock():
    state = token_share.validated({'answered': 3, 'seen': {'5000': [10, 3], '990': [12, 1]}}, 1000.0)
    assert state == {'answered': 3, 'seen': {'990': [12, 1]}}


# -- several controllers at once: a model of the API's minute and each controller's budget ---------------
def controllers_on_one_token(wants, starts, seconds=300, strict=True, step=0.1):
    """Controllers (wanting ``wants[i]`` requests a second from ``starts[i]``) each gated as RequestBudget gates
    its forks: a sliding minute of its own under its allowance (grown while requests wait), single requests spaced
    as the share says, a
    shared read every 5 s (stretched as the share says) under its whole allowance; the
    API counts the token's minute (and, ``strict``, a refused request too). Each controller learns only from
    its own answers, read half a second late at most, in any order. Returns (admitted, refused, admitted in the
    last two minutes), per controller."""
    clock, rng = FakeClock(), random.Random(3)
    clock.now = 0.0
    count = len(wants)
    shares = [token_share.TokenShare(clock) for unused in range(count)]
    states = [token_share.empty() for unused in range(count)]
    own = [collections.deque() for unused in range(count)]
    minute, hour, answers = collections.deque(), [0], []
    admitted, refused, late, credit, hold, last, rounds = ([0] * count, [0] * count, [0] * count, [0.0] * count,
                                                           [0.0] * count, [-100.0] * count, [0.0] * count)
    while clock.now < seconds:
        now = clock.now
        while minute and minute[0] <= now - 60:
            minute.popleft()
        for due, index, remaining in [answer for answer in answers if answer[0] <= now]:
            answers.remove((due, index, remaining))
            shares[index].answered(states[index], remaining)
        for index in range(count):
            if now < starts[index] or now < hold[index]:
                continue
            credit[index] = min(credit[index] + wants[index] * step, 50)
            while own[index] and own[index][0] <= now - 61:
                own[index].popleft()
            allowance = shares[index].allowance(states[index], BUDGET_PER_MINUTE, queued=credit[index] >= 1)
            singles = allowance - 20 * allowance // BUDGET_PER_MINUTE
            spacing = shares[index].spacing(allowance, BUDGET_PER_MINUTE, singles)
            rounds[index] -= step
            while (credit[index] >= 1 and len(own[index]) < singles and now >= last[index] + spacing) or (
                    rounds[index] <= 0 and len(own[index]) < allowance):
                if rounds[index] <= 0:  # a shared read (a round of the waiting forks): it goes ahead of the queue
                    rounds[index] = 5.0 * shares[index].round_stretch(states[index])
                else:
                    credit[index] -= 1
                    last[index] = now
                own[index].append(now)
                if len(minute) >= API_REQUESTS_PER_MINUTE:
                    refused[index] += 1
                    if strict:
                        minute.append(now)
                    hold[index] = now + max(1.0, minute[len(minute) - API_REQUESTS_PER_MINUTE] + 60 - now)
                    break
                minute.append(now)
                hour[0] += 1
                admitted[index] += 1
                late[index] += now >= seconds - 120
                answers.append((now + rng.uniform(0, 0.5), index, 5000 - hour[0]))
        clock.now = round(now + step, 3)
    return admitted, refused, late


@pytest.mark.parametrize('wants, starts, seconds', [
    ([5, 5], [0, 0], 300), ([5, 5, 5, 5], [0, 0, 0, 0], 300), ([10, 1, 5, 5], [0, 0, 0, 0], 300),
    ([5, 5], [0, 30], 600)])  # the first one alone for 30 s: it holds most of the minute, and gives it up slowly
def test_controllers_on_one_token_share_it_without_starving_or_overrunning(wants, starts, seconds):
    admitted, refused, late = controllers_on_one_token(wants, starts, seconds)
    assert sum(refused) <= 0.01 * sum(admitted)  # issue 17: at most 1 % refused
    fair = BUDGET_PER_MINUTE * 2.0 / len(wants)  # the last two minutes, evenly split
    for index, want in enumerate(wants):
        assert late[index] >= 0.5 * min(fair, want * 120.0), (admitted, refused, late)
    assert sum(late) >= 0.7 * min(BUDGET_PER_MINUTE * 2.0, sum(wants) * 120.0)  # not starved together either
