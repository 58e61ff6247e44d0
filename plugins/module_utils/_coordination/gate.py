# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request gate: all the HTTP client knows of coordination. Take a turn before a request, report the
answer after it; nothing else.

Alone, the turn is at once and the answers teach the process's own poll schedule (adaptive_schedule). With
the shared budget, the turn is the budget's (the processes on the controller queue for the token's minute),
a 429 holds every one of them off, and a hold another process set costs this one a probe at most
(inherited_hold).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import threading
import time

from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.adaptive_schedule import AdaptiveSchedule
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.inherited_hold import InheritedHold
from ansible_collections.oceanops.droplets.plugins.module_utils.retry import server_requested_delay
from ansible_collections.oceanops.droplets.plugins.module_utils.timing import (
    HOLD_OFF_WITHOUT_RETRY_AFTER, MAX_BUDGET_WAIT, PROCESS_COUNT_SECONDS, shared_round_seconds)


class RequestGate:
    """``budget`` is the shared RequestBudget or None; ``failed(reason)`` is told when it fails (the
    coordinator then turns sharing off, and calls ``drop_budget``)."""

    def __init__(self, budget=None, schedule=None, clock=time.monotonic, failed=None):
        self.schedule = schedule or AdaptiveSchedule(clock=clock)
        self.budget = budget
        self._clock = clock
        self._failed = failed
        self._local = threading.local()  # .priority: this thread reads a page for every fork
        self.inherited = InheritedHold(clock)  # a 429 hold another process set costs us one probe
        self._counted = (None, 1)  # (when, processes on the budget) for poll_floor
        if budget is not None:
            budget.hold_view = self.inherited

    def drop_budget(self):
        self.budget = None

    def _fail(self, error):
        reason = 'the shared budget failed: %s' % error
        self.budget = None
        if self._failed is not None:
            self._failed(reason)

    # -- what the client calls ---------------------------------------------------------------------
    def before_request(self, deadline):
        """Take this request's turn (wait for it, never past ``deadline``, monotonic)."""
        if self.budget is None:
            return
        max_wait = MAX_BUDGET_WAIT if deadline is None else max(0.0, deadline - self._clock())
        self.inherited.await_probe(max_wait)
        try:
            self.budget.take(max_wait, priority=getattr(self._local, 'priority', False))
        except (IOError, OSError) as error:
            self._fail(error)

    def observe(self, status, headers):
        """An answer came: its status and headers (429s and ``ratelimit-remaining``)."""
        remaining = _as_int(headers.get('ratelimit-remaining'))
        # Under the shared budget a fast drain is the budget at work, not a crowd to slow down for.
        self.schedule.observe(status, remaining if self.budget is None else None)
        self._sample(status, remaining)
        delay = None
        if status == 429 and self.budget is not None:
            delay = server_requested_delay(headers)
            delay = HOLD_OFF_WITHOUT_RETRY_AFTER if delay is None else delay
            try:
                self.budget.hold_off(delay)
            except (IOError, OSError) as error:
                self._fail(error)
        self.inherited.answered(status, delay)

    def _sample(self, status, remaining):
        """The token's ratelimit-remaining after an answer of ours: its fall beyond our own answers is the other
        controllers' (token_share). A 429's "0" counted nothing against the hour: no sample."""
        if status == 429 or remaining is None or self.budget is None:
            return
        try:
            self.budget.answered(remaining)
        except (IOError, OSError) as error:
            self._fail(error)

    def request_ended(self):
        """A request of this process ended, answered or not (see InheritedHold.ended)."""
        self.inherited.ended()

    def retry_delay(self, server_delay):
        """The wait before retrying after a 429 (longer after 429s in a row)."""
        return self.schedule.retry_delay(server_delay)

    def hold_note(self):
        """For a failure message: the time that went to a 429 hold another task set, or ''."""
        return self.inherited.note()

    # -- what the coordinator and the waiter use ---------------------------------------------------------
    def poll_factor(self):
        """How much slower than its schedule a poll waits (after 429s)."""
        return self.schedule.factor()

    def poll_floor(self):
        """The shortest poll interval for a task that reads on its own: none alone; beside other processes on the
        budget, a shared round (round_seconds): its polls take turns their POSTs need."""
        return self.round_seconds() if self.processes() > 1 else 0.0

    def round_seconds(self):
        """How often a crowd reads a shared page while it waits (timing.shared_round_seconds). Beside other
        controllers the crowd polling the token is theirs and ours, about ours times the token's rate over ours
        (round_stretch), and our rounds are that much rarer again: the token pays about one controller's rounds."""
        stretch = self.round_stretch()
        return shared_round_seconds(self.processes() * stretch) * stretch

    def processes(self):
        """How many processes use the budget now, this one included (1 without it); counted again at most every
        PROCESS_COUNT_SECONDS (each count is a locked read of the budget file)."""
        if self.budget is None:
            return 1
        when, processes = self._counted
        now = self._clock()
        if when is None or now - when >= PROCESS_COUNT_SECONDS:
            try:
                processes = 1 + int(self.budget.others_active())
            except (IOError, OSError) as error:
                self._fail(error)
                return 1
            self._counted = (now, processes)
        return processes

    @contextlib.contextmanager
    def priority(self):
        """Requests in the block read a page for every waiting process: they go ahead of single requests."""
        self._local.priority = True
        try:
            yield
        finally:
            self._local.priority = False

    def round_stretch(self):
        """How many times rarer a crowd's shared rounds are beside other controllers on the token (token_share)."""
        if self.budget is None:
            return 1.0
        try:
            return self.budget.stretch()
        except (IOError, OSError) as error:
            self._fail(error)
            return 1.0

    def arrive(self):
        """This task starts: how many processes use the budget now, this one included (1 without it)."""
        if self.budget is None:
            return 1
        try:
            return 1 + int(self.budget.arrive())
        except (IOError, OSError) as error:
            self._fail(error)
            return 1


def _as_int(value):
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
