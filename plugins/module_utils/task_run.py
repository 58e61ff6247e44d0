# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shape every droplet_action run shares: plan, carry_out, settle, all writing to one TaskReport."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class TaskRun:
    """One task. Subclasses fill in the steps; ``execute`` is the same for one Droplet and a fleet.

    - ``plan()`` reads what it needs and records in the report what would be sent; it sends nothing.
    - ``carry_out()`` sends the planned actions (each recorded in the report the moment the API
      accepts it) and, where later steps depend on earlier ones, waits between them.
    - ``settle()``, only with wait=true, waits until the actions' effects show and reads the result.
    """

    def __init__(self, module):
        self.module = module
        self.client = module.client
        self.waiter = module.waiter
        self.params = module.params
        self.deadline = module.deadline
        self.report = module.report

    @property
    def check_mode(self):
        return self.module.check_mode

    def execute(self):
        self.plan()
        if not self.has_work():
            self.report.fields['msg'] = self.nothing_to_do()
            return
        if self.check_mode:
            self.report.fields['msg'] = self.would_do()
            return
        if not self.carry_out():
            return  # waiting for someone else's action reached the state: carry_out said so
        if self.params['wait']:
            self.settle()
            # The effects show now: shared pages read from now on show them.
            self.waiter.reads.settled(action.get('resource_id') for action in self.report.actions)
        self.report.fields['msg'] = self.did()

    # -- what subclasses provide -------------------------------------------------------------------
    def plan(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def has_work(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def carry_out(self):
        """Send the actions; False when, after all, nothing had to be sent."""
        raise NotImplementedError  # pragma: no cover - abstract

    def settle(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def nothing_to_do(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def would_do(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def did(self):  # pragma: no cover - abstract
        raise NotImplementedError
