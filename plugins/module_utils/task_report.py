# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one record of what a task planned and what the API accepted, read by success and failure alike."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading


class TaskReport:
    """Filled as the task goes; ``as_result()`` is the module's result whichever way the task ends.

    An action is recorded the moment the API accepts it (``accepted``), so a failure later on
    (a timeout, an errored action, a 422 on another Droplet) still reports ``changed: true``
    and every action sent: a rerun must not believe nothing happened.
    """

    def __init__(self, check_mode=False):
        self.check_mode = check_mode
        self.planned = []        # one Droplet: the action types the plan sends, in order
        self.actions = []        # every action the API accepted, in its latest known state
        self.droplet = None      # one Droplet: as last read
        self.droplets = None     # a fleet: Droplet id -> its entry (id, name, planned, action, ...)
        self.fields = {}         # other result keys: msg, diff, snapshot, ...
        self._lock = threading.Lock()  # fleet POSTs are sent from several threads
        self.on_accepted = None  # told of the actions each accepted POST made (the shared record of our changes)

    # -- recording ------------------------------------------------------------------------------
    def plan_fleet(self, droplets, planned_by_id):
        self.droplets = dict((d['id'], dict(id=d['id'], name=d.get('name'), planned=list(planned_by_id.get(d['id'], [])),
                                            changed=bool(planned_by_id.get(d['id'])), action=None))
                             for d in droplets)

    def accepted(self, *actions):
        """The API accepted a POST that made ``actions``: from now on the task has changed something."""
        with self._lock:
            for action in actions:
                self.actions.append(action)
                self._note_on_droplet(action)
        if actions and self.on_accepted is not None:
            self.on_accepted(actions)

    def refreshed(self, action):
        """A newer state of an action already recorded (after waiting for it)."""
        with self._lock:
            for index, known in enumerate(self.actions):
                if known.get('id') == action.get('id'):
                    self.actions[index] = action
            self._note_on_droplet(action)

    def _note_on_droplet(self, action):
        entry = (self.droplets or {}).get(action.get('resource_id'))
        if entry is not None:
            entry['action'] = action

    @property
    def changed(self):
        if self.actions:
            return True
        if not self.check_mode:
            return False
        if self.droplets is not None:
            return any(entry['planned'] for entry in self.droplets.values())
        return bool(self.planned)

    # -- reading --------------------------------------------------------------------------------
    def as_result(self):
        result = dict(changed=self.changed, actions=list(self.actions))
        if self.actions:
            result['action'] = self.actions[-1]
        if self.droplets is not None:
            result['droplets'] = list(self.droplets.values())
        elif self.droplet is not None:
            result.update(droplet=self.droplet, planned=list(self.planned))
        result.update(self.fields)  # the info module's actions are its selection, not actions it sent
        return result
