"""How busy each controller's budget lock is during a run (scenario 8), seen from outside.

Every process of a controller takes the flock on its budget file for each turn, each answer and, beside other
controllers, each look at a turn booked ahead (every 2 s per waiting fork). A probe thread tries that lock
every PROBE_SECONDS: busy when it is held at that moment, and how long until it was free (polled every
millisecond, then let go at once). The module's own waits poll every 20 ms (timing.LOCK_POLL_SECONDS), so a
lock busy in a few per cent of probes costs the forks little; one busy most of the time would be the bottleneck.
"""

import errno
import fcntl
import glob
import os
import threading
import time

PROBE_SECONDS = 0.2
POLL_SECONDS = 0.001
GIVE_UP_SECONDS = 5.0


class LockProbe(threading.Thread):
    """Probes every budget file matching ``pattern`` written since the probe started, until stop()."""

    def __init__(self, pattern):
        super().__init__(daemon=True)
        self.pattern = pattern
        self.since = time.time()
        self.probes = []  # (held when tried, seconds until free), one per probe
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.wait(PROBE_SECONDS):
            for path in glob.glob(self.pattern):
                try:
                    if os.path.getmtime(path) >= self.since:
                        self.probes.append(_wait_for(path))
                except OSError:
                    continue  # removed meanwhile

    def stop(self):
        self.stopping.set()
        self.join()
        return summary(self.probes)


def _wait_for(path):
    """(the lock was held when first tried, seconds until it was free)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        started, tries = time.monotonic(), 0
        while True:
            tries += 1
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return tries > 1, time.monotonic() - started
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
            if time.monotonic() - started > GIVE_UP_SECONDS:
                return True, time.monotonic() - started
            time.sleep(POLL_SECONDS)
    finally:
        os.close(fd)  # lets the lock go


def summary(probes):
    """How many probes, the share that found the lock held, and the wait of those until it was free (median,
    99th percentile, max; ms)."""
    if not probes:
        return dict(probes=0)
    held = sorted(wait for busy, wait in probes if busy)
    result = dict(probes=len(probes), busy=len(held) / float(len(probes)))
    if held:
        result.update(median_ms=1000 * held[len(held) // 2], p99_ms=1000 * held[min(len(held) - 1, int(0.99 * len(held)))],
                      max_ms=1000 * held[-1])
    return result
