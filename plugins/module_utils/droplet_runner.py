# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drives one action type against one Droplet: plan the steps, carry out each once, settle."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.oceanops.droplets.plugins.module_utils.action_types import ACTION_TYPES, before_state
from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import DigitalOceanAPIError
from ansible_collections.oceanops.droplets.plugins.module_utils.droplet_api import (
    Busy, StateRefused, after_refusal, find_droplet, recent_actions, start_action, wait_out_others)
from ansible_collections.oceanops.droplets.plugins.module_utils.droplet_view import DropletView
from ansible_collections.oceanops.droplets.plugins.module_utils.errors import ActionErrored, DropletGone, Refused
from ansible_collections.oceanops.droplets.plugins.module_utils.reading import own_read
from ansible_collections.oceanops.droplets.plugins.module_utils.task_run import TaskRun
from ansible_collections.oceanops.droplets.plugins.module_utils.waiter import IN_PROGRESS, WaitTimeout, describe_action

# A step with this condition is sent only when the step before it did not turn the Droplet off.
IF_STILL_ON = 'if_still_on'


def plan_steps(view, requested, params):
    """The actions to send, in order, as (type, condition) pairs; [] when the state already holds."""
    if requested.done is not None and requested.done(view):
        return []
    action = requested
    if action.instead is not None:
        other = action.instead(view)
        if other:
            action = ACTION_TYPES[other]
    if action.preflight is not None:
        action.preflight(view)
    steps = [(action.name, None)]
    if action.fallback and params['allow_power_off']:
        steps.append((action.fallback, IF_STILL_ON))
    around = action.off_first
    if around and params['allow_power_off'] and view.droplet.get('status') == ACTION_TYPES[around.on].status_after:
        # Without this the API powers the Droplet off itself, hard; this gives the guest a graceful shutdown.
        off = ACTION_TYPES[around.off]
        steps = [(off.name, None), (off.fallback, IF_STILL_ON)] + steps + [(around.on, None)]
    return steps


def describe_step(step, params):
    name, condition = step
    if condition == IF_STILL_ON:
        return '%s (only if still on after %s s)' % (name, params['graceful_timeout'])
    return name


class SingleDropletRun(TaskRun):
    """One task against one Droplet, by id or by name."""

    def __init__(self, module):
        super().__init__(module)
        self.requested = ACTION_TYPES[self.params['type']]
        self.view = None
        self.steps = []
        self.plan_read = None  # the Read the plan was made from (reading.py)
        self.seen_since_plan = set()  # others' actions since a plan that a new plan has taken into account
        self.refused = False  # the API refused an action for the Droplet's state once: planned again

    # -- plan ---------------------------------------------------------------------------------------
    def plan(self, read=None):
        """Plan from ``read`` (a Read of the Droplet), or from a read of the task's reading strategy: a shared,
        older page only where start_action checks what happened since (types with an "already done" rule)."""
        if read is None:
            read = self.waiter.reads.droplet_for_plan(self._find, self.params.get('droplet_id'), self.deadline,
                                                      self.requested.idempotent)
        self.plan_read, droplet = read, read.value
        self.view = DropletView(self.client, droplet, self.params)
        self.steps = plan_steps(self.view, self.requested, self.params)
        self.report.droplet = droplet
        self.report.planned = [name for name, condition in self.steps]
        before, after = before_state(self.view, self.requested)
        self.report.fields['diff'] = dict(before=before, after=after if self.steps else before)
        if not self.steps and read.shared:
            # Nothing to do, by a shared page: a guest shutdown or a lagging status leaves no action to see, so
            # only our own read can say so (the no-op costs what it costs alone, one request).
            self.plan(own_read(self.client, self.waiter.clock, lambda: find_droplet(self.client, droplet['id'])))
            return
        if not self.steps:
            self._report_extras(self.view)

    def _find(self):
        return find_droplet(self.client, self.params.get('droplet_id'), self.params.get('droplet_name'))

    def has_work(self):
        return bool(self.steps)

    def nothing_to_do(self):
        return '%s: already done on Droplet %s, nothing sent' % (self.requested.name, self.view.droplet['id'])

    def would_do(self):
        # A real run reads the Droplet's actions before its POST; check mode reads them too, to say so.
        running = [a for a in recent_actions(self.client, self.view.droplet['id']) if a.get('status') == IN_PROGRESS]
        for action in running:
            self.module.warn("someone else's %s; a real run would wait for it, read Droplet %s again and plan again"
                             % (describe_action(action), self.view.droplet['id']))
        return 'Would run %s on Droplet %s' % (', '.join(describe_step(step, self.params) for step in self.steps),
                                               self.view.droplet['id'])

    def did(self):
        return 'Sent %s to Droplet %s%s' % (', '.join(a.get('type', '?') for a in self.report.actions),
                                            self.view.droplet['id'], '' if self.params['wait'] else ' (not waited for)')

    # -- carry out ----------------------------------------------------------------------------------
    def carry_out(self):
        index, busy_since = 0, None
        while index < len(self.steps):
            name, condition = self.steps[index]
            if condition == IF_STILL_ON and self.view.droplet.get('status') == ACTION_TYPES[name].status_after:
                index += 1
                continue
            # Before anything of ours is sent, someone else's action since our read means the plan may be stale.
            plan = self.plan_read if not self.report.actions and self.requested.idempotent else None
            try:
                action = start_action(self.client, self.waiter, self.view.droplet['id'],
                                      ACTION_TYPES[name].body(self.params), self.deadline, self.report,
                                      plan=plan, seen=self.seen_since_plan)
            except Busy as busy:
                self.seen_since_plan.update(action.get('id') for action in busy.finished)
                busy_since = busy_since or self.waiter.clock()
                read = wait_out_others(self.client, self.waiter, busy.droplet_id, busy, self.deadline, busy_since)
                index = self._plan_again(read, index, " (after someone else's action ended)")
            except StateRefused as refused:
                index = self._plan_again(self._after_refusal(refused), index, ' (the API said: %s)'
                                         % refused.error.api_message)
            else:
                busy_since = None
                if index == len(self.steps) - 1 and not self.params['wait']:
                    break  # later steps depend on earlier ones, so only the last honours wait=false
                self.view = self._finish_step(action, index)
                index += 1
            if index is None:
                return False
        return True

    def _plan_again(self, read, index, why):
        """The step to go on with after the plan met a changed Droplet (``read``); None when nothing is left."""
        if not self.report.actions:  # nothing of ours sent yet: plan again from what is there now
            self.plan(read)
            if not self.steps:
                self.report.fields['msg'] = self.nothing_to_do() + why
                return None
            return 0
        self.view = self.view.refreshed(read.value)
        return index + 1 if _holds(self.steps[index][0], self.view) else index

    def _after_refusal(self, refused):
        """The Droplet as it is after a 422 for its state; the second such 422 in a task fails it, as it would
        have on the first before (a plan that keeps meeting a state it cannot see must not loop)."""
        if self.refused or not self.requested.idempotent:
            raise refused.error
        self.refused = True
        return after_refusal(self.client, self.waiter, refused.droplet_id, self.deadline)

    def _finish_step(self, action, index):
        name = self.steps[index][0]
        ended = self.waiter.action_ended(action, self.deadline)
        action = ended.value
        self.report.refreshed(action)
        if action.get('status') == 'errored':
            raise ActionErrored('%s action %s on Droplet %s ended errored' % (name, action['id'], self.view.droplet['id']),
                                action)
        fallback_follows = index + 1 < len(self.steps) and self.steps[index + 1][1] == IF_STILL_ON
        return self._show_effect(ACTION_TYPES[name], fallback_follows, ended)

    def _show_effect(self, action_type, fallback_follows, ended):
        """Re-read the Droplet until the action's effect shows (its status may lag the action); ``ended`` is the
        Read that showed the action's end: re-reads are newer."""
        droplet_id = self.view.droplet['id']

        def fetch():
            try:  # through the waiter: forks that waited together share this re-read (issue 13)
                return self.view.refreshed(self.waiter.read_droplet(droplet_id, ended, self.deadline))
            except DigitalOceanAPIError as error:
                if error.status == 404:
                    raise DropletGone('Droplet %s was deleted while waiting for its %s action'
                                      % (droplet_id, action_type.name))
                raise
        if action_type.done is None:
            return fetch()
        deadline = self.deadline
        if action_type.fallback:  # a graceful action: give it graceful_timeout, not the whole wait
            deadline = min(deadline, self.waiter.deadline_after(self.params['graceful_timeout']))
        try:
            return self.waiter.poll(fetch, action_type.done, deadline,
                                    lambda v: 'Droplet %s to show the effect of our %s' % (droplet_id, action_type.name))
        except WaitTimeout as timeout:
            if fallback_follows:
                return timeout.last
            if action_type.fallback:
                raise Refused('Droplet %s is still %s %s s after %s; set allow_power_off=true to power it off then'
                              % (droplet_id, timeout.last.droplet.get('status'), self.params['graceful_timeout'],
                                 action_type.name))
            raise

    # -- settle -------------------------------------------------------------------------------------
    def settle(self):
        self.report.droplet = self.view.droplet
        self._report_extras(self.view.refreshed(self.view.droplet))

    def _report_extras(self, view):
        if self.requested.extras is not None:
            self.report.fields.update(self.requested.extras(view))


def _holds(step_name, view):
    step = ACTION_TYPES[step_name]
    return step.done is not None and step.done(view)
