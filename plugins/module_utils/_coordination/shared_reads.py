# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared reads: one process reads a page from the API, the others on the controller use its result."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import errno
import math
import os
import stat
import time

from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.directory import (
    Corrupt, LockTimeout, as_directory, read_json, write_json)
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.names import temporary as temporary_name
from ansible_collections.oceanops.droplets.plugins.module_utils.timing import LEASE_MAX_WAIT

# What a shared page of GET /v2/actions keeps of each action: no names, regions or anything else.
ACTION_KEYS = ('id', 'status', 'type', 'resource_id', 'resource_type', 'started_at', 'completed_at')


# A shared result: its value, when the request behind it was sent and when its answer was in (both on the
# monotonic clock), and whether this process read it itself (``own``) or another process did.
Shared = collections.namedtuple('Shared', 'value sent_at answered_at own')


class SharedReads:
    """One process reads, the others use its result: a lease (flock) per shared read.

    Whoever holds the lease first looks whether the last result is fresh enough for it; only if not
    does it read from the API and store the result. A dead holder's lease is released by the kernel;
    a holder that hangs is waited for at most ``max_wait`` seconds: then LockTimeout, and the caller
    reads on its own with sharing off. ``name`` is a page's base name (names.Names.page).
    """

    def __init__(self, directory, clock=time.monotonic, sleep=time.sleep):
        self.directory = as_directory(directory)
        self._clock = clock
        self._sleep = sleep
        self.reads = 0  # results read from the API by this process
        self.hits = 0  # results another process (or an earlier round) read for us
        self.lease_timeouts = 0

    def read(self, name, fetch, max_age, not_before=0.0, max_wait=LEASE_MAX_WAIT, longer=None):
        """Shared: a result of ``fetch()`` sent at most ``max_age`` s ago and not before ``not_before``. Ages are
        on the monotonic clock, one for every process on this machine: a wall clock step (NTP, a resumed VM)
        would make old pages look new. A result stored later than now (a negative age) is stale. When the lease
        is not had within ``max_wait``, ``longer(progressed)`` may say how much longer to wait for it: ``progressed``
        says whether a page was stored meanwhile (holders came and went: many, not a hung one)."""
        waiting_since = self._clock()
        fd = self.directory.open(name + '.lease')
        try:
            if not self.directory.lock(fd, max_wait, self._clock, self._sleep) and not (
                    longer is not None and self.directory.lock(
                        fd, longer(self._stored_since(name, waiting_since)), self._clock, self._sleep)):
                self.lease_timeouts += 1
                raise LockTimeout(errno.EAGAIN, 'the lease of a shared read was held for more than %.1f s' % max_wait)
            stored = _load_result(self.directory, name + '.json')
            now = self._clock()
            if stored is not None and stored['at'] >= not_before and 0.0 <= now - stored['at'] <= max_age:
                self.hits += 1
                return Shared(stored['value'], stored['at'], stored.get('answered', stored['at']), False)
            self.reads += 1
            value = fetch()
            answered = self._clock()
            _store_result(self.directory, name + '.json', dict(at=now, answered=answered, value=value))
            os.utime(fd)  # a lease in use is not stale
            return Shared(value, now, answered, True)
        finally:
            os.close(fd)

    def _stored_since(self, name, since):
        """True if a page of ``name`` was answered and stored at ``since`` or later."""
        stored = _load_result(self.directory, name + '.json')
        return stored is not None and stored.get('answered', stored['at']) >= since

    def peek(self, name):
        """The last stored result of ``name``, however old, without the lease (it is replaced whole)."""
        stored = _load_result(self.directory, name + '.json')
        return None if stored is None else stored['value']


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
    temporary = temporary_name(name, os.getpid())
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
