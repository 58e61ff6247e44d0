# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The coordinator of one task: its request gate, and where the directory can be used, the shared pages,
the claims on Droplets and the record of our changes.

The HTTP client sees only the gate. The reading strategy (reading.py) sees the rest, through this class:
it asks ``crowded()`` once, when the task starts, and reads pages, claims Droplets and notes changes here.
Any problem with the directory turns sharing off for the rest of the task (``off``), with a warning the
user sees once; the task then goes on as a lone task would.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import errno
import math
import os
import time

from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.budget import RequestBudget
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.directory import (
    Corrupt, LockTimeout, clean_stale, default_directory, fcntl, private_directory, read_json, write_json)
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.gate import RequestGate
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.names import Names, budget_key
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.recent_changes import RecentChanges
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.shared_reads import Shared, SharedReads
from ansible_collections.oceanops.droplets.plugins.module_utils.timing import CLAIM_MAX_WAIT, LEASE_MAX_WAIT

ENV_SWITCH = 'OCEANOPS_SHARED_BUDGET'


class Coordinator:
    def __init__(self, names=None, budget=None, reads=None, changes=None, clock=time.monotonic, log=None, warn=None,
                 schedule=None):
        self.names = names
        self.gate = RequestGate(budget, schedule, clock, failed=self.off)
        self.reads = reads
        self.changes = changes  # RecentChanges: which Droplets our processes changed, and when
        self.note = None  # why the shared directory is not used, if it is not
        self._clock = clock
        self._log = log
        self._warn = warn  # the user sees this (module.warn): once a task, when the directory turned sharing off
        self.crowd_size = 1  # processes on this budget, this one included, when crowded() looked

    def shared(self):
        return self.gate.budget is not None

    def shares_reads(self):
        """False once the shared reads went off for this task (``off``): its reads are its own."""
        return self.reads is not None

    def off(self, reason, warn=True, keep_budget=False):
        """Fall back to the adaptive schedule alone, with a debug-level note; a problem with the directory (not
        the user's choice) is also a warning the user sees, once a task: else another local user could switch
        sharing off unseen, and fifty hosts would cost seven times the requests. ``keep_budget``: only the shared
        reads and claims go (a slow lease holder is no reason to leave the token's budget: beside other
        controllers, tasks that did sent without it and met 429 storms)."""
        warn = warn and self._warn is not None and self.note is None
        if not keep_budget:
            self.gate.drop_budget()
        self.reads = self.changes = None
        self.note = reason
        what = 'shared reads' if keep_budget else 'request coordination'
        if self._log:
            self._log('oceanops.droplets: %s off: %s' % (what, reason))
        if warn:
            self._warn('oceanops.droplets: processes on this controller do not share %s for this task: %s'
                       % ('reads (they still share the request budget)' if keep_budget else 'requests', reason))

    def now(self):
        """The clock of shared times: monotonic, the same in every process on this machine, never stepped back
        (a wall clock is, and a local age measured on it could be negative)."""
        return self._clock()

    def crowded(self):
        """True when other processes on this token run now: then shared reads pay. Asked once a task."""
        if self.reads is None:
            return False
        self.crowd_size = self.gate.arrive()
        return self.reads is not None and self.crowd_size > 1

    def round_seconds(self):
        """How often a crowd reads a shared page while it waits: one round serves every process, but each
        round beyond the budget's reserve costs a POST its turn, so the more processes the rarer the rounds
        (RequestGate.round_seconds). The crowd as it is now: the forks that arrived first found few others, and
        their short rounds set every fork's pace (any fork re-reads a page older than its own round)."""
        return self.gate.round_seconds()

    # -- shared pages --------------------------------------------------------------------------------
    def page(self, kind, number, fetch, compact, max_age, not_before, deadline=None):
        """Shared: page ``number`` of set ``kind`` (names.PAGE_KINDS), what another process read if sent at most
        ``max_age`` s ago and not before ``not_before``, else ``fetch()`` compacted for them. Sharing off: our
        own ``fetch()`` as it is (``own`` True)."""
        if self.reads is None:
            return self._own(fetch)
        # A lease is waited for LEASE_MAX_WAIT at most (and never past the deadline): its holder then hangs (a
        # stopped process, a stuck request). One round was too short: a holder may first wait its turn in the
        # budget, and 2 of 200 hosts then went on alone, with the warning, in a plain play (bench scenario 7).
        # Beside other controllers the rounds are rarer (token_share): a lease may be held as much longer.
        lease_wait = LEASE_MAX_WAIT * (self.gate.budget.round_stretch if self.gate.budget is not None else 1.0)
        max_wait = self._within(deadline, lease_wait)

        def fetch_for_all():
            with self.gate.priority():
                return compact(fetch())

        def longer(progressed):  # not hung: a holder waiting out a 429 hold or its turn (wait until then, and a
            # lease wait), or holders storing pages in turn, each newer than the last one's (a lease wait more)
            busy = self.gate.budget.busy_left() if self.gate.budget is not None else 0.0
            return self._within(deadline, lease_wait + busy if busy > 0 or progressed else 0.0)
        try:
            return self.reads.read(self.names.page(kind, number), fetch_for_all, max_age, not_before, max_wait,
                                   longer)
        except (IOError, OSError) as error:
            self.off('shared polls failed: %s' % error, keep_budget=isinstance(error, LockTimeout))
            return self._own(fetch)

    def _within(self, deadline, seconds):
        """``seconds``, never past ``deadline`` (monotonic; None: no deadline)."""
        return seconds if deadline is None else max(0.0, min(seconds, deadline - self._clock()))

    def _own(self, fetch):
        sent = self._clock()
        value = fetch()
        return Shared(value, sent, self._clock(), True)

    def stored_page(self, kind, number):
        """The stored result of page ``number`` of set ``kind``, any age, or None."""
        if self.reads is None:
            return None
        try:
            return self.reads.peek(self.names.page(kind, number))
        except (IOError, OSError):
            return None

    # -- our changes and claims ----------------------------------------------------------------------
    def changing(self, droplet_ids):
        """Our actions on these Droplets were accepted (see recent_changes)."""
        self._note_changes('changing', droplet_ids)

    def settled(self, droplet_ids):
        """Our actions on these Droplets ended and their effect showed."""
        self._note_changes('settled', droplet_ids)

    def page_predates_ours(self, droplet_id, sent_at):
        """True if a shared page whose request was sent at ``sent_at`` may not show one of our own actions on
        the Droplet (or it cannot be told): such a page is not planned from."""
        if self.changes is None:
            return True
        try:
            return self.changes.changed_since(droplet_id, sent_at)
        except (IOError, OSError) as error:
            self.off('the record of our changes failed: %s' % error)
            return True

    @contextlib.contextmanager
    def claim(self, droplet_id, deadline, hold_for=CLAIM_MAX_WAIT):
        """The Droplet is this process's to look at and POST to, for the block: our other processes wait for it,
        so two of them never both POST from plans made before either. The holder writes in the claim until when
        it may hold it (``hold_for`` s: timing.claim_hold_seconds); a waiter waits CLAIM_MAX_WAIT, and longer
        while the holder's time runs, never past ``deadline`` (monotonic).
        Yields True when the look before the POST must be the Droplet's own list: one of our processes changed
        it lately (the record of our changes), and a shared page may predate that; or there is no shared
        directory, or the claim could not be had (then sharing is off, and the look is the lone one)."""
        directory = getattr(self.changes, 'directory', None)
        if directory is None:
            yield True
            return
        fd = None
        try:
            fd = directory.open(self.names.claim(droplet_id))
            if not self._wait_for_claim(directory, fd, deadline):
                raise LockTimeout(errno.EAGAIN, 'the claim on Droplet %s was held too long (a stopped process?)'
                                  % droplet_id)
            write_json(fd, dict(until=self._clock() + hold_for))
        except (IOError, OSError) as error:
            self.off('the claim on a Droplet failed: %s' % error)
        try:
            yield self.page_predates_ours(droplet_id, 0.0)  # any change of ours still on record: its own list
        finally:
            if fd is not None:
                os.close(fd)  # closing drops the lock, as the death of the process would

    def _wait_for_claim(self, directory, fd, deadline):
        """True once the claim on ``fd`` is ours: waited for CLAIM_MAX_WAIT, then while its holder's time runs."""
        if directory.lock(fd, min(CLAIM_MAX_WAIT, deadline - self._clock())):
            return True
        until = read_json(fd).get('until')
        if until is None:  # the holder has not said (it has just taken the claim): no longer than the cap
            return False
        if isinstance(until, bool) or not isinstance(until, (int, float)) or not math.isfinite(until):
            raise Corrupt(errno.EINVAL, 'a claim holds a value we never write')
        longest = min(until, deadline) - self._clock()
        return longest > 0 and directory.lock(fd, longest)

    def _note_changes(self, how, droplet_ids):
        if self.changes is None:
            return
        try:
            getattr(self.changes, how)(list(droplet_ids))
        except (IOError, OSError) as error:
            self.off('the record of our changes failed: %s' % error)


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
            names = Names(budget_key(api_url, token))
            budget = RequestBudget(directory, names.key)
            with directory.locked(budget.name):  # a read-only directory shows here
                pass
            return Coordinator(names, budget, SharedReads(directory), RecentChanges(directory, names.key), log=log,
                               warn=warn)
        except (IOError, OSError) as error:
            reason = 'cannot use %s: %s' % (directory.path, error.strerror or error)
    coordinator.off(reason)
    return coordinator
