# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How much of the token's per-minute limit this controller may use, learnt from ``ratelimit-remaining``.

Several controllers (AWX job slices, execution nodes) may drive one token, each with its own shared
directory: each one's shared budget (budget.RequestBudget) counts only its own forks' requests.
What every one of them sees is the API's ``ratelimit-remaining``: what is left of the token's hourly
quota. It falls by one for each request the token makes, ours and the others'; ours are known (the
budget file counts our answers), so the rest of the fall is the other controllers'. Their requests in
the last minute are then taken off the minute's budget, and the room left is split with them: counts,
not rates, since the allowance caps the requests in our own minute (a rate scaled up from a controller's
first seconds let it send more than its minute held room for); split by who sends now (the last
TOKEN_SHARE_RECENT seconds), so a controller whose work is done leaves its part of the room at once. Who sends now
is also who was let send: a controller held back sends little, so while its requests are queued and the minute has
room its allowance grows beyond that split, a step a second (equal steps up, proportional steps down).

Samples, one per second of the monotonic clock, kept in the budget's state (every fork reports its
answers there): the lowest ``ratelimit-remaining`` seen in that second, and how many of our answers
had come in with it. The lowest, because forks' answers arrive out of order and a late one carries an
older, higher count.

Limitations, by design:

- The hour slides: a request made an hour ago stops counting and ``ratelimit-remaining`` rises by one.
  Where the token also ran an hour ago, the fall is smaller than the requests made and the others'
  rate is underestimated by the rate of an hour before. Then a 429 can still come; the budget's
  hold-off (RequestBudget.hold_off) handles it as it does any 429.
- A 429 says ``remaining: 0`` and did not count against the hour: it is no sample.
- Until samples span TOKEN_SHARE_MIN_SPAN seconds nothing is known: controllers that start in the same
  second may meet a 429 in their first seconds (the hold-off again). Requests of the others made before
  our first sample are taken at the rate seen since, bounded by what the token's hour had spent by then.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.oceanops.droplets.plugins.module_utils.timing import (
    API_REQUESTS_PER_HOUR, TOKEN_SHARE_GROWTH, TOKEN_SHARE_MARGIN, TOKEN_SHARE_MAX_ROUND_STRETCH, TOKEN_SHARE_MIN_SHARE,
    TOKEN_SHARE_MIN_SPAN, TOKEN_SHARE_NOISE, TOKEN_SHARE_RECENT, TOKEN_SHARE_STEP, TOKEN_SHARE_STEP_GAP, TOKEN_SHARE_WINDOW)

# ratelimit-remaining is at most the hourly limit; a larger value is not one the API sends.
MAX_REMAINING = 10 ** 9


def empty():
    """The share's state before any answer: no samples, none of our answers counted."""
    return dict(seen={}, answered=0)


def validated(state, now):
    """The stored share with samples older than TOKEN_SHARE_WINDOW dropped, and any from after ``now`` (written
    before a reboot reset the monotonic clock). ValueError, TypeError or AttributeError when a value is not one
    we write: the caller's Corrupt path (sharing off, never a traceback)."""
    answered = _whole(state.get('answered', 0), 2 ** 53)
    seen = {}
    for second, sample in state.get('seen', {}).items():
        low, ours = sample
        seen[str(_whole(int(second) if second.isdigit() else second, 2 ** 53))] = [
            _whole(low, MAX_REMAINING), _whole(ours, answered + 1)]
    fresh = dict(answered=answered,
                 seen=dict((k, v) for k, v in seen.items() if int(now) - TOKEN_SHARE_WINDOW < int(k) <= now))
    if 'grant' in state:
        grant, stepped = state['grant']
        fresh['grant'] = [_whole(grant, MAX_REMAINING), _whole(stepped, 2 ** 53)]
    return fresh


def _whole(value, limit):
    """A whole number 0 <= value < limit, as we write them; bools, floats and strings are not."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < limit:
        raise ValueError('%r is not a count we write' % (value,))
    return value


class TokenShare:
    """Estimates, from the samples in a share state (see empty()), the other controllers' requests in the
    last minute and the per-minute allowance left to ours. The state is handed in and changed in place:
    reading and writing it (under the budget's lock) is the caller's."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock

    def answered(self, state, remaining):
        """One of our requests was answered (not 429) with ``ratelimit-remaining: remaining`` (None: absent)."""
        if remaining is None or not 0 <= remaining < MAX_REMAINING:
            return
        state['answered'] += 1
        second = str(int(self._clock()))
        sample = state['seen'].get(second)
        if sample is None or remaining < sample[0]:
            state['seen'][second] = [remaining, state['answered']]

    def minute(self, state):
        """(the other controllers' requests in the token's last minute, ours), counted from the samples of the last
        minute, or None until they span TOKEN_SHARE_MIN_SPAN seconds.

        Ours are our answers counted between the samples: what our own minute holds, which the allowance caps. The
        others may have sent before the first sample too, for up to the rest of the minute: that part is taken at
        the rate seen since, but never as more than the token's hour had spent by that sample. Controllers that
        start together then see the few requests each made, not a minute of their first seconds' burst; one that
        joins a busy token sees the busy minute."""
        samples = self._samples(state, TOKEN_SHARE_WINDOW)
        counted = _counts(samples)
        if counted is None:
            return None
        others, ours, span = counted
        unseen = others * max(0.0, 60.0 - span) / span
        return others + min(unseen, max(0, API_REQUESTS_PER_HOUR - samples[0][1])), ours

    def recent_share(self, state):
        """Our part of the token's requests over the last TOKEN_SHARE_RECENT seconds (None: not known yet): who
        sends now. A controller whose work is done gives up its part of the room within these seconds, not a minute."""
        counted = _counts(self._samples(state, TOKEN_SHARE_RECENT))
        if counted is None or not sum(counted[:2]):
            return None
        others, ours, unused = counted
        return ours / (ours + others)

    def _samples(self, state, seconds):
        """(second, lowest remaining, our answers by then) of the last ``seconds`` seconds, oldest first."""
        return sorted((int(second), low, ours) for second, (low, ours) in state['seen'].items()
                      if int(second) > int(self._clock()) - seconds)

    def allowance(self, state, per_minute, queued=False):
        """Our per-minute allowance: our requests in the token's minute, and a part of the room left in it (or of the
        excess) as large as our part of the token's requests of the last few seconds (recent_share): every
        controller grows into the room at once, so each taking all of it would overshoot n times. Never below
        TOKEN_SHARE_MIN_SHARE of ``per_minute``. While our turns are ``queued`` and the minute has room, it grows
        beyond that split by TOKEN_SHARE_STEP a second (kept in ``state['grant']``), never beyond the room."""
        estimate = self.minute(state)
        if estimate is None or not estimate[0]:
            state.pop('grant', None)
            return per_minute
        others, ours = estimate
        share = self.recent_share(state)
        share = max(TOKEN_SHARE_MIN_SHARE, ours / (ours + others) if share is None else share)
        room = per_minute - TOKEN_SHARE_MARGIN - others - ours
        floor = max(1, int(per_minute * TOKEN_SHARE_MIN_SHARE))
        split = int(max(floor, min(per_minute, ours + room * share + TOKEN_SHARE_GROWTH)))
        return self._grown(state, split, min(per_minute, ours + room + TOKEN_SHARE_GROWTH) if queued else None)

    def _grown(self, state, split, most):
        """The split, or (``most`` not None: our turns are queued) the grant grown since its last step, up to ``most``.
        A grant not stepped in the last few seconds starts again from the split."""
        second = int(self._clock())
        grant, stepped = state.get('grant', (split, second))
        if most is None or most <= split or not 0 <= second - stepped <= TOKEN_SHARE_STEP_GAP:
            state['grant'] = [split, second]
            return split
        grant = int(min(most, max(grant, split) + TOKEN_SHARE_STEP * (second - stepped)))
        state['grant'] = [grant, second]
        return grant

    def round_stretch(self, state):
        """How many times rarer our shared rounds (the waiting forks' polls) are beside other controllers: the
        token's requests over ours (at most TOKEN_SHARE_MAX_ROUND_STRETCH). Each controller reads its own
        rounds, so without this n controllers would read n times the rounds one controller reads."""
        estimate = self.minute(state)
        if estimate is None or not estimate[0]:
            return 1.0
        others, ours = estimate
        return min(TOKEN_SHARE_MAX_ROUND_STRETCH, (others + ours) / max(ours, 1.0))

    @staticmethod
    def spacing(allowance, per_minute, singles):
        """Seconds between two single requests of ours: none alone (``allowance`` is all of ``per_minute``), else
        the ``singles`` a minute spread out. Every controller's window frees at once where the first burst
        leaves it; spread out, their requests never meet in one burst over the limit."""
        return 0.0 if allowance >= per_minute else 60.0 / max(1, singles)


def _counts(samples):
    """(the others' requests, ours, the seconds spanned) between the first of ``samples`` and the one with the lowest
    remaining; None when they span less than TOKEN_SHARE_MIN_SPAN. A fall at most TOKEN_SHARE_NOISE beyond ours
    is no one else's."""
    if not samples:
        return None
    first = samples[0]
    lowest = min(samples, key=lambda sample: (sample[1], -sample[0]))
    span = lowest[0] - first[0]
    if span < TOKEN_SHARE_MIN_SPAN:
        return None
    ours = max(0, lowest[2] - first[2])
    others = max(0, first[1] - lowest[1] - ours)
    return (0 if others <= TOKEN_SHARE_NOISE else others), ours, span
