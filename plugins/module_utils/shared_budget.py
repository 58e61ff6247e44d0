# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the module processes on one controller share about one token: a request budget and poll rounds.

Fifty Ansible forks are fifty processes that know nothing of each other. Those that use the same
token and api_url meet here, in a private directory (mode 0700, owned by the user), through files
named by a hash of token and URL, never the token itself:

- ``<key>.budget``: the requests sent in the last minute and hour (counts per second and per
  minute), so that together the processes stay under the API's limits, with headroom;
- ``<key>.<name>.json`` and ``<key>.<name>.lease``: the last result of a shared read (a page of
  ``GET /v2/actions``, ids and statuses only) and the lease of the process reading it now.

Locks are ``fcntl.flock``: the kernel drops the lock of a process that dies, so a killed fork
cannot wedge the others. All of this is an optimisation: any problem with the directory turns it
off, and the module then runs on its own adaptive schedule (``adaptive_schedule``) alone.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import errno
import hashlib
import math
import os
import re
import stat
import tempfile
import threading
import time

from ansible_collections.oceanops.droplets.plugins.module_utils.adaptive_schedule import AdaptiveSchedule
from ansible_collections.oceanops.droplets.plugins.module_utils.inherited_hold import InheritedHold
from ansible_collections.oceanops.droplets.plugins.module_utils.private_files import (
    Corrupt, LockTimeout, PrivateDirectory, fcntl, read_json, write_json)
from ansible_collections.oceanops.droplets.plugins.module_utils.retry import server_requested_delay
from ansible_collections.oceanops.droplets.plugins.module_utils.timing import (
    ACTIVE_SECONDS, BUDGET_PER_HOUR, BUDGET_PER_MINUTE, CLAIM_MAX_WAIT, HOLD_OFF_WITHOUT_RETRY_AFTER, LEASE_MAX_WAIT,
    LOCK_MAX_WAIT, MAX_BUDGET_WAIT, SHARED_ROUND_MAX_SECONDS, SHARED_ROUND_MIN_SECONDS, SHARED_ROUND_SECONDS_PER_PROCESS,
    STALE_SECONDS, TEMPORARY_STALE_SECONDS)
from ansible_collections.oceanops.droplets.plugins.module_utils.shared_changes import RecentChanges
from ansible_collections.oceanops.droplets.plugins.module_utils import token_share  # other controllers (issue 17)

ENV_DIRECTORY = 'OCEANOPS_SHARED_DIR'
ENV_SWITCH = 'OCEANOPS_SHARED_BUDGET'
DIRECTORY_NAME = 'oceanops-droplets'
# Of the minute's budget, this much is kept for shared reads: one of them serves every waiting fork, so
# it goes ahead of the queue of single requests (which get the rest, 210 a minute).
SHARED_READ_RESERVE = 20
# Windows are counted in whole slots, one more than the window, so a slot never expires early.
MINUTE_SLOTS = 61
HOUR_SLOTS = 61
FILE_PATTERN = re.compile(r'^[0-9a-f]{32}\.[a-z0-9-]+(\.json|\.lease|\.budget|\.changes)?(\.tmp\d+)?$')
TEMPORARY_PATTERN = re.compile(r'\.tmp\d+$')
# Linux's largest pid (pid_max is at most 2**22); a bigger one in a shared file is not one we wrote.
PID_MAX = 4194304
# What a shared page of GET /v2/actions keeps of each action: no names, regions or anything else.
ACTION_KEYS = ('id', 'status', 'type', 'resource_id', 'resource_type', 'started_at', 'completed_at')


# -- the directory -------------------------------------------------------------------------------
def default_directory(env=None):
    """$OCEANOPS_SHARED_DIR, else $XDG_RUNTIME_DIR/oceanops-droplets, else <tmp>/oceanops-droplets-shared-<uid>."""
    env = os.environ if env is None else env
    if env.get(ENV_DIRECTORY):
        return env[ENV_DIRECTORY]
    runtime = env.get('XDG_RUNTIME_DIR')
    if runtime and _ours_alone(runtime):  # su without -l and sudo -E pass on someone else's
        return os.path.join(runtime, DIRECTORY_NAME)
    return os.path.join(tempfile.gettempdir(), '%s-shared-%d' % (DIRECTORY_NAME, os.geteuid()))


def _ours_alone(path):
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o077


def private_directory(path):
    """(the directory at ``path``, made 0700 or checked and held open: PrivateDirectory, None), or (None, reason)."""
    try:
        return PrivateDirectory(path), None
    except OSError as error:
        return None, error.strerror or str(error)


def _as_directory(directory):
    return directory if isinstance(directory, PrivateDirectory) else PrivateDirectory(directory)


def budget_key(api_url, token):
    """32 hex digits of sha256 over api_url and token: the same for every process, reveals neither."""
    material = '\0'.join(('oceanops.droplets', api_url.rstrip('/'), token or ''))
    return hashlib.sha256(material.encode('utf-8')).hexdigest()[:32]


def clean_stale(directory, now, max_age=STALE_SECONDS):
    """Remove our files untouched for ``max_age`` seconds (temporary ones after TEMPORARY_STALE_SECONDS: a
    killed writer's). Only names this module writes, only regular files, only in the directory held open."""
    directory, removed = _as_directory(directory), 0
    for name in directory.names():
        if not FILE_PATTERN.match(name):
            continue
        limit = TEMPORARY_STALE_SECONDS if TEMPORARY_PATTERN.search(name) else max_age
        try:
            info = directory.lstat(name)
            if stat.S_ISREG(info.st_mode) and info.st_mtime < now - limit:
                directory.unlink(name)
                removed += 1
        except OSError:
            continue
    return removed


# -- the request budget --------------------------------------------------------------------------
class RequestBudget:
    """A token bucket per token and URL, shared by processes: a token comes back 60 s after its use.

    That is a sliding window (what the API counts), kept as counts per second for the minute and per
    minute for the hour. ``take`` reserves the earliest slot where both windows have room, then
    sleeps until it: processes queue in order instead of racing for the next free token. A
    ``priority`` request (a shared read) does not queue: it takes the earliest second where no
    minute window around it is full, counting the reserve single requests may not use.
    """

    def __init__(self, directory, key, per_minute=BUDGET_PER_MINUTE, per_hour=BUDGET_PER_HOUR,
                 clock=time.monotonic, sleep=time.sleep):
        self.directory = _as_directory(directory)
        self.name = key + '.budget'
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
        """Wait for this request's turn; False (and no wait) if the turn would come after ``max_wait`` s."""
        wait = self.reserve(max_wait, priority)
        if wait is None:
            return False
        if wait > 0:
            self.waited += wait
            self._sleep(wait)
        return True

    def reserve(self, max_wait, priority=False):
        """Seconds until this request's turn, counted as used then; None if later than ``max_wait``."""
        with self.directory.locked(self.name, min(LOCK_MAX_WAIT, max_wait), self._clock, self._sleep) as fd:
            now = self._clock()
            state = _read_state(fd, now)
            hold = state['hold_until'] if self.hold_view is None else self.hold_view.honoured(
                state['hold_until'], state['hold_from'], now)
            if priority:
                turn = self._earliest_turn(state, max(now, hold), self.per_minute, every_window=True)
            else:
                per_minute = self.token_share.allowance(state['share'], self.per_minute)  # token_share hook
                singles = per_minute - min(SHARED_READ_RESERVE * per_minute // self.per_minute, per_minute // 2)
                turn = self._earliest_turn(state, max(now, hold, state['last'] + self.token_share.spacing(
                    per_minute, self.per_minute, singles)), singles)
            self.round_stretch = self.token_share.round_stretch(state['share'])  # token_share hook
            if turn - now > max_wait:
                return None
            second, minute = str(int(turn)), str(int(turn // 60))
            state['sec'][second] = state['sec'].get(second, 0) + 1
            state['min'][minute] = state['min'].get(minute, 0) + 1
            if not priority:
                state['last'] = turn
            state['pids'][str(os.getpid())] = now
            write_json(fd, state)
        return turn - now

    def others_active(self):
        """How many other live processes used this budget in the last ACTIVE_SECONDS (0: no crowd)."""
        with self.directory.locked(self.name, clock=self._clock, sleep=self._sleep) as fd:
            state = _read_state(fd, self._clock())
        own = os.getpid()
        return sum(1 for pid in state['pids'] if int(pid) != own and _alive(int(pid)))

    def hold_off(self, seconds):
        """The API said 429: nobody sends before ``seconds`` from now."""
        with self.directory.locked(self.name, clock=self._clock, sleep=self._sleep) as fd:
            now = self._clock()
            state = _read_state(fd, now)
            if now + seconds > state['hold_until']:
                state['hold_until'], state['hold_from'] = now + seconds, now
            write_json(fd, state)

    def answered(self, remaining):
        """An answer of ours (no 429) with the token's ratelimit-remaining: a sample for token_share (hook)."""
        with self.directory.locked(self.name, clock=self._clock, sleep=self._sleep) as fd:
            state = _read_state(fd, self._clock())
            self.token_share.answered(state['share'], remaining)
            write_json(fd, state)

    def stretch(self):
        """How many times rarer our shared rounds are beside other controllers, as the samples say now (hook)."""
        with self.directory.locked(self.name, clock=self._clock, sleep=self._sleep) as fd:
            self.round_stretch = self.token_share.round_stretch(_read_state(fd, self._clock())['share'])
        return self.round_stretch

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
    empty = dict(sec={}, min={}, last=0.0, hold_until=0.0, hold_from=0.0, pids={}, share=token_share.empty())
    try:
        fresh = dict(sec=dict((k, _count(v)) for k, v in state.get('sec', {}).items()),
                     min=dict((k, _count(v)) for k, v in state.get('min', {}).items()),
                     last=_finite(state.get('last', 0.0)), hold_until=_finite(state.get('hold_until', 0.0)),
                     hold_from=_finite(state.get('hold_from', 0.0)),
                     pids=dict((str(_pid(k)), _finite(v)) for k, v in state.get('pids', {}).items()),
                     share=token_share.validated(state.get('share', {}), now))  # token_share hook
        for slot in list(fresh['sec']) + list(fresh['min']):
            _count(slot)
    except (TypeError, ValueError, AttributeError, OverflowError) as error:
        raise Corrupt(errno.EINVAL, 'the shared budget file holds a value we never write: %s' % error)
    if fresh['last'] > now + 3600 or fresh['hold_until'] > now + 3600:  # written before a reboot reset the clock
        fresh = empty
    fresh['sec'] = dict((k, v) for k, v in fresh['sec'].items() if int(k) > int(now) - MINUTE_SLOTS)
    fresh['min'] = dict((k, v) for k, v in fresh['min'].items() if int(k) > int(now // 60) - HOUR_SLOTS)
    fresh['pids'] = dict((k, v) for k, v in fresh['pids'].items() if v > now - ACTIVE_SECONDS)
    return fresh


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


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError as error:
        return error.errno == errno.EPERM  # someone else's process: alive all the same
    return True


# -- shared reads --------------------------------------------------------------------------------
class SharedReads:
    """One process reads, the others use its result: a lease (flock) per shared read.

    Whoever holds the lease first looks whether the last result is fresh enough for it; only if not
    does it read from the API and store the result. A dead holder's lease is released by the kernel;
    a holder that hangs is waited for at most ``max_wait`` seconds: then LockTimeout, and the caller
    reads on its own with sharing off.
    """

    def __init__(self, directory, key, clock=time.monotonic, sleep=time.sleep):
        self.directory = _as_directory(directory)
        self.key = key
        self._clock = clock
        self._sleep = sleep
        self.reads = 0  # results read from the API by this process
        self.hits = 0  # results another process (or an earlier round) read for us
        self.lease_timeouts = 0
        self.answered_at = None  # when the result last returned was complete (its reply was in)
        self.read_at = None  # when the request behind the result last returned was sent

    def read(self, name, fetch, max_age, not_before=0.0, max_wait=LEASE_MAX_WAIT):
        """A result of ``fetch()`` at most ``max_age`` s old and read after ``not_before``. Ages are on the
        monotonic clock, one for every process on this machine: a wall clock step (NTP, a resumed VM) would make
        old pages look new. A result stored later than now (a negative age) is stale."""
        base = '%s.%s' % (self.key, name)
        fd = self.directory.open(base + '.lease')
        try:
            if not self.directory.lock(fd, max_wait, self._clock, self._sleep):
                self.lease_timeouts += 1
                raise LockTimeout(errno.EAGAIN, 'the lease of a shared read was held for more than %.1f s' % max_wait)
            stored = _load_result(self.directory, base + '.json')
            now = self._clock()
            if stored is not None and stored['at'] >= not_before and 0.0 <= now - stored['at'] <= max_age:
                self.hits += 1
                self.answered_at, self.read_at = stored.get('answered', stored['at']), stored['at']
                return stored['value']
            value = self._fetch(fetch)
            _store_result(self.directory, base + '.json', dict(at=now, answered=self.answered_at, value=value))
            os.utime(fd)  # a lease in use is not stale
            return value
        finally:
            os.close(fd)

    def peek(self, name):
        """The last stored result of ``name``, however old, without the lease (it is replaced whole)."""
        stored = _load_result(self.directory, '%s.%s.json' % (self.key, name))
        return None if stored is None else stored['value']

    def _fetch(self, fetch):
        self.reads += 1
        self.read_at = self._clock()
        value = fetch()
        self.answered_at = self._clock()
        return value


def _load_result(directory, name):
    """The stored result, or None if there is none. Corrupt if it is not what we write."""
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0), dir_fd=directory.fd)
    except OSError as error:
        if error.errno == errno.ENOENT:
            return None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            raise Corrupt(errno.EPERM, '%s is not a regular file of ours' % name)
        data = read_json(fd)
    finally:
        os.close(fd)
    times = [data.get('at'), data.get('answered', data.get('at'))]
    if not all(isinstance(when, (int, float)) and math.isfinite(when) for when in times) or 'value' not in data:
        raise Corrupt(errno.EINVAL, '%s is not a result we wrote' % name)
    return data


def _store_result(directory, name, data):
    """Written to a private temporary file, then renamed: a reader sees the old result or the new one. The
    temporary file does not outlive a failure."""
    temporary = '%s.tmp%d' % (name, os.getpid())
    fd = directory.open(temporary)
    try:
        try:
            os.ftruncate(fd, 0)
            write_json(fd, data)
        finally:
            os.close(fd)
        directory.rename(temporary, name)
    except BaseException:
        _quietly_unlink(directory, temporary)
        raise


def _quietly_unlink(directory, name):
    try:
        directory.unlink(name)
    except OSError:
        pass


def compact_droplets_page(data):
    """A shared page of GET /v2/droplets: the Droplets as the API lists them (no secret in them), a next
    link, and the server's time of the answer (its Date header), which a plan made from it needs."""
    droplets = [droplet for droplet in data.get('droplets') or [] if isinstance(droplet, dict)]
    has_next = bool(((data.get('links') or {}).get('pages') or {}).get('next'))
    server_time = data.get('server_time')
    return dict(droplets=droplets, links=dict(pages=dict(next='yes') if has_next else {}),
                meta=dict(total=(data.get('meta') or {}).get('total')),
                server_time=server_time if isinstance(server_time, (int, float)) else None)


def compact_actions_page(data):
    """What a shared page of GET /v2/actions keeps: ids, statuses, types, resources, times, a next link."""
    actions = [dict((key, action.get(key)) for key in ACTION_KEYS if key in action)
               for action in data.get('actions') or [] if isinstance(action, dict)]
    has_next = bool(((data.get('links') or {}).get('pages') or {}).get('next'))
    return dict(actions=actions, links=dict(pages=dict(next='yes') if has_next else {}))


# -- what the client and the waiter talk to ------------------------------------------------------
class Coordinator:
    """The adaptive schedule, and the shared budget and reads when the directory can be used.

    Hooks: the client calls ``before_request(deadline)`` before each HTTP attempt, ``observe(status,
    headers)`` after each answer and ``retry_delay(server_delay)`` after a 429; the waiter multiplies
    its intervals by ``poll_factor()`` and reads pages of GET /v2/actions through ``actions_page``.
    """

    def __init__(self, schedule=None, budget=None, reads=None, clock=time.monotonic, log=None, changes=None,
                 warn=None):
        self.schedule = schedule or AdaptiveSchedule(clock=clock)
        self.budget = budget
        self.reads = reads
        self.changes = changes  # RecentChanges: which Droplets our processes changed, and when
        self.note = None  # why the shared directory is not used, if it is not
        self._clock = clock
        self._log = log
        self._warn = warn  # the user sees this (module.warn): once a task, when the directory turned sharing off
        self._local = threading.local()  # .shared_read: this thread is reading for every fork
        self.crowd_size = 1  # processes on this budget, this one included, when crowded() last looked
        self.inherited = InheritedHold(clock)  # a 429 hold another process set costs us one probe
        if budget is not None:
            budget.hold_view = self.inherited

    def shared(self):
        return self.budget is not None

    def off(self, reason, warn=True):
        """Fall back to the adaptive schedule alone, with a debug-level note; a problem with the directory (not
        the user's choice) is also a warning the user sees, once a task: else another local user could switch
        sharing off unseen, and fifty hosts would cost seven times the requests."""
        warn = warn and self._warn is not None and self.note is None
        self.budget = self.reads = self.changes = None
        self.note = reason
        if self._log:
            self._log('oceanops.droplets: request coordination off: %s' % reason)
        if warn:
            self._warn('oceanops.droplets: processes on this controller do not share requests for this task: %s'
                       % reason)

    def before_request(self, deadline):
        if self.budget is None:
            return
        max_wait = MAX_BUDGET_WAIT if deadline is None else max(0.0, deadline - self._clock())
        self.inherited.await_probe(max_wait)
        try:
            self.budget.take(max_wait, priority=getattr(self._local, 'shared_read', False))
        except (IOError, OSError) as error:
            self.off('the shared budget failed: %s' % error)

    def observe(self, status, headers):
        # Under the shared budget a fast drain is the budget at work, not a crowd to slow down for.
        remaining = _as_int(headers.get('ratelimit-remaining')) if self.budget is None else None
        self.schedule.observe(status, remaining)
        seen = _as_int(headers.get('ratelimit-remaining'))  # token_share hook: the token's fall shows the others
        if status != 429 and seen is not None and self.budget is not None:
            try:
                self.budget.answered(seen)
            except (IOError, OSError) as error:
                self.off('the shared budget failed: %s' % error)
        if status == 429 and self.budget is not None:
            delay = server_requested_delay(headers)
            delay = HOLD_OFF_WITHOUT_RETRY_AFTER if delay is None else delay
            try:
                self.budget.hold_off(delay)
            except (IOError, OSError) as error:
                self.off('the shared budget failed: %s' % error)
        self.inherited.answered(status, delay if status == 429 and self.budget is not None else None)

    def request_ended(self):
        """A request of this process ended, answered or not (see InheritedHold.ended)."""
        self.inherited.ended()

    def hold_note(self):
        """For a failure message: the time that went to a 429 hold another task set, or ''."""
        return self.inherited.note()

    def retry_delay(self, server_delay):
        return self.schedule.retry_delay(server_delay)

    def poll_factor(self):
        return self.schedule.factor()

    def crowded(self):
        """Shared polls pay when other processes on this token run now; a lone task polls its action."""
        if self.budget is None or self.reads is None:
            return False
        try:
            self.crowd_size = 1 + int(self.budget.others_active())
        except (IOError, OSError) as error:
            self.off('the shared budget failed: %s' % error)
            return False
        return self.crowd_size > 1

    def round_seconds(self):
        """How often a crowd reads a shared page while it waits: one round serves every process, but each
        round beyond the budget's reserve costs a POST its turn, so the more processes the rarer the rounds."""
        seconds = min(SHARED_ROUND_MAX_SECONDS, max(SHARED_ROUND_MIN_SECONDS,
                                                    SHARED_ROUND_SECONDS_PER_PROCESS * self.crowd_size))
        return seconds * self._round_stretch()  # token_share hook

    def _round_stretch(self):
        """token_share hook: beside other controllers on the token, how many times rarer our rounds are."""
        if self.budget is None:
            return 1.0
        try:
            return self.budget.stretch()
        except (IOError, OSError) as error:
            self.off('the shared budget failed: %s' % error)
            return 1.0

    def now(self):
        """The time shared results are stamped with: the monotonic clock, the same in every process on this
        machine and never stepped back (a wall clock is; a local age measured on it could be negative)."""
        return self._clock()

    def answered_at(self):
        """When the latest shared result this process used had its answer in (see now()): anything
        read after that shows the world after what that result showed. Now, if none."""
        if self.reads is None or self.reads.answered_at is None:
            return self.now()
        return self.reads.answered_at

    def page_listing(self, pattern, pages, lists):
        """The first of ``pages`` whose stored result (``pattern % page``, any age) ``lists(value)``, or None."""
        if self.reads is None:
            return None
        try:
            return next((page for page in pages if lists(self.reads.peek(pattern % page))), None)
        except (IOError, OSError):
            return None

    def changing(self, droplet_ids):
        """Our actions on these Droplets were accepted (see shared_changes)."""
        self._note_changes('changing', droplet_ids)

    def settled(self, droplet_ids):
        """Our actions on these Droplets ended and their effect showed."""
        self._note_changes('settled', droplet_ids)

    def page_predates_ours(self, droplet_id, read_at):
        """True if a shared page sent at ``read_at`` may not show one of our own actions on the Droplet
        (or it cannot be told): such a page is not planned from."""
        if self.changes is None:
            return True
        try:
            return self.changes.changed_since(droplet_id, read_at)
        except (IOError, OSError) as error:
            self.off('the record of our changes failed: %s' % error)
            return True

    @contextlib.contextmanager
    def claim(self, droplet_id, deadline):
        """The Droplet is this process's to look at and POST to, for the block: our other processes wait for it
        (CLAIM_MAX_WAIT, and ``deadline``, monotonic, at most), so two of them never both POST from plans made
        before either.
        Yields True when the look before the POST must be the Droplet's own list: one of our processes changed
        it lately (the record of our changes), and a shared page may predate that; or there is no shared
        directory, or the claim could not be had (then sharing is off, and the look is the lone one)."""
        directory = getattr(self.changes, 'directory', None)
        if directory is None:
            yield True
            return
        fd = None
        try:
            fd = directory.open('%s.claim-%s' % (self.changes.key, droplet_id))
            if not directory.lock(fd, min(CLAIM_MAX_WAIT, deadline - self._clock())):
                raise LockTimeout(errno.EAGAIN, 'the claim on Droplet %s was held too long (a stopped process?)'
                                  % droplet_id)
        except (IOError, OSError) as error:
            self.off('the claim on a Droplet failed: %s' % error)
        try:
            yield self.page_predates_ours(droplet_id, 0.0)  # any change of ours still on record: its own list
        finally:
            if fd is not None:
                os.close(fd)  # closing drops the lock, as the death of the process would

    def _note_changes(self, how, droplet_ids):
        if self.changes is None:
            return
        try:
            getattr(self.changes, how)(list(droplet_ids))
        except (IOError, OSError) as error:
            self.off('the record of our changes failed: %s' % error)

    def read_at(self):
        """When the request behind the latest shared result this process used was sent (see now()): that
        result shows nothing that began later. Now, if none."""
        if self.reads is None or self.reads.read_at is None:
            return self.now()
        return self.reads.read_at

    def actions_page(self, page, fetch, max_age, not_before, deadline=None):
        """Page ``page`` of GET /v2/actions (``fetch()`` reads it), shared if possible, compacted."""
        return self._shared('actions-p%d' % page, fetch, compact_actions_page, max_age, not_before, deadline)

    def droplets_page(self, page, fetch, max_age, not_before, deadline=None, kind='droplets'):
        """Page ``page`` of GET /v2/droplets (``fetch()`` reads it), shared if possible. ``kind`` keeps pages
        read for one purpose apart from those read for another (see waiter.shared_droplet)."""
        return self._shared('%s-p%d' % (kind, page), fetch, compact_droplets_page, max_age, not_before, deadline)

    def _shared(self, name, fetch, compact, max_age, not_before, deadline):
        """What others read if fresh enough, else ``fetch()`` compacted for them; unshared: ``fetch()`` as is."""
        if self.reads is None:
            return fetch()
        # A lease is waited for LEASE_MAX_WAIT at most (and never past the deadline): its holder then hangs (a
        # stopped process, a stuck request). One round was too short: a holder may first wait its turn in the
        # budget, and 2 of 200 hosts then went on alone, with the warning, in a plain play (bench scenario 7).
        lease_wait = LEASE_MAX_WAIT * (1.0 if self.budget is None else self.budget.round_stretch)  # token_share hook
        max_wait = lease_wait if deadline is None else max(0.0, min(lease_wait, deadline - self._clock()))

        def fetch_for_all():
            self._local.shared_read = True
            try:
                return compact(fetch())
            finally:
                self._local.shared_read = False
        try:
            return self.reads.read(name, fetch_for_all, max_age, not_before=not_before, max_wait=max_wait)
        except (IOError, OSError) as error:
            # token_share hook: a slow lease holder is no reason to leave the token's share (the budget works)
            budget = self.budget if isinstance(error, LockTimeout) else None
            self.off('shared polls failed: %s' % error)
            self.budget = budget
            return fetch()


def coordinator_for(api_url, token, shared=True, env=None, log=None, warn=None):
    """A Coordinator for this token and URL: shared when asked, possible and allowed, else local only."""
    env = os.environ if env is None else env
    coordinator = Coordinator(log=log, warn=warn)
    if not shared:
        coordinator.off('disabled by the shared_budget option or %s' % ENV_SWITCH, warn=False)
        return coordinator
    if fcntl is None:
        coordinator.off('no fcntl on this platform', warn=False)
        return coordinator
    directory, reason = private_directory(default_directory(env))
    if directory is not None:
        try:
            clean_stale(directory, time.time())
            key = budget_key(api_url, token)
            budget = RequestBudget(directory, key)
            with directory.locked(budget.name):  # a read-only directory shows here
                pass
            coordinator.budget, coordinator.reads = budget, SharedReads(directory, key)
            budget.hold_view = coordinator.inherited
            coordinator.changes = RecentChanges(directory, key)
            return coordinator
        except (IOError, OSError) as error:
            reason = 'cannot use %s: %s' % (directory.path, error.strerror or error)
    coordinator.off(reason)
    return coordinator


def _as_int(value):
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
