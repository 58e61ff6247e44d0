# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every timing rule of the collection in one place: the API's limits, the budget derived from them,
retry caps, the wait after a 429, the poll schedule, grace windows, lock and lease waits, stale ages.

Other modules import these names; a value changes here and nowhere else. All times are seconds.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random

# -- the API's limits, per token (DigitalOcean's documented rate limits) --------------------------
API_REQUESTS_PER_MINUTE = 250
API_REQUESTS_PER_HOUR = 5000

# -- the shared budget: the API's limits less headroom for the token's other users ------------------
BUDGET_HEADROOM_PER_MINUTE = 20
BUDGET_HEADROOM_PER_HOUR = 500
BUDGET_PER_MINUTE = API_REQUESTS_PER_MINUTE - BUDGET_HEADROOM_PER_MINUTE
BUDGET_PER_HOUR = API_REQUESTS_PER_HOUR - BUDGET_HEADROOM_PER_HOUR
# Of the minute's budget, this much is kept for shared reads: one of them serves every waiting fork, so
# it goes ahead of the queue of single requests (which get the rest, 210 a minute).
SHARED_READ_RESERVE = 20
# Without a deadline, never wait longer than this for one request's turn.
MAX_BUDGET_WAIT = 120.0
# A 429 with no Retry-After holds everyone off this long.
HOLD_OFF_WITHOUT_RETRY_AFTER = 5.0
# A process that took a turn this recently, and still runs, counts as a fork waiting alongside.
ACTIVE_SECONDS = 120.0
# A crowd reads a shared page at most every 0.1 s per process (and at least every 5 s): 2 s for up to
# 20 forks, 5 s for 50. A process whose own poll interval is longer reads at half that interval.
SHARED_ROUND_SECONDS_PER_PROCESS = 0.1
SHARED_ROUND_MIN_SECONDS = 2.0
SHARED_ROUND_MAX_SECONDS = 5.0


def shared_round_seconds(processes):
    """How often a crowd of ``processes`` on one token reads a shared page while it waits (see above); a task that
    waits on its own beside such a crowd polls no more often (every request of it takes a turn the crowd's POSTs
    need)."""
    return min(SHARED_ROUND_MAX_SECONDS, max(SHARED_ROUND_MIN_SECONDS, SHARED_ROUND_SECONDS_PER_PROCESS * processes))


# How long a count of the processes on the budget stays good for a lone task's poll floor (each count is a
# locked read of the budget file).
PROCESS_COUNT_SECONDS = 1.0
# A shared read's lease holder is waited for at most this long (and never past the task's deadline); then it
# hangs, and the task goes on alone. Longer than a round: a holder may first wait its turn in the budget.
LEASE_MAX_WAIT = 10.0
# A process of ours holds a Droplet's claim for its look and POST (Coordinator.claim): well under a second as a
# rule. A claim held longer than this, past the time its holder said it may need (claim_hold_seconds), is a
# stopped process: the task goes on alone.
CLAIM_MAX_WAIT = 10.0

# -- several controllers on one token (token_share): the others' requests, from ratelimit-remaining -----------
# Samples of ratelimit-remaining kept, in whole seconds: the API's minute, one more so a second never drops
# early. The others' requests over this window are what they hold of the minute's limit now.
TOKEN_SHARE_WINDOW = 61
# Who sends now: our part of the token's requests over this many seconds splits the room left in its minute.
TOKEN_SHARE_RECENT = 15
# Samples spanning less than this say nothing yet: one burst of forks' answers, in any order.
TOKEN_SHARE_MIN_SPAN = 2.0
# A fall at most this much more than our own requests is noise (an answer of ours counted a moment after the
# API counted it), not another controller: a lone controller keeps its whole budget.
TOKEN_SHARE_NOISE = 3
# Whatever the others take, we keep at least this share of the minute's budget (and of the room left), so a
# controller that lost the race at the start is never starved: its requests keep its samples coming.
TOKEN_SHARE_MIN_SHARE = 0.125
# Beside others, the token's minute is shared from this much less than the budget: what they send shows a second
# or two late.
TOKEN_SHARE_MARGIN = 20
# Each controller's allowance is its rate plus this, less its part of any excess (in proportion to its rate):
# equal steps up and proportional steps down make unequal shares even out, at the cost of this much over
# the budget for each controller at most (four: 12 of the 20 of headroom).
TOKEN_SHARE_GROWTH = 3
# A controller whose turns are queued grows its allowance by this much a minute, every second, while the token's
# minute has room: split by who sends now, one held back sends little and would stay held back while another keeps
# room it does not use. Equal steps up (and the split's proportional steps down) even the shares out; four
# controllers stepping up together for the two seconds their answers take to show add 16 at most.
TOKEN_SHARE_STEP = 2
# A grant not stepped for longer than this (nothing queued meanwhile) starts again from the split.
TOKEN_SHARE_STEP_GAP = 5
# Beside other controllers a controller's shared rounds are read as many times more rarely as the token's rate is
# over its own (n controllers, n times), so the token pays for about one controller's rounds; at most this many
# times (5 s rounds become 20 s: an action's end is noticed later, which costs time, not requests).
TOKEN_SHARE_MAX_ROUND_STRETCH = 4.0

# A single request's turn booked further ahead than this (beside other controllers, whose share of the minute sets
# our spacing) is looked at again this often: when they leave room, the queue moves up instead of keeping the
# places it was given while the token was busy.
BOOKED_TURN_CHECK_SECONDS = 2.0
# The queue is planned again when our spacing is below this part of the spacing it was planned with (small changes
# of the allowance, which come with every answer, leave it be).
BOOKED_TURN_REPLAN_BELOW = 0.9

# -- the private directory's files ----------------------------------------------------------------------
# Files untouched for this long belong to no running task: they are removed.
STALE_SECONDS = 2 * 3600
# A temporary file lives milliseconds while a result is written; one this old was left by a killed writer.
TEMPORARY_STALE_SECONDS = 60.0
# A lock is held for milliseconds; waiting longer than this means its holder is stuck.
LOCK_MAX_WAIT = 2.0
# How often a lock is tried again while another process holds it.
LOCK_POLL_SECONDS = 0.02

# -- retries of one request -------------------------------------------------------------------------
# Transport failures (5xx, a dropped connection, an unreadable body): exponential backoff from this ...
TRANSPORT_BACKOFF_BASE_SECONDS = 0.5
# ... to at most this: a server that failed for half a minute is better reported than waited on.
TRANSPORT_BACKOFF_CAP_SECONDS = 30.0
# A 429's wait (what the server asked, or our doubling after 429s in a row) is never longer than this:
# the caller's deadline decides beyond it.
RATE_LIMIT_WAIT_CAP_SECONDS = 120.0
# A server-requested wait shorter than this (0, negative, a tiny fraction) is raised to it: a
# Retry-After of 0 must not turn a 429 into a request storm.
RETRY_AFTER_FLOOR_SECONDS = 1.0
# Jitter added to a server-requested wait: 10 % of it, at most this many seconds.
SERVER_DELAY_JITTER_CAP_SECONDS = 1.0
# Retries after consecutive 429s: at least this many seconds times 2 ** (consecutive - 1).
CONSECUTIVE_429_BASE_SECONDS = 1.0
# Below this many requests left in the hourly quota, requests are spread out until the reset; one
# request never waits longer than PACE_MAX_SECONDS for it.
PACE_BELOW_REMAINING = 25
PACE_MAX_SECONDS = 60.0
# How long past ``timeout`` a request may take before it is abandoned (the reading thread's own check
# normally ends it first).
ABANDON_GRACE_SECONDS = 0.5

# -- the adaptive schedule: noticing a crowd on the token ------------------------------------------------
# ratelimit-remaining falling faster than this (requests a second, over at least DRAIN_MIN_SPAN
# seconds) means the token's users together run at 80 % of the burst limit or more.
FAST_DRAIN_SHARE_OF_LIMIT = 0.8
FAST_DRAIN_PER_SECOND = API_REQUESTS_PER_MINUTE * FAST_DRAIN_SHARE_OF_LIMIT / 60.0
DRAIN_MIN_SPAN = 5.0
# Samples of ratelimit-remaining older than this say nothing about the current drain.
DRAIN_WINDOW = 30.0
# One slow-down per this many seconds for a drain: the samples that showed it stay in the window.
DRAIN_COOLDOWN = 5.0

# -- polling an action, and the windows around it ----------------------------------------------------
# The poll schedule (retry.poll_interval): a first look this soon, ...
POLL_FIRST_SECONDS = 0.5
# ... gaps that grow to this in the first seconds, ...
POLL_SHORT_CAP_SECONDS = 2.0
# ... and never longer than this, however long the action runs or a crowd slows it.
POLL_MAX_SECONDS = 60.0
# How long a POST that got no usable answer may take to show up as an action, at most. A 504 from a
# proxy can be followed by the API applying the request seconds later; resending sooner runs it twice.
RECONCILE_WINDOW_SECONDS = 15.0
# How long a Droplet's status may lag someone else's completed action before we decide on what it shows.
STATUS_LAG_GRACE_SECONDS = 15.0
# An action just created may briefly answer 404 while the API catches up; tolerate that this long.
NEW_ACTION_GRACE_SECONDS = 10.0
# In a crowd, a plan may start from a page of GET /v2/droplets other processes read at most this long
# ago: whatever happened to the Droplet since shows in the look before the POST, which plans again.
SHARED_PLAN_MAX_AGE = 20.0


def jittered_server_delay(delay, rng=random):
    """The wait after a 429: what the server asked plus up to 10 % (at most 1 s) more, never less.

    Every fork that met the same burst limit is told the same Retry-After; without the jitter they
    would all come back in the same instant and meet the limit again. Both the client's own retry and
    the adaptive schedule's first 429 in a row wait this.
    """
    return delay + rng.uniform(0.0, min(SERVER_DELAY_JITTER_CAP_SECONDS, 0.1 * delay))


def claim_hold_seconds(request_timeout):
    """How long a Droplet's claim may be held by a process that is not stuck: its look, a POST that hangs
    until the request timeout, the RECONCILE_WINDOW_SECONDS watch for it after an unknown outcome, and the
    one resend. Our other processes wait that long for it (never past their deadline): giving up sooner let
    one of them POST while the first POST's outcome was still unknown."""
    return CLAIM_MAX_WAIT + 2 * request_timeout + RECONCILE_WINDOW_SECONDS
