# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Droplets this controller's processes changed, and when: so no plan starts from a shared page
that was read before one of our own actions took effect.

A playbook runs ``power_off`` and then ``power_on`` on a host; in a crowd of forks the second task
could find a page of ``GET /v2/droplets`` read before the first task's action, see the Droplet still
"active" and do nothing. Each accepted action marks its Droplet as changing here; a task that waited
until the effect showed marks it settled at that moment. A page read (its request sent) before that
moment, or while an action may still run, is not planned from: the task reads the Droplet itself.

``<key>.changes`` holds ``{droplet id: time settled, or minus the time an action of ours was accepted, while
it may run}``, on the monotonic clock (the same for every process on the machine, positive, never stepped
back); ids and times only. Entries older than STALE_SECONDS are dropped: by then any page a plan may use
was read long after. Errors are the caller's to handle (the coordinator turns
sharing off).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import math
import time

from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.directory import (
    Corrupt, as_directory, read_json, write_json)
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.names import Names
from ansible_collections.oceanops.droplets.plugins.module_utils.timing import STALE_SECONDS


class RecentChanges:
    """The record of one token's Droplets changed by this controller's processes (see the module's docstring)."""

    def __init__(self, directory, key, clock=time.monotonic):
        self.directory = as_directory(directory)
        self.key = key
        self.name = Names(key).changes
        self._clock = clock

    def changing(self, droplet_ids):
        """An action of ours was accepted on these Droplets: until it settles, no shared page shows them."""
        self._mark(droplet_ids, -self._clock())

    def settled(self, droplet_ids):
        """Our actions on these Droplets ended and their effect showed: pages read from now on show it."""
        self._mark(droplet_ids, self._clock())

    def changed_since(self, droplet_id, read_at):
        """True if a page whose request was sent at ``read_at`` (monotonic) may predate our own change."""
        with self.directory.locked(self.name) as fd:
            value = _known(read_json(fd)).get(str(droplet_id))
        if value is None:
            return False
        return value < 0 or value >= read_at

    def _mark(self, droplet_ids, value):
        with self.directory.locked(self.name) as fd:
            now = self._clock()
            known = dict((key, when) for key, when in _known(read_json(fd)).items() if now - abs(when) < STALE_SECONDS)
            for droplet_id in droplet_ids:
                if droplet_id is not None:
                    known[str(droplet_id)] = value
            write_json(fd, known)


def _known(data):
    """The record as written: Droplet ids and finite times. Corrupt (sharing goes off) if anything else."""
    for key, when in data.items():
        if not key.isdigit() or isinstance(when, bool) or not isinstance(when, (int, float)) or not math.isfinite(when):
            raise Corrupt(errno.EINVAL, 'the record of our changes holds a value we never write')
    return data
