# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drives one action type against one Droplet: look, decide, act once, wait, report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime, timezone

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import DigitalOceanAPIError
from ansible_collections.oceanops.droplets.plugins.module_utils.action_types import ACTION_TYPES, Refused, before_state
from ansible_collections.oceanops.droplets.plugins.module_utils.droplet_view import DropletView
from ansible_collections.oceanops.droplets.plugins.module_utils.waiter import WaitTimeout

PENDING_EVENT = 'pending event'
# How long the status of a Droplet may lag an action that completed, before we stop waiting for it.
STATUS_LAG_GRACE_SECONDS = 15.0
# How far back (server clock, whole seconds) an action may have started and still be the one our lost POST made.
RECONCILE_SKEW_SECONDS = 1.0
# How long a POST that got no answer may still take to reach the API, at most.
RECONCILE_GRACE_MAX_SECONDS = 10.0


class ActionErrored(Refused):
    """The API ran the action and it ended ``errored``."""

    def __init__(self, message, action):
        super(ActionErrored, self).__init__(message)
        self.action = action


def find_droplet(client, droplet_id=None, droplet_name=None):
    """The one Droplet the user means, by id or by exact name (the API's name filter, not a scan)."""
    if droplet_id is not None:
        try:
            return client.get('/v2/droplets/%s' % droplet_id)['droplet']
        except DigitalOceanAPIError as error:
            if error.status == 404:
                raise Refused('Droplet %s was not found (HTTP 404, request_id %s)' % (droplet_id, error.request_id))
            raise
    matches = list(client.paginate('/v2/droplets', 'droplets', params=dict(name=droplet_name)))
    if not matches:
        raise Refused('No Droplet is named %r' % droplet_name)
    if len(matches) > 1:
        raise Refused('droplet_name %r is ambiguous: %d Droplets have it (ids %s); use droplet_id'
                      % (droplet_name, len(matches), ', '.join(str(d['id']) for d in matches)))
    return matches[0]


def start_action(client, waiter, droplet_id, body, deadline):
    """POST one action exactly once, even when the network or the API fails half-way.

    422 "pending event" means the API did not act: wait for the Droplet and send again. When
    the outcome is unknown (5xx, dropped connection, timeout), read the Droplet's recent actions
    first and adopt the action if it was created; send again only when it certainly was not.
    """
    path = '/v2/droplets/%s/actions' % droplet_id
    resent = False
    while True:
        sent_at = client.server_time
        try:
            return client.post(path, body)['action']
        except DigitalOceanAPIError as error:
            if error.status == 422 and PENDING_EVENT in (error.api_message or '').lower():
                waiter.droplet_idle(droplet_id, deadline)
                continue
            if not error.outcome_unknown:
                raise
            adopted = find_recent_action(client, droplet_id, body['type'], sent_at)
            if adopted is None and error.status is None:
                # No answer at all (timeout, dropped connection): the request may still be on its
                # way to the API. Look again after a while before deciding it was never carried out.
                waiter.sleep(min(RECONCILE_GRACE_MAX_SECONDS, client.timeout))
                adopted = find_recent_action(client, droplet_id, body['type'], sent_at)
            if adopted is not None:
                return adopted
            if resent:
                raise
            resent = True


def wait_for_running_actions(client, waiter, droplet, deadline):
    """Wait out the actions running on a Droplet and return it as it is once their effect shows.

    The Droplet's status lags a completed power action by a moment; deciding on the stale status
    would report a power_on after someone else's power_off as "already done".
    """
    running = waiter.running_actions(droplet['id'])
    finished = waiter.actions(running, deadline) if running else {}
    droplet = waiter.droplet_idle(droplet['id'], deadline)
    completed = sorted((a for a in finished.values() if a.get('status') == 'completed'
                        and getattr(ACTION_TYPES.get(a.get('type')), 'status_after', None)), key=lambda a: a['id'])
    if not completed:
        return droplet
    wanted = ACTION_TYPES[completed[-1]['type']].status_after  # the newest action decides
    if droplet.get('status') == wanted:
        return droplet
    path = '/v2/droplets/%s' % droplet['id']
    try:
        return waiter.poll(lambda: client.get(path)['droplet'], lambda d: d.get('status') == wanted,
                           min(deadline, waiter.deadline_after(STATUS_LAG_GRACE_SECONDS)),
                           lambda d: 'Droplet %s to show status %s' % (d['id'], wanted), initial=droplet)
    except WaitTimeout as timeout:
        return timeout.last  # e.g. a shutdown the guest ignored: decide on what the API shows


def find_recent_action(client, droplet_id, action_type, since):
    """The action our lost POST created, if it exists: the Droplet's newest action, of our type,
    begun no earlier than the last server time we saw (the API's times have one-second steps).

    Only the newest counts: we post only to an idle Droplet, so anything newer than our action
    would have to have been sent after it, and an older action of the same type is someone else's.
    """
    actions = client.get('/v2/droplets/%s/actions' % droplet_id, params=dict(per_page=1)).get('actions') or []
    if not actions or actions[0].get('type') != action_type:
        return None
    newest = actions[0]
    if since is None or _epoch(newest.get('started_at')) >= since - RECONCILE_SKEW_SECONDS:
        return newest
    return None


def _epoch(stamp):
    try:
        return datetime.strptime(stamp, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=timezone.utc).timestamp()
    except (TypeError, ValueError):
        return 0.0


class TaskRun:
    """What every run of droplet_action shares: the module's parameters, client, waiter and deadline."""

    def __init__(self, module):
        self.module = module
        self.client = module.client
        self.waiter = module.waiter
        self.params = module.params
        self.deadline = module.deadline


class SingleDropletRun(TaskRun):
    """One task against one Droplet. ``module`` is the DigitalOceanModule (params, client, waiter)."""

    def __init__(self, module):
        super(SingleDropletRun, self).__init__(module)
        self.started = []

    def execute(self):
        params = self.params
        droplet = find_droplet(self.client, params.get('droplet_id'), params.get('droplet_name'))
        if droplet.get('locked'):  # an action is running: wait for it instead of meeting a 422
            droplet = wait_for_running_actions(self.client, self.waiter, droplet, self.deadline)
        view = DropletView(self.client, droplet, params)
        requested = ACTION_TYPES[params['type']]
        steps = self.plan(view, requested)
        before, after = before_state(view, requested)
        result = dict(changed=bool(steps), droplet=droplet, steps=[step for step, condition in steps])
        result['diff'] = dict(before=before, after=after if steps else before)
        if not steps:
            result['msg'] = '%s: already done on Droplet %s, nothing sent' % (requested.name, droplet['id'])
            self._add_snapshot(view, result)
            return result
        if self.module.module.check_mode:
            result['msg'] = 'Would run %s on Droplet %s' % (', '.join(describe_step(s, params) for s in steps), droplet['id'])
            return result
        return self.carry_out(view, steps, result)

    def plan(self, view, action):
        """The actions to send, in order, as (type, condition) pairs; [] when the state already holds.

        ``condition`` is None, or 'if_still_on' for a fallback sent only when the previous step
        did not reach its state in time.
        """
        if action.done is not None and action.done(view):
            return []
        if action.instead is not None:
            other = action.instead(view)
            if other:
                action = ACTION_TYPES[other]
        if action.preflight is not None:
            action.preflight(view)
        steps = [(action.name, None)]
        if action.fallback and self.params['allow_power_off']:
            steps.append((action.fallback, 'if_still_on'))
        if action.requires_off and view.droplet.get('status') == 'active':
            if not self.params['allow_power_off']:
                raise Refused('%s needs Droplet %s powered off and it is active: power it off first, or set '
                              'allow_power_off=true to shut it down (power_off if that fails), %s, then power it on'
                              % (action.name, view.droplet['id'], action.name))
            steps = [('shutdown', None), ('power_off', 'if_still_on')] + steps + [('power_on', None)]
        return steps

    def carry_out(self, view, steps, result):
        droplet_id = view.droplet['id']
        last_index = len(steps) - 1
        for index, (step, condition) in enumerate(steps):
            if condition == 'if_still_on' and view.droplet.get('status') == 'off':
                continue
            action_type = ACTION_TYPES[step]
            action = start_action(self.client, self.waiter, droplet_id, action_type.body(self.params), self.deadline)
            self.started.append(action)
            # A failure from here on (timeout, errored action) still reports what was started.
            self.module.result.update(changed=True, action=action, actions=self.started)
            # Later steps depend on earlier ones, so only the last step honours wait=false.
            if index == last_index and not self.params['wait']:
                break
            action = self.waiter.action(action, self.deadline)
            self.started[-1] = action
            self.module.result['action'] = action
            if action.get('status') == 'errored':
                raise ActionErrored('%s action %s on Droplet %s ended errored' % (step, action['id'], droplet_id), action)
            fallback_follows = index < last_index and steps[index + 1][1] == 'if_still_on'
            view = self.settle(view, action_type, fallback_follows)
        result.update(action=self.started[-1], actions=self.started, droplet=view.droplet)
        result['msg'] = 'Sent %s to Droplet %s%s' % (
            ', '.join(a['type'] for a in self.started), droplet_id, '' if self.params['wait'] else ' (not waited for)')
        if self.params['wait']:
            self._add_snapshot(view.refreshed(view.droplet), result)
        return result

    def settle(self, view, action_type, fallback_follows):
        """Re-read the Droplet until the action's effect shows (its status may lag the action)."""
        def fetch():
            try:  # through the waiter: forks that waited together share this re-read (issue 13)
                return view.refreshed(self.waiter.read_droplet(view.droplet['id'], self.deadline))
            except DigitalOceanAPIError as error:
                if error.status == 404:
                    raise Refused('Droplet %s was deleted while waiting for its %s action' % (view.droplet['id'], action_type.name))
                raise
        if action_type.done is None:
            return fetch()
        deadline = self.deadline
        if action_type.fallback:  # a graceful action: give it graceful_timeout, not the whole wait
            deadline = min(deadline, self.waiter.deadline_after(self.params['graceful_timeout']))
        try:
            return self.waiter.poll(fetch, action_type.done, deadline,
                                    lambda v: 'Droplet %s to show the effect of %s' % (v.droplet['id'], action_type.name))
        except WaitTimeout as timeout:
            if fallback_follows:
                return timeout.last
            if action_type.fallback:
                raise Refused('Droplet %s is still %s %s s after %s; set allow_power_off=true to power it off then'
                              % (view.droplet['id'], timeout.last.droplet.get('status'),
                                 self.params['graceful_timeout'], action_type.name))
            raise

    def _add_snapshot(self, view, result):
        if self.params['type'] == 'snapshot' and self.params.get('name'):
            result['snapshot'] = view.snapshot_named(self.params['name'])


def describe_step(step, params):
    name, condition = step
    if condition == 'if_still_on':
        return '%s (only if still on after %s s)' % (name, params['graceful_timeout'])
    return name
