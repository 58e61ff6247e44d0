# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failures a task reports to the user as a message (never as a traceback), one class per meaning."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class TaskFailure(Exception):
    """Base of every expected failure; the module turns it into fail_json with the task's report."""


class Refused(TaskFailure):
    """The request cannot succeed as asked; raised before any POST (bad target, impossible change)."""


class ActionErrored(TaskFailure):
    """The API accepted an action and ran it, and it ended ``errored``."""

    def __init__(self, message, action):
        super().__init__(message)
        self.action = action


class DropletGone(TaskFailure):
    """The Droplet disappeared (HTTP 404) while the task was acting on it or waiting for it."""


def deleted_while(droplet_ids, doing):
    """DropletGone naming the Droplets (one or several) and what the task was ``doing``."""
    ids = [str(droplet_id) for droplet_id in droplet_ids]
    if len(ids) == 1:
        return DropletGone('Droplet %s was deleted while %s' % (ids[0], doing))
    return DropletGone('Droplets %s were deleted while %s' % (', '.join(ids), doing))


class OutcomeUnknown(TaskFailure):
    """A POST got no usable answer and no action of ours appeared in time: it is not sent again,
    because sending it twice could run it twice."""
