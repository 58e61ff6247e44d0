# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drives one action type against many Droplets (a tag or an id list), in as few requests as it can."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.oceanops.droplets.plugins.module_utils.action_types import ACTION_TYPES, before_state
from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import MAX_PAGE_SIZE, DigitalOceanAPIError
from ansible_collections.oceanops.droplets.plugins.module_utils.droplet_api import (
    ActionMarker, Busy, StateRefused, after_refusal, droplet_path, is_pending_event, start_action, wait_out_others)
from ansible_collections.oceanops.droplets.plugins.module_utils.droplet_view import Catalog, DropletView
from ansible_collections.oceanops.droplets.plugins.module_utils.errors import (
    ActionErrored, OutcomeUnknown, Refused, deleted_while)
from ansible_collections.oceanops.droplets.plugins.module_utils.task_run import TaskRun
from ansible_collections.oceanops.droplets.plugins.module_utils.timing import RECONCILE_WINDOW_SECONDS
from ansible_collections.oceanops.droplets.plugins.module_utils.waiter import WaitTimeout

# Individual POSTs for a part of a fleet run this many at a time; the client paces them by the
# rate-limit headers, and DigitalOcean's per-minute limit (timing.API_REQUESTS_PER_MINUTE) is shared by the
# whole token.
FLEET_CONCURRENCY = 5


class FleetRun(TaskRun):
    def __init__(self, module, selection):
        super().__init__(module)
        self.selection = selection
        self.requested = ACTION_TYPES[self.params['type']]
        self.catalog = Catalog(self.client)
        self.droplets = []
        self.needing = []
        self.side_requests = 0  # requests the latest views() made besides the Droplet pages

    # -- plan ---------------------------------------------------------------------------------------
    def plan(self):
        self.droplets = self.selection.read()
        if not self.droplets:
            self.module.warn('No Droplet has the tag %r; nothing to do' % self.selection.tag)
        views = self.views(self.droplets)
        self.needing = [view for view in views if not self._holds(self.requested, view)]
        for view in self.needing:
            if self.requested.preflight is not None:
                self.requested.preflight(view)
        self.report.plan_fleet(self.droplets, dict((v.droplet['id'], [self.requested.name]) for v in self.needing))
        diffs = [(self._label(v.droplet),) + before_state(v, self.requested) for v in self.needing]
        self.report.fields['diff'] = dict(before=dict(droplets=dict((label, b) for label, b, a in diffs)),
                                          after=dict(droplets=dict((label, a) for label, b, a in diffs)))
        self._report_extras([v for v in views if v not in self.needing])

    def has_work(self):
        return bool(self.needing)

    def nothing_to_do(self):
        if not self.droplets:
            return 'No Droplet has the tag %r' % self.selection.tag
        return 'Nothing to send: %s already holds on all %d %s' % (
            self.requested.name, len(self.droplets), self.selection.description)

    def would_do(self):
        return 'Would send %s to %d of %d %s' % (self.requested.name, len(self.needing), len(self.droplets),
                                                 self.selection.description)

    def did(self):
        return 'Sent %s to %d of %d %s%s' % (self.requested.name, len(self.report.actions), len(self.droplets),
                                             self.selection.description, '' if self.params['wait'] else ' (not waited for)')

    def views(self, droplets):
        views = [self.view(d) for d in droplets]
        self.side_requests = 0  # a settle round that makes views costs these too (Waiter.poll's cost)
        self._prefetch(views)
        return views

    def _prefetch(self, views):
        """What the type's rules read per Droplet, read once for all of them (the table's ``prefetch``)."""
        if self.requested.prefetch is not None:
            self.side_requests += self.requested.prefetch(self.client, views, self.params)

    def view(self, droplet):
        return DropletView(self.client, droplet, self.params, self.catalog)

    # -- carry out ----------------------------------------------------------------------------------
    def carry_out(self):
        body = self.requested.body(self.params)
        if self.selection.tag is not None and len(self.needing) == len(self.droplets):
            try:
                self.send_by_tag(body)
                return True
            except Busy:
                pass  # a tagged Droplet is busy: one POST each, and each Droplet waits for its own
        self.send_each(self.needing, body)
        return True

    def send_each(self, views, body):
        """One POST per Droplet, a few at a time; every POST the API accepts is in the report even if
        another one fails, and the first failure is raised once all have been tried."""
        marker = self._account_marker()
        with ThreadPoolExecutor(max_workers=FLEET_CONCURRENCY) as pool:
            futures = [pool.submit(self._send_one, view, body, marker) for view in views]
        failures = [future.exception() for future in futures if future.exception() is not None]
        for entry in self.report.droplets.values():
            entry['changed'] = entry['action'] is not None
        if failures:
            raise failures[0]

    def _send_one(self, view, body, marker):
        busy_since = None
        while True:
            try:
                return start_action(self.client, self.waiter, view.droplet['id'], body, self.deadline, self.report,
                                    marker=marker)
            except Busy as busy:
                busy_since = busy_since or self.waiter.clock()
                view = self.view(wait_out_others(self.client, self.waiter, busy.droplet_id, busy, self.deadline,
                                                 busy_since).value)
                if self._holds(ACTION_TYPES[body['type']], view):
                    return None  # someone else's action reached the state: nothing to send
            except StateRefused as refused:  # "already powered off": the list was older than the Droplet
                view = self.view(after_refusal(self.client, self.waiter, refused.droplet_id, self.deadline).value)
                if self._holds(ACTION_TYPES[body['type']], view):
                    return None
                raise refused.error

    def send_by_tag(self, body):
        marker = self._account_marker()
        query = dict(tag_name=self.selection.tag)
        for attempt in (1, 2):
            try:
                self.report.accepted(*self.client.post('/v2/droplets/actions', body, params=query, expect='actions'))
                return
            except DigitalOceanAPIError as error:
                if is_pending_event(error):
                    raise Busy(None, [])
                if not error.outcome_unknown:
                    raise
                found = self._look_for_tag_actions(body['type'], marker)
                self.report.accepted(*found)
                if found and len(found) < len(self.needing):
                    raise Refused('The %s request by tag %r failed half-way: %d of %d Droplets got the action; run '
                                  'the task again to act on the rest'
                                  % (body['type'], self.selection.tag, len(found), len(self.needing)))
                if found:
                    return
                if attempt == 2:
                    raise OutcomeUnknown('The %s request by tag %r got no usable answer (%s) twice and no action '
                                         'appeared; not sent a third time' % (body['type'], self.selection.tag,
                                                                              error.message))

    def _look_for_tag_actions(self, action_type, marker):
        """Our bulk POST's actions, if the API carried it out: watched for in the account's list for the window."""
        wanted = set(view.droplet['id'] for view in self.needing)

        def ours():
            listed = self.client.paginate('/v2/actions', 'actions', limit=len(wanted) + MAX_PAGE_SIZE)
            return [a for a in listed if a.get('type') == action_type and a.get('resource_id') in wanted
                    and marker.is_new(a)]
        window_end = min(self.deadline, self.waiter.deadline_after(RECONCILE_WINDOW_SECONDS))
        try:
            return self.waiter.poll(ours, lambda found: len(found) >= len(wanted), window_end,
                                    lambda found: 'the actions of our %s request by tag' % action_type)
        except WaitTimeout as timeout:
            return timeout.last or []

    def _account_marker(self):
        return ActionMarker(self.client.get('/v2/actions', params=dict(per_page=MAX_PAGE_SIZE), expect='actions'))

    # -- settle -------------------------------------------------------------------------------------
    def settle(self):
        completed = self._wait_for_actions(self.report.actions)
        if completed and self.requested.done is not None:
            self._show_effect(self.requested, completed)
            if self.requested.fallback and self.params['allow_power_off']:
                self._fall_back(completed)
        errored = [a for a in self.report.actions if a.get('status') == 'errored']
        if errored:
            raise ActionErrored('%d of %d %s actions on %s ended errored: Droplets %s' % (
                len(errored), len(self.report.actions), self.requested.name, self.selection.description,
                ', '.join(str(a.get('resource_id')) for a in errored)), errored[0])
        self._report_extras([self.view(d) for d in self.droplets], fresh=True)

    def _wait_for_actions(self, actions):
        finals = self.waiter.actions(list(actions), self.deadline)
        for action in finals.values():
            self.report.refreshed(action)
        return set(a.get('resource_id') for a in finals.values() if a.get('status') == 'completed')

    def _show_effect(self, action, droplet_ids):
        """Re-read the Droplets until every one that completed the action shows its effect."""
        deadline = self.deadline
        if action.fallback:
            deadline = min(deadline, self.waiter.deadline_after(self.params['graceful_timeout']))

        def lagging(droplets):
            return [v.droplet['id'] for v in self.views(droplets) if v.droplet['id'] in droplet_ids and not action.done(v)]

        def read_again():
            droplets = self.selection.read(again=True)
            self._fail_if_deleted(set(droplet_ids) - set(d['id'] for d in droplets), action.name)
            return droplets
        try:
            self.droplets = self.waiter.poll(
                read_again, lambda droplets: not lagging(droplets), deadline,
                lambda droplets: 'Droplets %s to show the effect of our %s' % (lagging(droplets)[:20], action.name),
                cost=lambda droplets: self.selection.pages(len(droplets)) + self.side_requests)
        except WaitTimeout as timeout:
            if not (action.fallback and self.params['allow_power_off']):
                raise
            self.droplets = timeout.last

    def _fail_if_deleted(self, unlisted, action_name):
        """Droplets our action completed on that a tag's list no longer shows: deleted (one GET each shows
        it), or only untagged meanwhile (then they are left out of the wait)."""
        gone = []
        for droplet_id in sorted(unlisted):
            try:
                self.client.get(droplet_path(droplet_id), expect='droplet')
            except DigitalOceanAPIError as error:
                if error.status != 404:
                    raise
                gone.append(droplet_id)
        if gone:
            raise deleted_while(gone, 'waiting for the effect of our %s action' % action_name)

    def _fall_back(self, completed):
        still_on = [view for view in map(self.view, self.droplets)
                    if view.droplet['id'] in completed and not self.requested.done(view)]
        if still_on:
            fallback = ACTION_TYPES[self.requested.fallback]
            before = len(self.report.actions)
            self.send_each(still_on, fallback.body(self.params))
            self._wait_for_actions(self.report.actions[before:])

    def _report_extras(self, views, fresh=False):
        """The table's ``extras`` in each Droplet's result; ``fresh``: prefetched again, after our actions."""
        if self.requested.extras is None or not views:
            return
        if fresh:
            self._prefetch(views)
        for view in views:
            self.report.droplets[view.droplet['id']].update(self.requested.extras(view))

    @staticmethod
    def _holds(action, view):
        return action.done is not None and action.done(view)

    @staticmethod
    def _label(droplet):
        return '%s (%s)' % (droplet.get('name'), droplet['id'])
