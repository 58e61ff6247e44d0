# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A poll schedule that learns from the API: slower after a 429, slowly back to normal after.

One module process does not know how many others share its token (50 Ansible forks each run their
own). What it can see is the API's answer: a 429, or ``ratelimit-remaining`` falling faster than the
burst limit allows. Either multiplies this process's poll interval (multiplicative decrease of the
request rate); the factor then comes back down by a fixed amount per second without trouble
(additive increase), so a crowd of forks settles under the limit instead of collapsing into it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import random
import threading
import time

from ansible_collections.oceanops.droplets.plugins.module_utils.timing import (
    CONSECUTIVE_429_BASE_SECONDS, DRAIN_COOLDOWN, DRAIN_MIN_SPAN, DRAIN_WINDOW, FAST_DRAIN_PER_SECOND,
    RATE_LIMIT_WAIT_CAP_SECONDS, jittered_server_delay)

MAX_FACTOR = 16.0
SLOW_DOWN_ON_429 = 2.0
SLOW_DOWN_ON_DRAIN = 1.5
# The factor comes back down by this much per second without a 429 or a fast drain.
RECOVERY_PER_SECOND = 0.05


class AdaptiveSchedule:
    """This process's slow-down factor for polls, and its retry delay after a 429.

    ``factor()`` multiplies the normal poll interval (1.0 = the normal schedule). Thread-safe: a
    fleet task polls and posts from several threads through one client.
    """

    def __init__(self, clock=time.monotonic, rng=None):
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._factor = 1.0
        self._factor_at = clock()
        self._consecutive_429 = 0
        self._remaining = collections.deque()  # (time, ratelimit-remaining), oldest first
        self._last_drain_slow_down = None
        self.slow_downs = 0

    def factor(self):
        with self._lock:
            return self._current()

    def _current(self):
        now = self._clock()
        recovered = (now - self._factor_at) * RECOVERY_PER_SECOND
        self._factor = max(1.0, self._factor - recovered)
        self._factor_at = now
        return self._factor

    def _slow_down(self, by):
        self._factor = min(MAX_FACTOR, self._current() * by)
        self.slow_downs += 1

    def observe(self, status, remaining=None):
        """Learn from one answer: its HTTP status and its ``ratelimit-remaining`` (an int or None)."""
        with self._lock:
            if status == 429:
                self._consecutive_429 += 1
                self._remaining.clear()  # a 429 says remaining 0: not a sample of the drain rate
                self._slow_down(SLOW_DOWN_ON_429)
                return
            self._consecutive_429 = 0
            if remaining is not None:
                self._note_remaining(remaining)

    def _note_remaining(self, remaining):
        now = self._clock()
        samples = self._remaining
        samples.append((now, remaining))
        while samples and samples[0][0] < now - DRAIN_WINDOW:
            samples.popleft()
        first_at, first_remaining = samples[0]
        span = now - first_at
        if span < DRAIN_MIN_SPAN or (first_remaining - remaining) / span < FAST_DRAIN_PER_SECOND:
            return
        if self._last_drain_slow_down is not None and now - self._last_drain_slow_down < DRAIN_COOLDOWN:
            return
        self._last_drain_slow_down = now
        self._slow_down(SLOW_DOWN_ON_DRAIN)

    def retry_delay(self, server_delay):
        """Seconds before retrying a request that met a 429 (``observe`` has seen that 429 already).

        The first 429 in a row waits what the server asked (Retry-After) plus up to 10 % (at most
        1 s) of jitter, no more. A retry that meets another 429 is evidence of a crowd (or of a
        limiter that counts refused requests): each further one in a row doubles a floor, with up
        to 50 % of jitter so the crowd spreads out (so does a 429 that asked for no wait at all).
        Never less than the server asked.
        """
        with self._lock:
            consecutive = max(1, self._consecutive_429)
        asked = max(0.0, server_delay or 0.0)
        if consecutive == 1 and server_delay is not None:
            return jittered_server_delay(asked, self._rng)
        floor = min(RATE_LIMIT_WAIT_CAP_SECONDS, CONSECUTIVE_429_BASE_SECONDS * 2 ** (consecutive - 1))
        base = max(asked, floor)
        return max(asked, min(RATE_LIMIT_WAIT_CAP_SECONDS, base * self._rng.uniform(1.0, 1.5)))
