# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A 429 hold another process left in the shared budget costs this one no more than the API asks of it now.

A 429 with a huge Retry-After in one task holds every process on the token off for up to 120 s
(budget.RequestBudget.hold_off). A task that comes along later did not meet that 429: the hold
is a hint, not what the API asks of it now. So it sends one request (the probe) at once instead of
waiting; the answer caps the hold for this process: a success lifts it, a 429 sets it to that 429's
own Retry-After. While the probe is out, the process's other threads wait for its answer.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time


class InheritedHold:
    """This process's view of the shared hold: ``honoured`` is asked under the budget's lock for each turn."""

    def __init__(self, clock=time.monotonic):  # the shared budget's clock: its hold times are on it
        self._clock = clock
        self._answered = threading.Condition()
        self.answer_at = None  # when (the budget's clock) this process's latest answer from the API came
        self.own_until = None  # the end of the hold that answer asked for (its own time if it was no 429)
        self.probe_at = None  # when (the budget's clock) this process's latest probe was sent
        self._prober = None  # the thread that sent it
        self.met = False  # a hold another process set was in force when this one was about to send
        self.waited = 0.0  # seconds this process spent waiting on such a hold

    def answered(self, status, delay):
        """An answer came back: a 429 asks for ``delay`` seconds (None: no Retry-After), anything else for none."""
        with self._answered:
            self.answer_at = self._clock()
            self.own_until = self.answer_at + ((delay or 0.0) if status == 429 else 0.0)
            self._answered.notify_all()

    def honoured(self, until, since, now):
        """The end of the hold this request keeps to, given the shared hold (``until``, set at ``since``)."""
        with self._answered:
            if until <= now:
                return until
            if self.answer_at is not None and self.answer_at >= since:
                return min(until, self.own_until)  # what the API asked of us since the hold began
            self.met = True
            if self.probe_at is None or self.probe_at < since:
                self.probe_at, self._prober = now, threading.get_ident()
                return now  # this request is the probe
            self.waited += until - now  # a thread that slipped past await_probe: it keeps to the hold
            return until

    def ended(self):
        """A request of this thread ended: if it was the probe and got no answer (a dropped connection, a
        timeout), the probe is over and taught nothing; the next request is a probe again."""
        with self._answered:
            if self._probe_out() and self._prober == threading.get_ident():
                self.probe_at = None
            self._answered.notify_all()

    def await_probe(self, max_wait):
        """While this process's probe is out, wait for it to end (at most ``max_wait`` s)."""
        with self._answered:
            started = time.monotonic()
            while self._probe_out() and time.monotonic() - started < max_wait:
                self._answered.wait(max_wait - (time.monotonic() - started))
            self.waited += time.monotonic() - started

    def _probe_out(self):
        return self.probe_at is not None and (self.answer_at is None or self.answer_at < self.probe_at)

    def note(self):
        """For a failure message: how much of this task went to a hold another task set, or ''."""
        if not self.met:
            return ''
        return ('; a rate-limit hold set by another task on this token (after a 429 it met) was in force: this task '
                'spent %.1f s waiting on it and sent one request to ask the API instead' % self.waited)
