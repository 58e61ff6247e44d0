# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retry backoff, Retry-After parsing and the action poll schedule; their numbers are in timing.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import random
import time
from email.utils import parsedate_to_datetime

from ansible_collections.oceanops.droplets.plugins.module_utils.timing import (
    POLL_FIRST_SECONDS, POLL_MAX_SECONDS, POLL_SHORT_CAP_SECONDS, RATE_LIMIT_WAIT_CAP_SECONDS, RETRY_AFTER_FLOOR_SECONDS,
    TRANSPORT_BACKOFF_BASE_SECONDS, TRANSPORT_BACKOFF_CAP_SECONDS)


def backoff_delay(attempt, rng=random):
    """Full-jitter exponential backoff: a random delay in [0, min(cap, base * 2**attempt)].

    Jitter spreads the retries of many concurrent Ansible forks sharing one token, so they do
    not hit the API again in lock step after a 429 or a 5xx.
    """
    ceiling = min(TRANSPORT_BACKOFF_CAP_SECONDS, TRANSPORT_BACKOFF_BASE_SECONDS * (2 ** attempt))
    return rng.uniform(ceiling / 4.0, ceiling)


def server_requested_delay(headers, now=None):
    """Seconds the server asked us to wait, from Retry-After or ratelimit-reset; None if neither.

    DigitalOcean sends ``ratelimit-reset`` as a Unix time on every response and may send
    ``Retry-After`` with a 429, as seconds or as an HTTP-date (RFC 9110). Any readable value is
    kept between RETRY_AFTER_FLOOR_SECONDS and RATE_LIMIT_WAIT_CAP_SECONDS (infinity is the cap); an
    unreadable one (NaN, text) counts as absent. The caller's deadline is the final ceiling.
    """
    if now is None:
        now = time.time()
    retry_after = retry_after_seconds(headers.get('Retry-After'), now)
    if retry_after is not None:
        return _bounded(retry_after)
    reset_at = _as_float(headers.get('ratelimit-reset'))
    if reset_at is not None and str(headers.get('ratelimit-remaining')).strip() == '0':
        return _bounded(reset_at - now)
    return None


def retry_after_seconds(value, now):
    """A Retry-After header as seconds from ``now`` (may be negative or infinite); None if unreadable."""
    if value is None:
        return None
    seconds = _as_float(value)
    if seconds is not None:
        return seconds
    try:
        return parsedate_to_datetime(str(value)).timestamp() - now
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _bounded(seconds):
    return min(max(seconds, RETRY_AFTER_FLOOR_SECONDS), RATE_LIMIT_WAIT_CAP_SECONDS)


def poll_interval(elapsed):
    """Seconds to wait before the next status poll, ``elapsed`` seconds into a wait.

    The schedule starts fast (0.5 s), reaches 2 s after about six seconds, and from 20 s on
    grows to 10 % of the time already waited (capped at 60 s). Any poll gap is therefore at
    most max(2 s, 10 % of the action's length), which bounds how late a finish is noticed,
    while the number of polls grows with the logarithm of the action's length, not linearly.
    """
    early = min(POLL_SHORT_CAP_SECONDS, POLL_FIRST_SECONDS + 0.25 * elapsed)
    return min(POLL_MAX_SECONDS, max(early, 0.1 * elapsed))


def _as_float(value):
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return None if math.isnan(number) else number
