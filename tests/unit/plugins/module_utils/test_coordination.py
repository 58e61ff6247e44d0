# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import multiprocessing
import os
import shutil
import signal
import stat
import threading
import time

import pytest

from ansible_collections.oceanops.droplets.plugins.module_utils import timing
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination import coordinator as coordinator_module
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination import directory as directory_module
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.budget import RequestBudget
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.coordinator import (
    Coordinator, coordinator_for)
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.directory import (
    clean_stale, default_directory, private_directory)
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.names import Names, budget_key
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.shared_reads import (
    Shared, SharedReads, compact_actions_page, compact_droplets_page)
from ansible_collections.oceanops.droplets.plugins.module_utils.reading import OwnReads, Read, reads_for
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.directory import LockTimeout, PrivateDirectory
from ansible_collections.oceanops.droplets.plugins.module_utils.waiter import WaitTimeout, Waiter
from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClock
from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.http_fakes import Reply, scripted_session

TOKEN = 'dop_v1_' + 'a' * 64
URL = 'https://api.digitalocean.com'
NAMES = Names(budget_key(URL, TOKEN))
P1 = NAMES.key + '.p1'  # a shared result's base name


@pytest.fixture
def clock():
    fake = FakeClock()
    fake.now = 1700000000.0  # wall time: slots are whole seconds and minutes of it
    return fake


@pytest.fixture
def shared_dir(tmp_path):
    path = str(tmp_path / 'shared')
    found, reason = private_directory(path)
    assert found is not None and found.path == path, reason
    found.close()
    return path


def budget(directory, clock, **kwargs):
    return RequestBudget(directory, budget_key(URL, TOKEN), clock=clock, sleep=clock.sleep, **kwargs)


# -- key and directory ---------------------------------------------------------------------------
def test_key_depends_on_token_and_url_and_shows_neither():
    key = budget_key(URL, TOKEN)
    assert key == budget_key(URL + '/', TOKEN)
    assert key != budget_key(URL, TOKEN + 'b')
    assert key != budget_key('http://127.0.0.1:8080', TOKEN)
    assert len(key) == 32 and TOKEN not in key and 'digitalocean' not in key


def test_directory_is_created_private(tmp_path):
    path = str(tmp_path / 'new')
    found, reason = private_directory(path)
    assert found is not None and found.path == path, reason
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o700


def test_directory_open_to_others_is_refused(tmp_path):
    path = str(tmp_path / 'open')
    os.mkdir(path)
    os.chmod(path, 0o755)
    found, reason = private_directory(path)
    assert found is None and 'mode 755' in reason


def test_directory_of_another_user_is_refused(tmp_path, monkeypatch):
    path = str(tmp_path / 'theirs')
    os.mkdir(path, 0o700)
    if os.geteuid() == 0:
        os.chown(path, 4242, -1)
    else:  # only root can give a directory away: be someone else instead
        real_uid = os.geteuid()
        monkeypatch.setattr(directory_module.os, 'geteuid', lambda: real_uid + 4242)
    found, reason = private_directory(path)
    assert found is None and 'another user' in reason


def test_symlinked_directory_is_refused(tmp_path):
    target = str(tmp_path / 'target')
    os.mkdir(target, 0o700)
    link = str(tmp_path / 'link')
    os.symlink(target, link)
    found, reason = private_directory(link)
    assert found is None and 'symbolic link' in reason


def test_default_directory_prefers_the_variable_then_xdg_runtime_dir_then_a_per_user_temp_dir(tmp_path):
    assert default_directory({'OCEANOPS_SHARED_DIR': '/x/y'}) == '/x/y'
    assert default_directory({'XDG_RUNTIME_DIR': str(tmp_path)}) == str(tmp_path / 'oceanops-droplets')
    assert default_directory({}).endswith('oceanops-droplets-shared-%d' % os.geteuid())


# -- the budget, fake clock ----------------------------------------------------------------------
def test_budget_lets_a_burst_under_the_minute_limit_through_at_once(shared_dir, clock):
    shared = budget(shared_dir, clock)
    for unused in range(210):
        assert shared.take(60) is True
    assert clock.sleeps == []


def test_over_the_minute_limit_a_request_waits_until_the_oldest_second_has_left_the_window(shared_dir, clock):
    shared = budget(shared_dir, clock)
    for unused in range(210):
        shared.take(60)
    assert shared.take(120) is True
    assert clock.sleeps == [pytest.approx(61.0)]
    # in any 60 s, never more than the budget
    assert shared.reserve(1000) == pytest.approx(0.0)


def test_two_processes_share_one_budget_file(shared_dir, clock):
    first, second = budget(shared_dir, clock), budget(shared_dir, clock)
    for unused in range(200):
        first.take(60)
    for unused in range(10):
        second.take(60)
    assert clock.sleeps == []
    assert second.reserve(1000) > 60.0


def test_queued_requests_get_turns_in_order_not_all_at_the_same_moment(shared_dir, clock):
    shared = budget(shared_dir, clock, per_minute=20)  # 10 a minute for single requests
    turns = [shared.reserve(1000) for unused in range(30)]
    assert turns == sorted(turns)
    assert turns[9] == 0.0 and turns[10] == pytest.approx(61.0) and turns[20] == pytest.approx(122.0)


def test_a_turn_later_than_the_deadline_is_not_taken_nor_counted(shared_dir, clock):
    shared = budget(shared_dir, clock, per_minute=4)  # 2 a minute for single requests
    shared.take(10)
    shared.take(10)
    assert shared.take(10) is False
    assert clock.sleeps == []
    clock.now += 61
    assert shared.reserve(0) == 0.0  # the refused take did not use the slot
    assert shared.reserve(0) == 0.0


def test_hourly_limit_holds_over_many_minutes(shared_dir, clock):
    shared = budget(shared_dir, clock, per_minute=120, per_hour=300)
    for minute in range(3):
        for unused in range(100):
            assert shared.reserve(1) == 0.0
        clock.now += 61
    wait = shared.reserve(10000)
    assert wait > 3000  # the first minute's requests leave the hour window only after an hour


def test_a_shared_read_goes_ahead_of_the_queue_within_the_reserve(shared_dir, clock):
    shared = budget(shared_dir, clock)
    for unused in range(215):  # 210 at once, 5 queued for the next minute
        shared.reserve(1000)
    assert shared.reserve(1000, priority=True) == 0.0
    assert shared.reserve(1000) == pytest.approx(61.0)  # the queue is where it was


def test_shared_reads_get_no_more_than_the_reserve(shared_dir, clock):
    shared = budget(shared_dir, clock)
    for unused in range(210):
        shared.reserve(1000)
    waits = [shared.reserve(1000, priority=True) for unused in range(21)]
    assert waits[:20] == [0.0] * 20 and waits[20] == pytest.approx(61.0)


def test_a_shared_read_respects_every_minute_window_it_falls_in(shared_dir, clock):
    shared = budget(shared_dir, clock, per_minute=10)
    with open(shared.path, 'w') as handle:  # ten requests already placed 30 s from now
        json.dump(dict(sec={str(int(clock.now) + 30): 10}, min={}, last=0.0, hold_until=0.0), handle)
    assert shared.reserve(1000, priority=True) == pytest.approx(91.0)


def test_a_429_holds_every_process_off_for_its_retry_after(shared_dir, clock):
    first, second = budget(shared_dir, clock), budget(shared_dir, clock)
    first.hold_off(20)
    assert second.reserve(100) == pytest.approx(20.0)


@pytest.mark.parametrize('content', [
    '{"sec": {"x": ', '{"sec": {"1700000000": Infinity}}', '{"sec": {"1700000000": 1e400}}', '{"last": NaN}', '{"shared_turn": Infinity}',
    '{"share": {"grant": [1e400, 1]}}', '{"share": {"grant": "x"}}', '{"booked": [[Infinity, 1, 1]]}',
    '{"booked": [[1700000001, 99999999999, 1]]}', '{"booked": "garbage"}', '{"came": NaN}',
    '{"pids": {"99999999999999999999": 1700000000.0}}', '{"pids": {"-1": 1}}', '[1, 2]', '{"sec": "garbage"}',
    '{"share": {"answered": -1}}', '{"share": {"seen": {"1700000000": [Infinity, 0]}}}', '{"share": "garbage"}',
    '{"share": {"seen": {"1700000000": [4000, 99]}, "answered": 3}}'])
def test_a_damaged_budget_file_turns_sharing_off_with_a_warning_not_a_traceback(shared_dir, clock, content):
    shared = budget(shared_dir, clock)
    with open(shared.path, 'w') as handle:
        handle.write(content)
    warnings = []
    coordinator = Coordinator(Names(budget_key(URL, TOKEN)), shared, reader(shared_dir, clock), clock=clock,
                              warn=warnings.append)
    coordinator.gate.before_request(clock.now + 10)
    assert coordinator.crowded() is False and not coordinator.shared()
    assert len(warnings) == 1 and 'the shared budget failed' in warnings[0]
    assert budget(shared_dir, clock).reserve(1) == 0.0  # emptied for the tasks after this one


def test_budget_file_holds_counts_only(shared_dir, clock):
    shared = budget(shared_dir, clock)
    shared.take(1)
    shared.hold_off(1)
    with open(shared.path) as handle:
        assert set(json.load(handle)) == {'sec', 'min', 'last', 'came', 'spacing', 'booked', 'hold_until', 'hold_from',
                                          'shared_turn', 'pids', 'share'}


# -- other controllers on the token (token_share): the hook ------------------------------------------------
def test_every_answer_but_a_429_is_a_sample_in_the_budget_file_for_all_our_forks(shared_dir, clock):
    first, second = budget(shared_dir, clock), budget(shared_dir, clock)
    coordinator = Coordinator(NAMES, budget=first, reads=reader(shared_dir, clock), clock=clock)
    coordinator.gate.observe(200, {'ratelimit-remaining': '4990'})
    coordinator.gate.observe(429, {'ratelimit-remaining': '0', 'retry-after': '5'})
    coordinator.gate.observe(404, {})
    clock.now += 3
    coordinator.gate.observe(200, {'ratelimit-remaining': '4900'})
    with open(second.path) as handle:
        share = json.load(handle)['share']
    assert share == {'answered': 2, 'seen': {str(int(clock.now) - 3): [4990, 1], str(int(clock.now)): [4900, 2]}}
    assert coordinator.shared()


def test_another_controllers_requests_seen_in_the_fall_slow_our_turns(shared_dir, clock):
    alone, beside = budget(shared_dir, clock), budget(private_directory(shared_dir + '-2')[0], clock)
    _busy_token(beside, clock)
    waits = [beside.reserve(1000) for unused in range(30)]
    assert waits[0] == 0.0 and waits[-1] > 20.0  # spread out over our share, not a burst of 30
    assert waits == sorted(waits)
    assert [alone.reserve(1000) for unused in range(30)] == [0.0] * 30  # the budget with no such fall: a burst
    for crowd in (alone, beside):
        crowd.others_active = lambda: 49  # 50 forks on each controller
    coordinator, lone = Coordinator(NAMES, budget=beside, clock=clock), Coordinator(NAMES, budget=alone, clock=clock)
    assert lone.round_seconds() == 5.0 and coordinator.round_seconds() == 20.0  # the others' rate is 9 x ours
    waiting_fork = budget(beside.directory, clock)  # took no turn since: the same stretch
    waiting_fork.others_active = lambda: 49
    assert Coordinator(NAMES, budget=waiting_fork, clock=clock).round_seconds() == 20.0


def test_beside_other_controllers_shared_reads_stay_within_our_allowance_too(shared_dir, clock):
    # Scenario 8 (4 controllers, strict limiter, at 3814705): shared reads went ahead under the whole budget, and
    # four allowances plus four controllers' rounds went over the API's minute: 72 x 429.
    beside = budget(private_directory(shared_dir + '-2')[0], clock)
    _busy_token(beside, clock)
    allowance = beside.token_share.allowance(_stored_share(beside), beside.per_minute)
    assert allowance < beside.per_minute // 2
    waits = [beside.reserve(1000, priority=True) for unused in range(allowance + 1)]
    assert waits[-1] > 30.0  # the reads past our allowance wait for the minute, as single requests would
    assert sum(1 for wait in waits if wait < 1.0) <= allowance


def test_a_turn_booked_while_the_token_was_busy_comes_sooner_once_the_others_leave_room(shared_dir, clock):
    # Scenario 8 (4 controllers, 5ff72d2): a controller whose share started small booked its forks' turns one every
    # 2.3 s, up to two minutes ahead; the others finished and the token's minute emptied, yet the turns kept
    # their places: the run took 160 to 183 s where one controller takes 105 s.
    beside = budget(private_directory(shared_dir + '-2')[0], clock)
    remaining = [_busy_token(beside, clock)]

    def our_answer():
        remaining[0] -= 1
        beside.answered(remaining[0])

    booked = [beside.reserve(1000) for unused in range(60)]  # our other forks book their turns at our small allowance
    assert booked[-1] > 120.0
    fork = budget(beside.directory, clock)  # the last in the queue

    def others_quiet(seconds):  # the others are done: only our answers, one a second, while the fork waits
        for unused in range(int(seconds)):
            clock.now += 1
            our_answer()
        clock.now += seconds - int(seconds)

    fork._sleep = others_quiet
    started = clock.now
    assert fork.take(1000)
    # Their requests leave the token's minute 60 s on: the rest of the queue goes as the whole budget allows.
    assert clock.now - started < 75.0 < booked[-1]


def test_a_budget_file_damaged_while_a_fork_waits_for_its_booked_turn_costs_it_none_of_its_wait(shared_dir, clock):
    beside = budget(private_directory(shared_dir + '-2')[0], clock)
    _busy_token(beside, clock)
    booked = [beside.reserve(1000) for unused in range(30)]
    fork = budget(beside.directory, clock)

    def damaged(seconds):
        with open(fork.path, 'w') as handle:
            handle.write('{"booked": "garbage"}')
        clock.sleep(seconds)

    fork._sleep = damaged
    started = clock.now
    with pytest.raises(OSError):  # the gate turns sharing off (test_a_damaged_budget_file_turns_sharing_off...)
        fork.take(1000)
    assert clock.now - started > booked[-1]


def test_a_queue_planned_again_keeps_its_order_and_the_minute_limit_and_no_turn_goes_later(shared_dir, clock):
    beside = budget(private_directory(shared_dir + '-2')[0], clock)
    remaining = _busy_token(beside, clock)
    for unused in range(80):
        beside.reserve(1000)
    before = _stored_state(beside)['booked']
    for unused in range(45):  # the others send less: our spacing shrinks, the minute is not empty yet
        remaining -= 2
        beside.answered(remaining)
        clock.now += 1
    ticket = before[-1][1:]
    beside._booked_wait(ticket)
    state = _stored_state(beside)
    after = dict((tuple(entry[1:]), entry[0]) for entry in state['booked'])
    before = [entry for entry in before if tuple(entry[1:]) in after]  # the rest came while the others slowed
    assert len(before) > 20 and [tuple(entry[1:]) for entry in state['booked']] == [tuple(entry[1:]) for entry in before]
    assert all(after[tuple(entry[1:])] <= entry[0] for entry in before)
    assert sum(after[tuple(entry[1:])] < entry[0] - 1.0 for entry in before) > 10  # the queue moved up
    singles = beside.per_minute - timing.SHARED_READ_RESERVE
    seconds = dict((int(second), count) for second, count in state['sec'].items())
    assert max(sum(seconds.get(end - back, 0) for back in range(61)) for end in seconds) <= singles


def test_turns_booked_by_processes_that_ended_are_taken_back(shared_dir, clock):
    # A play stopped with Ctrl-C (or forks killed at their task's timeout) beside other controllers: the turns its
    # forks had booked ahead kept their places until they passed, and the next play's forks queued behind them.
    beside = budget(private_directory(shared_dir + '-2')[0], clock)
    _busy_token(beside, clock)
    booked = [beside.reserve(1000) for unused in range(30)]
    assert booked[-1] > 40.0
    ended = _ended_pid()
    state = _stored_state(beside)
    state['booked'] = [[turn, ended, serial] for turn, pid, serial in state['booked']]
    with open(beside.path, 'w') as handle:
        json.dump(state, handle)
    assert beside.reserve(1000) == pytest.approx(booked[1])  # the next play's first turn: as if nothing were queued
    assert all(pid != ended for turn, pid, serial in _stored_state(beside)['booked'])


def _ended_pid():
    """The pid of a child process that has ended (and been reaped): no process has it."""
    child = multiprocessing.get_context('fork').Process(target=os._exit, args=(0,))
    child.start()
    child.join()
    return child.pid


def _stored_state(shared):
    with open(shared.path) as handle:
        return json.load(handle)


def _busy_token(beside, clock, remaining=5000):
    """20 s of samples: each second one answer of ours, while other controllers send 9. Returns the last remaining."""
    for unused in range(20):
        remaining -= 10
        beside.answered(remaining)
        clock.now += 1
    return remaining


def _stored_share(shared):
    with open(shared.path) as handle:
        return json.load(handle)['share']


# -- shared reads, fake clock --------------------------------------------------------------------
def reader(shared_dir, clock):
    return SharedReads(shared_dir, clock=clock, sleep=clock.sleep)


def coordinated(shared_dir, clock, warn=None):
    """A Coordinator on the shared directory, as coordinator_for makes it, on the fake clock."""
    return Coordinator(Names(budget_key(URL, TOKEN)), budget(shared_dir, clock), reader(shared_dir, clock),
                       clock=clock, warn=warn)


def test_a_fresh_result_is_read_once_for_every_process(shared_dir, clock):
    fetched = []
    first, second = reader(shared_dir, clock), reader(shared_dir, clock)
    assert first.read(P1, lambda: fetched.append(1) or {'n': 1}, max_age=2).value == {'n': 1}
    clock.now += 1.5
    assert second.read(P1, lambda: fetched.append(2) or {'n': 2}, max_age=2).value == {'n': 1}
    assert fetched == [1] and second.hits == 1


def test_a_result_older_than_max_age_is_read_again(shared_dir, clock):
    first = reader(shared_dir, clock)
    first.read(P1, lambda: {'n': 1}, max_age=2)
    clock.now += 2.5
    assert first.read(P1, lambda: {'n': 2}, max_age=2).value == {'n': 2}


def test_a_result_read_before_not_before_is_not_used(shared_dir, clock):
    first = reader(shared_dir, clock)
    first.read(P1, lambda: {'n': 1}, max_age=10)
    clock.now += 1
    assert first.read(P1, lambda: {'n': 2}, max_age=10, not_before=clock.now - 0.5).value == {'n': 2}


def test_a_result_stored_later_than_now_is_stale_not_fresh(shared_dir, clock):
    # A negative age: the clock went back (or the result is another boot's). It must not look 25 s fresher.
    first = reader(shared_dir, clock)
    first.read(P1, lambda: {'n': 1}, max_age=20)
    clock.now -= 25
    assert first.read(P1, lambda: {'n': 2}, max_age=20).value == {'n': 2}


def test_every_local_age_is_measured_on_the_monotonic_clock(tmp_path):
    # A wall clock step (NTP, a resumed VM) made pages 25 s old look fresh and the budget sleep 300 s.
    coordinator = coordinator_for(URL, TOKEN, env={'OCEANOPS_SHARED_DIR': str(tmp_path / 'shared')})
    assert coordinator.gate.budget._clock is time.monotonic
    assert coordinator.reads._clock is time.monotonic
    assert coordinator.changes._clock is time.monotonic
    assert coordinator.now() <= time.monotonic()
    assert coordinator.now() >= time.monotonic() - 60


def test_a_hung_lease_holder_is_waited_for_at_most_max_wait(shared_dir, clock):
    with PrivateDirectory(shared_dir).locked(P1 + '.lease'):  # someone else holds it
        shared = reader(shared_dir, clock)
        with pytest.raises(LockTimeout):
            shared.read(P1, lambda: {'own': True}, max_age=2, max_wait=3)
    assert shared.lease_timeouts == 1
    assert sum(clock.sleeps) == pytest.approx(3.0, abs=0.1)


def test_a_hung_lease_holder_costs_a_crowd_lease_max_wait_then_the_task_reads_alone_warned(shared_dir, clock):
    # LEASE_MAX_WAIT, not one round: a holder may first wait its budget turn (bench: 2 of 200 hosts went alone).
    key = budget_key(URL, TOKEN)
    warnings = []
    with PrivateDirectory(shared_dir).locked(key + '.actions-p1.lease'):  # someone else holds it
        coordinator = coordinated(shared_dir, clock, warn=warnings.append)
        assert coordinator.page('actions', 1, lambda: {'actions': [dict(id=1)]}, compact_actions_page, 2, 0,
                                clock.now + 600).value == {'actions': [dict(id=1)]}
    assert sum(clock.sleeps) == pytest.approx(timing.LEASE_MAX_WAIT, abs=0.1)
    assert coordinator.reads is None and not coordinator.crowded() and len(warnings) == 1 and 'lease' in warnings[0]
    assert coordinator.shared()  # the budget stays: a slow reader is no reason to leave the token's share


def test_beside_other_controllers_a_lease_is_waited_for_as_much_longer_as_the_rounds_are_rarer(shared_dir, clock):
    key = budget_key(URL, TOKEN)
    stretched = budget(shared_dir, clock)
    stretched.round_stretch = 3.0
    with PrivateDirectory(shared_dir).locked(key + '.actions-p1.lease'):
        coordinator = Coordinator(NAMES, budget=stretched, reads=reader(shared_dir, clock), clock=clock)
        coordinator.page('actions', 1, lambda: {'actions': []}, compact_actions_page, 2, 0, clock.now + 600)
    assert sum(clock.sleeps) == pytest.approx(3 * timing.LEASE_MAX_WAIT, abs=0.1)


def test_a_lease_holder_waiting_out_a_429_hold_is_waited_for_until_the_hold_ends_and_a_lease_wait_more(shared_dir, clock):
    # Scenario 8 (4 controllers, strict limiter, at 3814705): the holder of a page's lease waited out a 429 hold
    # longer than the lease wait, and 12 forks gave the shared reads up and read alone, each at the token's cost.
    key = budget_key(URL, TOKEN)
    held = budget(shared_dir, clock)
    held.hold_off(25.0)
    with PrivateDirectory(shared_dir).locked(key + '.actions-p1.lease'):
        coordinator = Coordinator(NAMES, budget=held, reads=reader(shared_dir, clock), clock=clock)
        coordinator.page('actions', 1, lambda: {'actions': []}, compact_actions_page, 2, 0, clock.now + 600)
    assert sum(clock.sleeps) == pytest.approx(25.0 + timing.LEASE_MAX_WAIT, abs=0.2)
    clock.sleeps[:] = []
    with PrivateDirectory(shared_dir).locked(key + '.actions-p2.lease'):  # never past the task's deadline
        held.hold_off(25.0)
        coordinator = Coordinator(NAMES, budget=budget(shared_dir, clock), reads=reader(shared_dir, clock),
                                  clock=clock)
        coordinator.page('actions', 2, lambda: {'actions': []}, compact_actions_page, 2, 0, clock.now + 12)
    assert sum(clock.sleeps) == pytest.approx(12.0, abs=0.2)


def test_a_lease_holder_waiting_for_its_turn_in_the_budget_is_waited_for_until_that_turn_and_a_lease_wait_more(
        shared_dir, clock):
    # Bench scenario 8 (4 controllers, strict): beside others a shared read's turn may come a minute later, the
    # allowance full of single requests queued ahead; its lease's waiters gave up after 40 s and read alone.
    key = budget_key(URL, TOKEN)
    queued = budget(shared_dir, clock, per_minute=10)
    for unused in range(10):  # 5 now, 5 a minute later: the single requests' part of the minute
        queued.reserve(1000)
    assert [queued.reserve(1000, priority=True) for unused in range(5)] == [0.0] * 5  # the rest of the minute
    assert queued.reserve(1000, priority=True) == pytest.approx(61.0)  # the holder's turn, booked
    with PrivateDirectory(shared_dir).locked(key + '.actions-p1.lease'):
        coordinator = Coordinator(NAMES, budget=budget(shared_dir, clock), reads=reader(shared_dir, clock), clock=clock)
        coordinator.page('actions', 1, lambda: {'actions': []}, compact_actions_page, 2, 0, clock.now + 600)
    assert sum(clock.sleeps) == pytest.approx(61.0 + timing.LEASE_MAX_WAIT, abs=0.2)
    assert coordinator.reads is None  # this holder never let go (a stopped process): then the task reads alone


def test_a_lease_passed_from_holder_to_holder_is_waited_for_while_they_store_pages(shared_dir, clock):
    # Bench scenario 8 (4 controllers, strict, at 5ff72d2): the last controller, alone and with its turns at once,
    # still gave a lease up after 10 s ("held for more than 10.0 s"), and 17 reads of GET /v2/actions followed in
    # 10 s. Forks whose pages must be newer than their own action's end each read one in turn; a waiter that
    # loses the lock to them again and again is behind many holders, not a hung one: they keep storing pages.
    from ansible_collections.oceanops.droplets.plugins.module_utils._coordination import shared_reads
    key = budget_key(URL, TOKEN)
    directory = PrivateDirectory(shared_dir)
    lease = directory.open(key + '.actions-p1.lease')
    directory.lock(lease, 0)
    started, held = clock.now, [lease]

    def others_at_work(seconds):  # while we wait: a holder stores a page at 5 s and lets go at 15 s
        clock.sleep(seconds)
        if clock.now - started >= 5.0 and not os.path.exists(os.path.join(shared_dir, key + '.actions-p1.json')):
            shared_reads._store_result(directory, key + '.actions-p1.json', dict(
                at=clock.now, answered=clock.now, value={'actions': [{'id': 9, 'status': 'completed'}]}))
        if clock.now - started >= 15.0 and held:
            os.close(held.pop())
    reads = SharedReads(shared_dir, clock=clock, sleep=others_at_work)
    coordinator = Coordinator(NAMES, budget=budget(shared_dir, clock), reads=reads, clock=clock)
    fetched = []
    page = coordinator.page('actions', 1, lambda: fetched.append(1) or {'actions': []}, compact_actions_page, 20, 0,
                            clock.now + 600)
    assert fetched == [] and page.own is False and page.value['actions'][0]['id'] == 9  # the holder's page
    assert coordinator.reads is not None  # still sharing
    assert clock.now - started == pytest.approx(15.0, abs=0.2)


def test_compacted_actions_page_keeps_ids_and_statuses_only():
    page = dict(actions=[dict(id=1, status='completed', type='power_off', resource_id=7, resource_type='droplet',
                              started_at='a', completed_at='b', region=dict(slug='nyc3', name='New York'),
                              region_slug='nyc3', secret='x')], links=dict(pages=dict(next='https://evil/v2?page=2')),
                meta=dict(total=1))
    assert compact_actions_page(page) == dict(
        actions=[dict(id=1, status='completed', type='power_off', resource_id=7, resource_type='droplet',
                      started_at='a', completed_at='b')], links=dict(pages=dict(next='yes')))


# -- killed processes (real processes, real locks) -----------------------------------------------
def _hold_lease_forever(directory, ready):
    def fetch():
        ready.set()
        time.sleep(600)
    SharedReads(directory).read(P1, fetch, max_age=2)


def _hold_budget_lock_forever(directory, ready):
    with PrivateDirectory(directory).locked(budget_key(URL, TOKEN) + '.budget'):
        ready.set()
        time.sleep(600)


def _kill_while_holding(target, directory):
    context = multiprocessing.get_context('fork')
    ready = context.Event()
    child = context.Process(target=target, args=(directory, ready))
    child.start()
    assert ready.wait(30), 'the child never took the lock'
    os.kill(child.pid, signal.SIGKILL)
    child.join(30)
    assert child.exitcode == -signal.SIGKILL


def test_a_fork_killed_while_holding_the_lease_does_not_wedge_the_others(shared_dir):
    _kill_while_holding(_hold_lease_forever, shared_dir)
    survivor = SharedReads(shared_dir)
    assert survivor.read(P1, lambda: {'read': 'by the survivor'}, max_age=2, max_wait=20).value == {'read': 'by the survivor'}
    assert survivor.lease_timeouts == 0  # it got the lease, it did not give up waiting for it


def test_a_fork_killed_while_holding_the_budget_lock_does_not_wedge_the_others(shared_dir):
    _kill_while_holding(_hold_budget_lock_forever, shared_dir)
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(RequestBudget(shared_dir, budget_key(URL, TOKEN)).take(5)))
    thread.daemon = True
    thread.start()
    thread.join(20)
    assert outcome == [True]


# -- fallback to the adaptive schedule alone -----------------------------------------------------
def test_disabled_by_option_uses_no_directory(tmp_path):
    env = {'OCEANOPS_SHARED_DIR': str(tmp_path / 'unused')}
    coordinator = coordinator_for(URL, TOKEN, shared=False, env=env)
    assert not coordinator.shared() and 'disabled' in coordinator.note
    assert not os.path.exists(str(tmp_path / 'unused'))


def test_directory_of_the_wrong_mode_falls_back_with_a_debug_note(tmp_path):
    path = str(tmp_path / 'open')
    os.mkdir(path)
    os.chmod(path, 0o777)
    notes = []
    coordinator = coordinator_for(URL, TOKEN, env={'OCEANOPS_SHARED_DIR': path}, log=notes.append)
    assert not coordinator.shared()
    assert len(notes) == 1 and 'mode 777' in notes[0]
    assert os.listdir(path) == []


def test_directory_of_another_owner_falls_back(tmp_path, monkeypatch):
    path = str(tmp_path / 'shared')
    os.mkdir(path, 0o700)
    real_uid = os.geteuid()
    monkeypatch.setattr(directory_module.os, 'geteuid', lambda: real_uid + 4242)
    coordinator = coordinator_for(URL, TOKEN, env={'OCEANOPS_SHARED_DIR': path})
    assert not coordinator.shared() and 'another user' in coordinator.note


def test_read_only_directory_falls_back(tmp_path, monkeypatch):
    path = str(tmp_path / 'shared')
    os.mkdir(path, 0o700)
    real_open = os.open

    def read_only_open(name, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, 'Read-only file system', name)
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr(directory_module.os, 'open', read_only_open)
    coordinator = coordinator_for(URL, TOKEN, env={'OCEANOPS_SHARED_DIR': path})
    assert not coordinator.shared() and 'Read-only' in coordinator.note
    coordinator.gate.before_request(None)  # no budget: returns at once
    assert coordinator.page('actions', 1, lambda: {'actions': []}, compact_actions_page, 2, 0).value == {'actions': []}


def test_a_directory_that_breaks_later_turns_coordination_off_instead_of_failing(shared_dir, clock):
    coordinator = coordinated(shared_dir, clock)
    shutil.rmtree(shared_dir)  # e.g. a cleaner emptied /tmp under a running task
    coordinator.gate.before_request(None)
    assert not coordinator.shared() and 'No such file' in coordinator.note
    assert coordinator.page('actions', 1, lambda: {'actions': [1]}, lambda page: page, 2, 0).value == {'actions': [1]}


def test_shared_coordinator_writes_no_secret(tmp_path):
    path = str(tmp_path / 'shared')
    coordinator = coordinator_for(URL, TOKEN, env={'OCEANOPS_SHARED_DIR': path})
    assert coordinator.shared(), coordinator.note
    coordinator.gate.before_request(None)
    coordinator.gate.observe(429, {'retry-after': '0'})
    coordinator.page('actions', 1, lambda: dict(actions=[dict(id=1, status='completed', token=TOKEN)]),
                     compact_actions_page, 2, 0)
    names = os.listdir(path)
    assert names and all(TOKEN not in name for name in names)
    for name in names:
        with open(os.path.join(path, name), 'rb') as handle:
            assert TOKEN.encode() not in handle.read()
        assert stat.S_IMODE(os.lstat(os.path.join(path, name)).st_mode) == 0o600


def test_stale_files_are_cleaned_and_nothing_else(shared_dir):
    key = budget_key(URL, TOKEN)
    old, fresh, foreign = (os.path.join(shared_dir, name) for name in (key + '.budget', key + '.actions-p1.json', 'notes.txt'))
    for path in (old, fresh, foreign):
        with open(path, 'w') as handle:
            handle.write('{}')
    long_ago = time.time() - 3 * 3600
    os.utime(old, (long_ago, long_ago))
    os.utime(foreign, (long_ago, long_ago))
    assert clean_stale(shared_dir, time.time()) == 1
    assert sorted(os.listdir(shared_dir)) == sorted([os.path.basename(fresh), 'notes.txt'])


# -- the hooks in the client and the waiter ------------------------------------------------------
class RecordingBudget:
    def __init__(self, crowd=True):
        self.crowd = crowd
        self.takes = []
        self.priorities = []
        self.holds = []
        self.samples = []
        self.round_stretch = 1.0

    def take(self, max_wait, priority=False):
        self.takes.append(max_wait)
        self.priorities.append(priority)
        return True

    def hold_off(self, seconds):
        self.holds.append(seconds)

    def arrive(self):
        return self.crowd

    def answered(self, remaining):
        self.samples.append(remaining)

    def stretch(self):
        return self.round_stretch

    def others_active(self):
        return self.crowd


def client_with(script, coordinator, clock):
    from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import DigitalOceanClient
    client = DigitalOceanClient('https://api.example.test', TOKEN, session=scripted_session(script, clock)[0], sleep=clock.sleep,
                                clock=clock)
    client.gate = coordinator.gate
    return client


def test_client_takes_from_the_budget_before_each_attempt_and_feeds_it_a_429(clock):
    budget_seen = RecordingBudget()
    coordinator = Coordinator(NAMES, budget=budget_seen, clock=clock)
    limited = Reply(429, dict(id='too_many_requests', message='slow down'), {'Retry-After': '7'})
    client = client_with([limited, Reply(200, dict(ok=True))], coordinator, clock)
    client.deadline = clock.now + 100
    assert client.get('/v2/account') == dict(ok=True)
    assert budget_seen.takes == [pytest.approx(100), pytest.approx(100 - clock.sleeps[0])]
    assert budget_seen.holds == [7.0]
    assert 7.0 <= clock.sleeps[0] <= 7.7  # the first 429: Retry-After plus a little jitter
    assert coordinator.gate.poll_factor() > 1.0


def test_client_waits_longer_after_429s_in_a_row(clock):
    coordinator = Coordinator(clock=clock)
    limited = [Reply(429, dict(id='too_many_requests', message='x'), {'Retry-After': '1'}) for unused in range(5)]
    client = client_with(limited + [Reply(200, dict(ok=True))], coordinator, clock)
    client.deadline = clock.now + 600
    client.get('/v2/account')
    assert clock.sleeps[0] <= 1.1
    assert clock.sleeps[4] >= 16.0  # the fifth in a row: a floor of 1 s * 2 ** 4, not Retry-After's 1 s


class SharedReadsStub:
    """Shared reads as another process would leave them: page results by name (without the key), each as new
    as can be (sent and answered now)."""

    def __init__(self, pages, clock=time.monotonic):
        self.pages = pages
        self.asked = []
        self.clock = clock

    def read(self, name, fetch, max_age, not_before=0.0, max_wait=None, longer=None):
        name = name.split('.', 1)[1]
        self.asked.append((name, max_age, not_before))
        value = self.pages[name] if name in self.pages else fetch()
        return Shared(value, self.clock(), self.clock(), name not in self.pages)

    def peek(self, name):
        return self.pages.get(name.split('.', 1)[1])


def crowd_waiter(client, coordinator, clock):
    """The waiter of a task on ``client``, its reading strategy decided as base.py does."""
    return Waiter(client, reads_for(client, coordinator, clock), clock=clock, sleep=clock.sleep)


def test_waiter_reads_one_action_from_the_shared_list_and_keeps_its_other_fields(clock):
    from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClient
    shared_page = dict(actions=[dict(id=5, status='completed', type='power_off', resource_id=9)], links=dict(pages={}))
    client = FakeClient()
    coordinator = Coordinator(NAMES, budget=RecordingBudget(), reads=SharedReadsStub({'actions-p1': shared_page}, clock),
                              clock=clock)
    started = dict(id=5, status='in-progress', type='power_off', resource_id=9, region_slug='nyc3')
    final = crowd_waiter(client, coordinator, clock).action(started, clock.now + 60)
    assert final == dict(started, status='completed')
    assert client.calls == []  # no request of its own: the page came from the shared read


def test_in_a_crowd_an_action_that_ended_before_the_wait_began_is_re_read_after_now(clock):
    # The POST's answer already said completed: no shared page showed the end, so the re-read is newer than now.
    listed = dict(droplets=[dict(id=9, status='off')], links=dict(pages={}), meta=dict(total=1))
    waiter, client, reads = shared_waiter(clock, {'droplets-p1': listed})
    ended = waiter.action_ended(dict(id=5, status='completed', type='power_off', resource_id=9), clock.now + 60)
    assert ended.value['status'] == 'completed' and ended.answered_at == clock.now
    assert waiter.read_droplet(9, ended) == dict(id=9, status='off')
    assert reads.asked == [('droplets-p1', 2.0, clock.now)]


def test_waiter_without_shared_reads_polls_its_action_slower_by_the_factor(clock):
    from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClient
    answers = iter([dict(id=5, status='in-progress'), dict(id=5, status='completed')])
    client = FakeClient({'/v2/actions/5': lambda params: dict(action=next(answers))})
    coordinator = Coordinator(clock=clock)
    coordinator.gate.schedule.observe(429)
    coordinator.gate.schedule.observe(429)  # factor 4
    crowd_waiter(client, coordinator, clock).action(dict(id=5, status='in-progress'), clock.now + 600)
    assert [call[1] for call in client.calls] == ['/v2/actions/5', '/v2/actions/5']
    assert clock.sleeps[0] == pytest.approx(4 * 0.5, rel=0.05)


def shared_waiter(clock, pages, routes=None):
    from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClient
    client = FakeClient(routes)
    reads = SharedReadsStub(pages, clock)
    coordinator = Coordinator(NAMES, budget=RecordingBudget(), reads=reads, clock=clock)
    return crowd_waiter(client, coordinator, clock), client, reads


def test_after_a_shared_wait_the_droplet_comes_from_the_shared_list_read_after_the_end(clock):
    done = dict(actions=[dict(id=5, status='completed')], links=dict(pages={}))
    listed = dict(droplets=[dict(id=8, status='active'), dict(id=9, status='off')], links=dict(pages={}),
                  meta=dict(total=2))
    waiter, client, reads = shared_waiter(clock, {'actions-p1': done, 'droplets-p1': listed})
    ended = waiter.action_ended(dict(id=5, status='in-progress'), clock.now + 60)
    assert waiter.read_droplet(9, ended) == dict(id=9, status='off')
    assert client.calls == []
    assert ended.answered_at == clock.now and ended.shared


def test_a_droplet_missing_from_the_shared_list_is_read_on_its_own(clock):
    done = dict(actions=[dict(id=5, status='completed')], links=dict(pages={}))
    listed = dict(droplets=[dict(id=8, status='active')], links=dict(pages={}), meta=dict(total=1))
    waiter, client, unused = shared_waiter(clock, {'actions-p1': done, 'droplets-p1': listed},
                                           {'/v2/droplets/9': dict(droplet=dict(id=9, status='off'))})
    ended = waiter.action_ended(dict(id=5, status='in-progress'), clock.now + 60)
    assert waiter.read_droplet(9, ended) == dict(id=9, status='off')
    assert [call[1] for call in client.calls] == ['/v2/droplets/9']


def test_a_large_account_is_not_listed_to_find_one_droplet(clock):
    done = dict(actions=[dict(id=5, status='completed')], links=dict(pages={}))
    first = dict(droplets=[dict(id=1)], links=dict(pages=dict(next='yes')), meta=dict(total=5000))
    waiter, client, reads = shared_waiter(clock, {'actions-p1': done, 'droplets-p1': first},
                                          {'/v2/droplets/9': dict(droplet=dict(id=9, status='off'))})
    ended = waiter.action_ended(dict(id=5, status='in-progress'), clock.now + 60)
    waiter.read_droplet(9, ended)
    assert [asked[0] for asked in reads.asked] == ['actions-p1', 'droplets-p1']


def test_without_a_shared_wait_first_the_droplet_is_read_on_its_own(clock):
    waiter, client, reads = shared_waiter(clock, {}, {'/v2/droplets/9': dict(droplet=dict(id=9, status='off'))})
    seen_directly = Read(dict(id=5, status='completed'), None, clock.now, clock.now, False)
    assert waiter.read_droplet(9, seen_directly) == dict(id=9, status='off')
    assert reads.asked == []


def test_shared_droplets_page_keeps_droplets_next_link_total_and_server_time_only(tmp_path):
    coordinator = coordinator_for(URL, TOKEN, env={'OCEANOPS_SHARED_DIR': str(tmp_path / 'shared')})
    page = dict(droplets=[dict(id=1, status='off')], links=dict(pages=dict(next='https://x/v2/droplets?page=2')),
                meta=dict(total=300), extra='dropped', server_time=1795600800.0)
    assert coordinator.page('droplets', 1, lambda: page, compact_droplets_page, 2, 0).value == dict(
        droplets=[dict(id=1, status='off')], links=dict(pages=dict(next='yes')), meta=dict(total=300),
        server_time=1795600800.0)
    page['server_time'] = 'not a time'
    assert coordinator.page('droplets', 2, lambda: page, compact_droplets_page, 2, 0).value['server_time'] is None


def test_a_shared_page_from_before_the_wait_is_no_news_and_not_read_again_for_one_fork(shared_dir, clock):
    # Forks begin to wait every moment in a crowd: a round for each would spend the budget POSTs need.
    from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClient
    other = reader(shared_dir, clock)  # another fork read page 1 a moment before our POST: ours is not on it
    other.read(NAMES.page('actions', 1), lambda: dict(actions=[dict(id=4, status='in-progress')], links=dict(pages={})),
               max_age=2.0)
    read_at = clock.now
    clock.now += 0.2
    sent = []
    client = FakeClient({'/v2/actions': lambda params: sent.append(clock.now) or dict(
        actions=[dict(id=5, status='completed')])})
    coordinator = Coordinator(NAMES, budget=RecordingBudget(), reads=reader(shared_dir, clock), clock=clock)
    final = crowd_waiter(client, coordinator, clock).action(dict(id=5, status='in-progress'), clock.now + 60)
    assert final['status'] == 'completed'
    # Not read at the first poll (0.5 s in): only once the other fork's page was a round (2 s) old.
    assert [call[1] for call in client.calls] == ['/v2/actions']
    assert sent[0] - read_at >= 2.0


@pytest.mark.parametrize('others, seconds', [(1, 2.0), (19, 2.0), (29, 3.0), (49, 5.0), (200, 5.0)])
def test_the_bigger_the_crowd_the_rarer_its_shared_rounds(others, seconds, clock):
    # Each round beyond the budget's reserve takes a POST's turn: 50 forks read one every 5 s, not every 2.
    coordinator = Coordinator(NAMES, budget=RecordingBudget(crowd=others), reads=SharedReadsStub({}, clock), clock=clock)
    assert coordinator.crowded() is True
    assert coordinator.round_seconds() == pytest.approx(seconds)


def test_a_fork_that_arrived_early_reads_its_rounds_at_the_size_the_crowd_has_now(clock):
    # Scenario 8 (4 controllers): forks start over a second or two, and the first ones found only a few others
    # on the budget. Their 2 s rounds set the pace of every fork's reads: a shared page every 7 s per controller,
    # where 50 forks stretched four times read one every 20 s.
    crowd = RecordingBudget(crowd=1)
    coordinator = Coordinator(NAMES, budget=crowd, reads=SharedReadsStub({}, clock), clock=clock)
    assert coordinator.crowded() is True and coordinator.round_seconds() == pytest.approx(2.0)
    crowd.crowd = 49
    clock.now += 1.0
    assert coordinator.round_seconds() == pytest.approx(5.0)
    crowd.crowd = 9  # forks that are done leave: the rounds follow (they wait for fewer)
    clock.now += 1.0
    assert coordinator.round_seconds() == pytest.approx(2.0)


def test_beside_other_controllers_the_crowd_whose_rounds_share_the_token_is_the_tokens(clock):
    # Bench scenario 8 (4 controllers of 50 hosts on 2 CPUs): 10 to 20 forks of each controller ran at a time,
    # so each read its rounds every 2 s times the stretch, 8 s, and the four of them read 86 shared pages where
    # one controller of 200 hosts read 50. The processes polling the token are all the controllers' (about ours
    # times the stretch): their round is that crowd's, and ours is stretched from it.
    beside = RecordingBudget(crowd=9)
    beside.round_stretch = 4.0
    coordinator = Coordinator(NAMES, budget=beside, reads=SharedReadsStub({}, clock), clock=clock)
    assert coordinator.crowded() is True
    assert coordinator.round_seconds() == pytest.approx(16.0)  # a crowd of 40: 4 s, stretched 4 times
    assert coordinator.gate.poll_floor() == pytest.approx(16.0)  # a task polling on its own keeps to it too
    beside.round_stretch = 1.0  # alone on the token: our own crowd's round, as before
    assert coordinator.round_seconds() == pytest.approx(2.0)


def test_forks_that_learned_from_one_shared_page_get_the_same_answered_time(shared_dir, clock):
    first, second = reader(shared_dir, clock), reader(shared_dir, clock)

    def slow_fetch():
        clock.now += 0.4  # the request takes 0.4 s
        return {'n': 1}
    mine = first.read(P1, slow_fetch, max_age=2)
    answered = clock.now
    clock.now += 0.3
    theirs = second.read(P1, lambda: {'n': 2}, max_age=2)
    assert mine.answered_at == theirs.answered_at == answered and mine.own and not theirs.own


def test_the_request_of_a_shared_read_has_priority_in_the_budget_and_others_do_not(clock):
    budget_seen = RecordingBudget()
    coordinator = Coordinator(NAMES, budget=budget_seen, reads=SharedReadsStub({}, clock), clock=clock)
    coordinator.page('actions', 1, lambda: coordinator.gate.before_request(None) or {'actions': []},
                     compact_actions_page, 2, 0)
    coordinator.gate.before_request(None)
    assert budget_seen.priorities == [True, False]


def test_a_slowed_poll_never_waits_longer_than_the_schedule_cap(clock):
    from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.adaptive_schedule import MAX_FACTOR
    from ansible_collections.oceanops.droplets.plugins.module_utils.timing import POLL_MAX_SECONDS
    from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClient
    ends_at = clock.now + 300
    client = FakeClient({'/v2/actions/5': lambda params: dict(action=dict(
        id=5, status='completed' if clock.now >= ends_at else 'in-progress'))})
    coordinator = Coordinator(clock=lambda: 0.0)  # a clock that stands still: no recovery
    for unused in range(10):
        coordinator.gate.schedule.observe(429)  # the highest factor
    crowd_waiter(client, coordinator, clock).action(dict(id=5, status='in-progress'), clock.now + 900)
    assert max(clock.sleeps) <= POLL_MAX_SECONDS
    assert clock.sleeps[0] == pytest.approx(MAX_FACTOR * 0.5)  # slowed down all the same


def test_a_fast_drain_slows_polls_only_without_the_shared_budget(clock):
    local, shared = Coordinator(clock=clock), Coordinator(NAMES, budget=RecordingBudget(), clock=clock)
    remaining = 5000
    for unused in range(7):  # 20 requests a second over 6 s
        for coordinator in (local, shared):
            coordinator.gate.observe(200, {'ratelimit-remaining': str(remaining)})
        clock.now += 1
        remaining -= 20
    assert local.gate.poll_factor() > 1.0
    assert shared.gate.poll_factor() == 1.0


def test_a_lone_task_polls_its_own_action_even_with_the_shared_directory(clock):
    from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClient
    client = FakeClient({'/v2/actions/5': dict(action=dict(id=5, status='completed'))})
    reads = SharedReadsStub({}, clock)
    coordinator = Coordinator(NAMES, budget=RecordingBudget(crowd=False), reads=reads, clock=clock)
    ended = crowd_waiter(client, coordinator, clock).action_ended(dict(id=5, status='in-progress'), clock.now + 60)
    assert ended.value['status'] == 'completed'
    assert [call[1] for call in client.calls] == ['/v2/actions/5'] and reads.asked == []
    assert not ended.shared  # so the Droplet is re-read with its own GET too


def test_a_shared_wait_that_times_out_names_the_action_like_a_lone_one(clock):
    stuck = dict(actions=[dict(id=5, status='in-progress', type='power_off', resource_id=9)], links=dict(pages={}))
    waiter, unused, unused_reads = shared_waiter(clock, {'actions-p1': stuck})
    with pytest.raises(WaitTimeout) as caught:
        waiter.action(dict(id=5, status='in-progress', type='power_off', resource_id=9, region_slug='nyc3'),
                      clock.now + 3)
    assert str(caught.value).startswith('Timed out after 3 s waiting for action 5 (power_off on droplet 9)')
    assert caught.value.last['region_slug'] == 'nyc3' and caught.value.waited >= 3


def _use_budget_then_wait(directory, ready, release):
    RequestBudget(directory, budget_key(URL, TOKEN)).reserve(10)
    ready.set()
    release.wait(30)


def test_another_live_process_on_the_budget_makes_a_crowd_and_an_ended_one_does_not(shared_dir):
    shared = RequestBudget(shared_dir, budget_key(URL, TOKEN))
    shared.reserve(10)
    assert shared.others_active() == 0  # only this process
    context = multiprocessing.get_context('fork')
    ready, release = context.Event(), context.Event()
    child = context.Process(target=_use_budget_then_wait, args=(shared_dir, ready, release))
    child.start()
    assert ready.wait(30)
    assert shared.others_active() == 1
    release.set()
    child.join(30)
    assert shared.others_active() == 0


def _arrive_then_wait(directory, ready, release):
    RequestBudget(directory, budget_key(URL, TOKEN)).arrive()
    ready.set()
    release.wait(30)


def test_a_task_that_starts_counts_at_once_so_a_fork_starting_a_moment_later_finds_a_crowd(shared_dir):
    # Before its first request: forks start within milliseconds, and each decides how it reads when it starts.
    first = RequestBudget(shared_dir, budget_key(URL, TOKEN))
    context = multiprocessing.get_context('fork')
    ready, release = context.Event(), context.Event()
    child = context.Process(target=_arrive_then_wait, args=(shared_dir, ready, release))
    child.start()
    try:
        assert ready.wait(30)
        assert first.arrive() == 1 and first.others_active() == 1
    finally:
        release.set()
        child.join(30)


def test_a_task_that_started_alone_polls_its_own_action_no_more_often_than_a_crowds_round(clock):
    # The first fork of a play starts alone and keeps its own reads; once 49 others share the token, its polls
    # are spaced like their shared rounds (5 s), not every 0.5 to 2 s: each takes a turn their POSTs need.
    from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClient
    ends_at = clock.now + 10
    client = FakeClient({'/v2/actions/5': lambda params: dict(action=dict(
        id=5, status='completed' if clock.now >= ends_at else 'in-progress'))})
    beside_a_crowd = Coordinator(NAMES, budget=RecordingBudget(crowd=49), reads=SharedReadsStub({}, clock), clock=clock)
    alone = Coordinator(NAMES, budget=RecordingBudget(crowd=0), reads=SharedReadsStub({}, clock), clock=clock)
    polls = []
    for coordinator in (beside_a_crowd, alone):
        client.calls = []
        waiter = Waiter(client, OwnReads(client, coordinator, clock), clock=clock, sleep=clock.sleep)
        ends_at = clock.now + 10
        assert waiter.action(dict(id=5, status='in-progress'), clock.now + 60)['status'] == 'completed'
        assert all(call[1] == '/v2/actions/5' for call in client.calls)  # its own reads all the same
        polls.append(len(client.calls))
    assert polls == [2, 9]  # every 5 s beside the crowd; alone the schedule's 0.5, 1, 2, 2 ... s


def test_a_crowd_task_whose_sharing_went_off_polls_no_more_often_than_a_crowds_round(clock):
    # Bench scenario 8 (4 controllers, strict): leases held too long turned 23 forks' sharing off, and their waits
    # kept the crowd's 0.5 to 2 s schedule with every poll a GET /v2/actions of their own: 92 in 7 s.
    from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClient
    ends_at = clock.now + 10
    client = FakeClient({'/v2/actions': lambda params: dict(actions=[dict(
        id=5, status='completed' if clock.now >= ends_at else 'in-progress')], links=dict(pages={}))})
    coordinator = Coordinator(NAMES, budget=RecordingBudget(crowd=49), reads=SharedReadsStub({}, clock), clock=clock)
    waiter = crowd_waiter(client, coordinator, clock)
    coordinator.off('the lease of a shared read was held too long', keep_budget=True)
    assert waiter.action(dict(id=5, status='in-progress'), clock.now + 60)['status'] == 'completed'
    assert len(client.calls) == 2  # every 5 s (a crowd's round for 50), not 9 times


def test_beside_other_controllers_a_task_whose_sharing_went_off_polls_no_more_often_than_the_stretched_round(clock):
    # Bench scenario 8 (4 controllers, strict, main at d7176f1, pass 2): a few forks whose leases timed out polled
    # GET /v2/actions on their own every 5 s each, 14 times in 9 s together, where the crowd's rounds, stretched
    # four times beside the other controllers, read it every 20 s.
    from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClient
    ends_at = clock.now + 30
    client = FakeClient({'/v2/actions': lambda params: dict(actions=[dict(
        id=5, status='completed' if clock.now >= ends_at else 'in-progress')], links=dict(pages={}))})
    beside = RecordingBudget(crowd=49)
    beside.round_stretch = 4.0
    coordinator = Coordinator(NAMES, budget=beside, reads=SharedReadsStub({}, clock), clock=clock)
    waiter = crowd_waiter(client, coordinator, clock)
    coordinator.off('the lease of a shared read was held too long', keep_budget=True)
    assert waiter.action(dict(id=5, status='in-progress'), clock.now + 90)['status'] == 'completed'
    assert len(client.calls) == 2  # every 20 s, not every 5 s (6 times)


def test_a_lone_fleet_wait_reads_the_list_itself_and_keeps_every_field(clock):
    from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClient
    listed = dict(actions=[dict(id=5, status='completed', region_slug='nyc3')], links=dict(pages={}))
    client = FakeClient({'/v2/actions': listed})
    reads = SharedReadsStub({}, clock)
    coordinator = Coordinator(NAMES, budget=RecordingBudget(crowd=False), reads=reads, clock=clock)
    finals = crowd_waiter(client, coordinator, clock).actions([dict(id=5, status='in-progress')], clock.now + 60)
    assert finals[5]['region_slug'] == 'nyc3' and reads.asked == []


def test_a_crowded_fleet_wait_keeps_the_fields_the_shared_page_leaves_out(clock):
    done = dict(actions=[dict(id=5, status='completed')], links=dict(pages={}))
    waiter, client, reads = shared_waiter(clock, {'actions-p1': done})
    finals = waiter.actions([dict(id=5, status='in-progress', region_slug='nyc3')], clock.now + 60)
    assert finals[5] == dict(id=5, status='completed', region_slug='nyc3')
    assert client.calls == [] and [asked[0] for asked in reads.asked] == ['actions-p1']


# -- the claim on a Droplet (look and POST) ----------------------------------------------------------
def test_a_claim_keeps_our_other_processes_waiting_and_then_says_to_read_the_droplets_own_list(tmp_path):
    env = {'OCEANOPS_SHARED_DIR': str(tmp_path / 'shared')}
    first, second = coordinator_for(URL, TOKEN, env=env), coordinator_for(URL, TOKEN, env=env)
    with first.claim(7, time.monotonic() + 5) as own_look:
        assert own_look is False  # none of ours changed Droplet 7: a shared look will do
        blocked = time.monotonic()
        with second.claim(7, time.monotonic() + 0.3) as second_own_look:  # held: waits 0.3 s, then goes alone
            assert time.monotonic() - blocked >= 0.3 and second_own_look is True and not second.shared()
        first.changing([7])
    third = coordinator_for(URL, TOKEN, env=env)
    with third.claim(7, time.monotonic() + 5) as own_look:
        assert own_look is True and third.shared()  # one of ours changed it: its own list, not a shared page
    with third.claim(8, time.monotonic() + 5) as own_look:
        assert own_look is False  # another Droplet's claim is free


def claimants(tmp_path, monkeypatch):
    """Two of our processes on one shared directory; a claim is waited for 0.2 s before its holder's time."""
    monkeypatch.setattr(coordinator_module, 'CLAIM_MAX_WAIT', 0.2)
    env = {'OCEANOPS_SHARED_DIR': str(tmp_path / 'shared')}
    return coordinator_for(URL, TOKEN, env=env), coordinator_for(URL, TOKEN, env=env)


def test_a_claim_held_past_claim_max_wait_is_a_stopped_holder_and_the_task_goes_on_alone(tmp_path, monkeypatch):
    holder, waiting = claimants(tmp_path, monkeypatch)
    with holder.claim(7, time.monotonic() + 60, hold_for=0.5):
        started = time.monotonic()
        with waiting.claim(7, time.monotonic() + 60) as own_look:  # the deadline is far: the holder's time ends it
            assert time.monotonic() - started < 5 and own_look is True and 'claim' in waiting.note


def test_a_claim_held_through_an_unknown_outcome_is_waited_for_while_its_holder_said_it_may_need_it(
        tmp_path, monkeypatch):
    # The holder's POST got a 504 and it watches for its action (15 s): giving up on the claim after
    # CLAIM_MAX_WAIT let another of our processes POST while the first POST's outcome was still unknown.
    holder, waiting = claimants(tmp_path, monkeypatch)
    taken, release = threading.Event(), threading.Event()

    def hold():
        with holder.claim(7, time.monotonic() + 60, hold_for=30):
            taken.set()
            release.wait(10)
    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(10)
    threading.Timer(1.0, release.set).start()
    started = time.monotonic()
    with waiting.claim(7, time.monotonic() + 60) as own_look:
        assert time.monotonic() - started >= 0.9 and waiting.shared() and waiting.note is None
        assert own_look is False  # none of ours changed Droplet 7: a shared look will do
    thread.join(10)


def test_a_claim_waits_no_longer_than_the_waiters_deadline(tmp_path, monkeypatch):
    holder, waiting = claimants(tmp_path, monkeypatch)
    with holder.claim(7, time.monotonic() + 60, hold_for=600):
        started = time.monotonic()
        with waiting.claim(7, time.monotonic() + 0.6) as own_look:
            assert 0.5 <= time.monotonic() - started < 3 and own_look is True and 'claim' in waiting.note


def test_without_the_shared_directory_a_claim_asks_for_the_droplets_own_list(tmp_path):
    alone = coordinator_for(URL, TOKEN, shared=False, env={'OCEANOPS_SHARED_DIR': str(tmp_path / 'unused')})
    with alone.claim(7, time.monotonic() + 5) as own_look:
        assert own_look is True
