"""DigitalOcean's rate limits: per token, every request counted for one hour and for one minute.

The API documentation: each request has its own timer and stops counting one hour after it was
made (a sliding window, not a reset on the hour); ``ratelimit-limit`` is the hourly limit,
``ratelimit-remaining`` what is left of it, ``ratelimit-reset`` the Unix time the oldest counted
request expires. The burst limit (250 a minute) answers 429 with ``ratelimit-remaining: 0`` and a
``retry-after`` in seconds; the hourly limit answers 429 until ``ratelimit-reset``.

Whether a refused request counts is not documented, so both readings exist: ``lenient`` (the
default) counts only admitted requests; ``strict`` counts a 429 against the minute as well, so a
client that retries at once keeps itself out until it waits a whole minute.
"""

import collections
import math
import time


MODES = ('lenient', 'strict')


class RateLimiter:
    def __init__(self, per_minute=250, per_hour=5000, clock=time.time, mode='lenient'):
        if mode not in MODES:
            raise ValueError('rate limit mode must be one of %s, not %r' % (', '.join(MODES), mode))
        self.per_minute, self.per_hour, self.clock, self.mode = per_minute, per_hour, clock, mode
        self.windows = {}  # token -> (times in the last minute, times in the last hour), oldest first

    def clear(self):
        self.windows.clear()

    def _window(self, token, now):
        minute, hour = self.windows.setdefault(token, (collections.deque(), collections.deque()))
        while minute and minute[0] <= now - 60:
            minute.popleft()
        while hour and hour[0] <= now - 3600:
            hour.popleft()
        return minute, hour

    def _headers(self, hour, now, remaining=None):
        oldest = hour[0] if hour else now
        if remaining is None:
            remaining = max(0, self.per_hour - len(hour))
        return {'ratelimit-limit': str(self.per_hour), 'ratelimit-remaining': str(remaining),
                'ratelimit-reset': str(int(math.ceil(oldest + 3600)) if hour else int(now))}

    def admit(self, token):
        """Count one request for ``token``: (allowed, headers); a 429's headers say how long to wait."""
        now = self.clock()
        minute, hour = self._window(token, now)
        if len(hour) >= self.per_hour:
            return False, self._headers(hour, now, remaining=0)
        if len(minute) >= self.per_minute:
            if self.mode == 'strict':
                minute.append(now)  # the refusal itself counts: the window moves on with each retry
            headers = self._headers(hour, now, remaining=0)
            headers['retry-after'] = str(max(1, int(math.ceil(minute[len(minute) - self.per_minute] + 60 - now))))
            return False, headers
        minute.append(now)
        hour.append(now)
        return True, self._headers(hour, now)

    def counted(self, token):
        """How many requests of ``token`` count against the current minute."""
        return len(self._window(token, self.clock())[0])

    def peek(self, token):
        """The headers for ``token`` without counting a request (answers that never reached the API)."""
        now = self.clock()
        return self._headers(self._window(token, now)[1], now)
