# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request budget the processes on one controller share per token and URL: together they stay under
the API's limits, with headroom (the numbers in timing.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import itertools
import math
import os
import time

from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.directory import (
    Corrupt, as_directory, read_json, write_json)
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination import token_share
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.names import Names
from ansible_collections.oceanops.droplets.plugins.module_utils.timing import (
    ACTIVE_SECONDS, BOOKED_TURN_CHECK_SECONDS, BOOKED_TURN_REPLAN_BELOW, BUDGET_PER_HOUR, BUDGET_PER_MINUTE, LOCK_MAX_WAIT,
    SHARED_READ_RESERVE)

# Windows are counted in whole slots, one more than the window, so a slot never expires early.
MINUTE_SLOTS = 61
HOUR_SLOTS = 61
# Linux's largest pid (pid_max is at most 2**22); a bigger one in a shared file is not one we wrote.
PID_MAX = 4194304
# Turns booked ahead, at most: more than a day's budget is not a queue we wrote.
MAX_BOOKED = 10000
# Each single turn booked ahead gets a ticket (pid, serial) so its process finds it in the queue again.
_TICKETS = itertools.count(1)


class RequestBudget:
    """A token bucket per token and URL, shared by processes: a token comes back 60 s after its use.

    That is a sliding window (what the API counts), kept as counts per second for the minute and per
    minute for the hour. ``take`` reserves the earliest slot where both windows have room, then
    sleeps until it: processes queue in order instead of racing for the next free token. A
    ``priority`` request (a shared read) does not queue: it takes the earliest second where no
    minute window around it is full, counting the reserve single requests may not use. Beside other
    controllers on the token both kinds stay within this controller's allowance (token_share).
    """

    def __init__(self, directory, key, per_minute=BUDGET_PER_MINUTE, per_hour=BUDGET_PER_HOUR,
                 clock=time.monotonic, sleep=time.sleep):
        self.directory = as_directory(directory)
        self.name = Names(key).budget
        self.path = os.path.join(self.directory.path, self.name)
        self.per_minute = per_minute
        self.per_hour = per_hour
        self._clock = clock
        self._sleep = sleep
        self.waited = 0.0
        self.hold_view = None  # inherited_hold.InheritedHold: caps a hold another process set
        self.token_share = token_share.TokenShare(clock)  # other controllers on the token: our allowance
        self.round_stretch = 1.0  # token_share: beside other controllers, shared rounds this many times rarer

    def take(self, max_wait, priority=False):
        """Wait for this request's turn; False (and no wait) if the turn would come after ``max_wait`` s. Beside other
        controllers a turn booked far ahead is looked at again every BOOKED_TURN_CHECK_SECONDS: it comes sooner if they
        left room."""
        wait, ticket = self._book(max_wait, priority)
        if wait is None:
            return False
        turn = self._clock() + wait
        while ticket is not None and wait > BOOKED_TURN_CHECK_SECONDS:
            self._pause(BOOKED_TURN_CHECK_SECONDS)
            try:
                wait = self._booked_wait(ticket)
            except (IOError, OSError):  # the budget failed (sharing goes off): this request keeps the turn it had,
                self._pause(turn - self._clock())  # less the time the failed lock took
                raise
        self._pause(wait)
        return True

    def _pause(self, seconds):
        if seconds > 0:
            self.waited += seconds
            self._sleep(seconds)

    def reserve(self, max_wait, priority=False):
        """Seconds until this request's turn, counted as used then; None if later than ``max_wait``."""
        return self._book(max_wait, priority)[0]

    def _book(self, max_wait, priority):
        """(seconds until this request's turn or None, as reserve; the ticket of a single turn booked ahead or None)."""
        ticket = None
        with self.directory.locked(self.name, min(LOCK_MAX_WAIT, max_wait), self._clock, self._sleep) as fd:
            now = self._clock()
            state = _read_state(fd, now)
            _drop_ended(state)
            hold = self._hold(state, now)
            # Beside other controllers our allowance is less than the budget, shared reads included: a
            # round that went ahead under the whole budget took four controllers' rate over the API's minute.
            per_minute = self.token_share.allowance(state['share'], self.per_minute, queued=bool(state['booked']))
            if priority:
                turn = self._earliest_turn(state, max(now, hold), per_minute, every_window=True)
            else:
                singles, spacing = self._singles(per_minute)
                turn = self._earliest_turn(state, max(now, hold, state['last'] + spacing), singles)
            self.round_stretch = self.token_share.round_stretch(state['share'])
            if turn - now > max_wait:
                return None, None
            _count_turn(state, turn)
            if priority:  # a lease holder waits for this turn: its lease's waiters wait as long (busy_left)
                state['shared_turn'] = max(state['shared_turn'], turn)
            else:
                state['last'], state['spacing'] = turn, spacing
                if turn > now and spacing:  # beside other controllers: room they leave may bring it sooner
                    ticket = [turn, os.getpid(), next(_TICKETS)]
                    state['booked'].append(ticket)
                else:
                    state['came'] = max(state['came'], turn)
            state['pids'][str(os.getpid())] = now
            write_json(fd, state)
        return turn - now, (None if ticket is None else ticket[1:])

    def _booked_wait(self, ticket):
        """Seconds until a single turn booked ahead comes, its queue planned again first if our spacing shrank since
        (the other controllers left room): the turns move up in order, never later. 0.0 when it is gone."""
        with self.directory.locked(self.name, clock=self._clock, sleep=self._sleep) as fd:
            now = self._clock()
            state = _read_state(fd, now)
            _drop_ended(state)
            singles, spacing = self._singles(self.token_share.allowance(state['share'], self.per_minute, queued=True))
            if state['booked'] and spacing < state['spacing'] * BOOKED_TURN_REPLAN_BELOW:
                self._replan(state, max(now, self._hold(state, now)), spacing, singles)
            write_json(fd, state)  # the grant grown (token_share), and the queue if planned again
            turns = [turn for turn, pid, serial in state['booked'] if [pid, serial] == ticket]
        return max(0.0, turns[0] - now) if turns else 0.0

    def _replan(self, state, start, spacing, singles):
        """The booked turns again, in their order, at ``spacing`` from ``start``: each moves to the earliest second
        with room in every minute around it, if that is sooner."""
        previous = state['came']
        for entry in sorted(state['booked']):
            _count_turn(state, entry[0], -1)
            entry[0] = min(entry[0], self._earliest_turn(state, max(start, previous + spacing), singles,
                                                         every_window=True))
            _count_turn(state, entry[0])
            previous = entry[0]
        state['booked'].sort()
        state['last'], state['spacing'] = previous, spacing

    def _hold(self, state, now):
        return state['hold_until'] if self.hold_view is None else self.hold_view.honoured(
            state['hold_until'], state['hold_from'], now)

    def _singles(self, per_minute):
        """(single requests a minute within ``per_minute``: less the shared reads' reserve; the seconds between two)."""
        singles = per_minute - min(SHARED_READ_RESERVE * per_minute // self.per_minute, per_minute // 2)
        return singles, self.token_share.spacing(per_minute, self.per_minute, singles)

    def others_active(self):
        """How many other live processes used this budget in the last ACTIVE_SECONDS (0: no crowd)."""
        with self.directory.locked(self.name, clock=self._clock, sleep=self._sleep) as fd:
            return _others_alive(_read_state(fd, self._clock()))

    def arrive(self):
        """This process starts a task on the token: counted from now (as if it took a turn), so a fork that
        starts a moment later finds a crowd. Returns how many others are active (see others_active)."""
        with self.directory.locked(self.name, clock=self._clock, sleep=self._sleep) as fd:
            now = self._clock()
            state = _read_state(fd, now)
            others = _others_alive(state)
            state['pids'][str(os.getpid())] = now
            write_json(fd, state)
        return others

    def answered(self, remaining):
        """An answer of ours (no 429) with the token's ratelimit-remaining: a sample for token_share."""
        with self.directory.locked(self.name, clock=self._clock, sleep=self._sleep) as fd:
            state = _read_state(fd, self._clock())
            self.token_share.answered(state['share'], remaining)
            write_json(fd, state)

    def stretch(self):
        """How many times rarer our shared rounds are beside other controllers, as the samples say now."""
        with self.directory.locked(self.name, clock=self._clock, sleep=self._sleep) as fd:
            self.round_stretch = self.token_share.round_stretch(_read_state(fd, self._clock())['share'])
        return self.round_stretch

    def hold_off(self, seconds):
        """The API said 429: nobody sends before ``seconds`` from now."""
        with self.directory.locked(self.name, clock=self._clock, sleep=self._sleep) as fd:
            now = self._clock()
            state = _read_state(fd, now)
            if now + seconds > state['hold_until']:
                state['hold_until'], state['hold_from'] = now + seconds, now
            write_json(fd, state)

    def busy_left(self):
        """Seconds until a 429 hold-off ends and the last shared read's turn booked comes (0.0: neither is
        ahead): a lease holder waiting for them is not hung."""
        with self.directory.locked(self.name, clock=self._clock, sleep=self._sleep) as fd:
            now = self._clock()
            state = _read_state(fd, now)
            return max(0.0, state['hold_until'] - now, state['shared_turn'] - now)

    def _earliest_turn(self, state, turn, per_minute, every_window=False):
        """The first time from ``turn`` with room in its minute (``every_window``: in every minute
        window that holds it, since requests queued later than ``turn`` are counted already)."""
        for unused in range(10000):
            if every_window:
                full = _last_full_window(state['sec'], int(turn), MINUTE_SLOTS, per_minute)
                if full is not None:
                    turn = float(full + 1)
                    continue
            used, oldest = _window(state['sec'], int(turn), MINUTE_SLOTS)
            if used >= per_minute:
                turn = float(oldest + MINUTE_SLOTS)
                continue
            used, oldest = _window(state['min'], int(turn // 60), HOUR_SLOTS)
            if used >= self.per_hour:
                turn = float((oldest + HOUR_SLOTS) * 60)
                continue
            return turn
        return turn  # pragma: no cover - each step passes one used slot, so it ends long before


def _count_turn(state, turn, step=1):
    """Counts one request at ``turn`` in the minute's and the hour's slots (``step`` -1: takes it back)."""
    for slots, slot in ((state['sec'], str(int(turn))), (state['min'], str(int(turn // 60)))):
        slots[slot] = slots.get(slot, 0) + step
        if slots[slot] <= 0:
            del slots[slot]


def _drop_ended(state):
    """Takes back the turns booked ahead by processes that have ended (a play stopped, a fork killed at its
    timeout): nobody will send them, and the next ones queue from the last turn still to come."""
    ended = [entry for entry in state['booked'] if not _alive(entry[1])]
    for entry in ended:
        _count_turn(state, entry[0], -1)
        state['booked'].remove(entry)
    if ended:
        state['last'] = max([state['came']] + [turn for turn, pid, serial in state['booked']])


def _last_full_window(slots, second, width, limit):
    """The last of the windows ending at ``second`` .. ``second + width - 1`` that is full, or None."""
    counts = dict((int(slot), count) for slot, count in slots.items())
    used = sum(count for slot, count in counts.items() if second - width < slot <= second)
    full = second if used >= limit else None
    for end in range(second + 1, second + width):
        used += counts.get(end, 0) - counts.get(end - width, 0)
        if used >= limit:
            full = end
    return full


def _window(slots, current, width):
    """(requests in the ``width`` slots ending at ``current``, the oldest of those slots in use)."""
    used, oldest = 0, None
    for slot, count in slots.items():
        slot = int(slot)
        if current - width < slot <= current and count > 0:
            used += count
            oldest = slot if oldest is None else min(oldest, slot)
    return used, oldest


def _read_state(fd, now):
    """The budget as stored; a corrupt one is emptied for the tasks after this one, then raised: this task goes
    on alone (the coordinator turns sharing off and warns)."""
    try:
        return _fresh_state(read_json(fd), now)
    except Corrupt:
        write_json(fd, {})
        raise


def _fresh_state(state, now):
    """The stored state with expired slots dropped; one written before a reboot starts afresh. Corrupt when a
    value is not one we write (Infinity, NaN, a huge number, a pid out of range, garbage)."""
    empty = dict(sec={}, min={}, last=0.0, came=0.0, spacing=0.0, booked=[], hold_until=0.0, hold_from=0.0,
                 shared_turn=0.0, pids={}, share=token_share.empty())
    try:
        fresh = dict(sec=dict((k, _count(v)) for k, v in state.get('sec', {}).items()),
                     min=dict((k, _count(v)) for k, v in state.get('min', {}).items()),
                     last=_finite(state.get('last', 0.0)), came=_finite(state.get('came', 0.0)),
                     spacing=_finite(state.get('spacing', 0.0)), booked=_booked(state.get('booked', [])),
                     hold_until=_finite(state.get('hold_until', 0.0)),
                     hold_from=_finite(state.get('hold_from', 0.0)), shared_turn=_finite(state.get('shared_turn', 0.0)),
                     pids=dict((str(_pid(k)), _finite(v)) for k, v in state.get('pids', {}).items()),
                     share=token_share.validated(state.get('share', {}), now))
        for slot in list(fresh['sec']) + list(fresh['min']):
            _count(slot)
    except (TypeError, ValueError, AttributeError, OverflowError) as error:
        raise Corrupt(errno.EINVAL, 'the shared budget file holds a value we never write: %s' % error)
    if max(fresh['last'], fresh['hold_until'], fresh['shared_turn']) > now + 3600:  # before a reboot reset the clock
        fresh = empty
    # A booked turn that came is no longer ahead: the last of them is where a queue planned again starts.
    fresh['came'] = max([fresh['came']] + [turn for turn, pid, serial in fresh['booked'] if turn <= now])
    fresh['booked'] = [entry for entry in fresh['booked'] if entry[0] > now]
    fresh['sec'] = dict((k, v) for k, v in fresh['sec'].items() if int(k) > int(now) - MINUTE_SLOTS)
    fresh['min'] = dict((k, v) for k, v in fresh['min'].items() if int(k) > int(now // 60) - HOUR_SLOTS)
    fresh['pids'] = dict((k, v) for k, v in fresh['pids'].items() if v > now - ACTIVE_SECONDS)
    return fresh


def _booked(entries):
    """The queue of single turns booked ahead, as we write it: [[turn, pid, serial], ...]."""
    if not isinstance(entries, list) or len(entries) > MAX_BOOKED:
        raise ValueError('%r is not a queue we write' % (entries,))
    return [[_finite(turn), _pid(pid), _count(serial)] for turn, pid, serial in entries]


def _finite(value):
    value = float(value)
    if not math.isfinite(value):
        raise ValueError('%r is not finite' % value)
    return value


def _count(value):
    count = int(_finite(value))
    if not 0 <= count < 2 ** 53:
        raise ValueError('%r is out of range' % value)
    return count


def _pid(value):
    pid = int(value)
    if not 0 < pid <= PID_MAX:
        raise ValueError('pid %r is out of range' % value)
    return pid


def _others_alive(state):
    """How many processes besides this one took a turn lately (the state keeps ACTIVE_SECONDS) and still run."""
    own = os.getpid()
    return sum(1 for pid in state['pids'] if int(pid) != own and _alive(int(pid)))


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError as error:
        return error.errno == errno.EPERM  # someone else's process: alive all the same
    return True
