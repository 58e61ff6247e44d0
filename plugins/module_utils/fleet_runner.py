# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drives one bulk action type against every Droplet with a tag, in as few requests as it can."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import MAX_PAGE_SIZE, DigitalOceanAPIError
from ansible_collections.oceanops.droplets.plugins.module_utils.action_types import ACTION_TYPES, Refused
from ansible_collections.oceanops.droplets.plugins.module_utils.droplet_runner import (
    ActionErrored, TaskRun, find_recent_action, start_action, wait_for_running_actions)
from ansible_collections.oceanops.droplets.plugins.module_utils.droplet_view import Catalog, DropletView
from ansible_collections.oceanops.droplets.plugins.module_utils.waiter import WaitTimeout

# Individual POSTs for a part of a fleet run this many at a time; the client paces them by the
# rate-limit headers, and DigitalOcean's per-minute limit (250) is shared by the whole token.
FLEET_CONCURRENCY = 5


class FleetRun(TaskRun):
    def __init__(self, module):
        super(FleetRun, self).__init__(module)
        self.catalog = Catalog(self.client)

    def list_tagged(self):
        return list(self.client.paginate('/v2/droplets', 'droplets', params=dict(tag_name=self.params['tag_name'])))

    def execute(self):
        params = self.params
        action = ACTION_TYPES[params['type']]
        droplets = self.list_tagged()
        if not droplets:
            self.module.module.warn('No Droplet has the tag %r; nothing to do' % params['tag_name'])
            return dict(changed=False, droplets=[], actions=[], msg='No Droplet has the tag %r' % params['tag_name'])
        if any(d.get('locked') for d in droplets):
            for droplet in droplets:
                if droplet.get('locked'):
                    wait_for_running_actions(self.client, self.waiter, droplet, self.deadline)
            droplets = self.list_tagged()
        views = self.views(droplets)
        needing = [view for view in views if action.done is None or not action.done(view)]
        for view in needing:
            if action.preflight is not None:
                action.preflight(view)
        needing_ids = set(view.droplet['id'] for view in needing)
        report = dict((d['id'], dict(id=d['id'], name=d.get('name'), changed=d['id'] in needing_ids, action=None))
                      for d in droplets)
        result = dict(changed=bool(needing), droplets=list(report.values()), actions=[])
        result['diff'] = dict(before=dict(droplets=[]), after=dict(droplets=sorted(
            '%s (%s)' % (v.droplet.get('name'), v.droplet['id']) for v in needing)))
        if not needing or self.module.module.check_mode:
            verb = 'Would send' if needing else 'Nothing to send:'
            result['msg'] = '%s %s to %d of %d Droplets tagged %r' % (
                verb, action.name, len(needing), len(droplets), params['tag_name'])
            return result

        actions = self.send(action, needing, len(needing) == len(droplets))
        if params['wait']:
            actions = self.wait(action, actions, report)
        for item in actions:
            if item.get('resource_id') in report:
                report[item['resource_id']]['action'] = item
        result['actions'] = actions
        errored = [a for a in actions if a.get('status') == 'errored']
        if errored:
            self.module.result.update(result)
            raise ActionErrored('%d of %d %s actions on Droplets tagged %r ended errored: Droplets %s' % (
                len(errored), len(actions), action.name, params['tag_name'],
                ', '.join(str(a.get('resource_id')) for a in errored)), errored[0])
        result['msg'] = 'Sent %s to %d of %d Droplets tagged %r%s' % (
            action.name, len(actions), len(droplets), params['tag_name'], '' if params['wait'] else ' (not waited for)')
        return result

    def views(self, droplets):
        views = [DropletView(self.client, d, self.params, self.catalog) for d in droplets]
        if self.params['type'] == 'snapshot':
            # One account-wide listing instead of one request per Droplet.
            by_droplet = {}
            for snap in self.client.paginate('/v2/snapshots', 'snapshots', params=dict(resource_type='droplet')):
                by_droplet.setdefault(str(snap.get('resource_id')), []).append(snap)
            for view in views:
                view.prime('snapshots', by_droplet.get(str(view.droplet['id']), []))
        if self.params['type'] == 'enable_backups' and self.params.get('backup_policy'):
            policies = dict((str(key), value) for key, value in self.client.get(
                '/v2/droplets/backups/policies', params=dict(per_page=200)).get('policies', {}).items())
            for view in views:
                record = policies.get(str(view.droplet['id'])) or {}
                view.prime('policy', record.get('backup_policy') if record.get('backup_enabled') else None)
        return views

    def send(self, action, needing, whole_tag):
        """One POST by tag when every tagged Droplet needs the action, else one POST per Droplet."""
        body = action.body(self.params)
        if whole_tag:
            return self.send_by_tag(body, set(v.droplet['id'] for v in needing))
        with ThreadPoolExecutor(max_workers=FLEET_CONCURRENCY) as pool:
            futures = [pool.submit(start_action, self.client, self.waiter, v.droplet['id'], body, self.deadline)
                       for v in needing]
            return [future.result() for future in futures]

    def send_by_tag(self, body, droplet_ids):
        sent_at = self.client.server_time
        try:
            return self.client.post('/v2/droplets/actions', body, params=dict(tag_name=self.params['tag_name']))['actions']
        except DigitalOceanAPIError as error:
            if not error.outcome_unknown:
                raise
        # The bulk POST may have been carried out: look for the actions before deciding anything.
        found = [find_recent_action(self.client, droplet_id, body['type'], sent_at) for droplet_id in sorted(droplet_ids)]
        if all(found):
            return found
        if any(found):
            raise Refused('The %s request by tag %r failed half-way: %d of %d Droplets got the action; run the task '
                          'again to act on the rest' % (body['type'], self.params['tag_name'], sum(1 for f in found if f),
                                                        len(droplet_ids)))
        return self.client.post('/v2/droplets/actions', body, params=dict(tag_name=self.params['tag_name']))['actions']

    def wait(self, action, actions, report):
        finals = self.waiter.actions(actions, self.deadline)
        actions = [finals.get(a['id'], a) for a in actions]
        completed = set(a.get('resource_id') for a in actions if a.get('status') == 'completed')
        if action.done is None or not completed:
            return actions
        self.settle(action, completed)
        if action.fallback and self.params['allow_power_off']:
            still_on = [d for d in self.list_tagged() if d['id'] in completed and not action.done(self.view(d))]
            if still_on:
                fallback = ACTION_TYPES[action.fallback]
                extra = self.send(fallback, [self.view(d) for d in still_on], False)
                extra_finals = self.waiter.actions(extra, self.deadline)
                actions += [extra_finals.get(a['id'], a) for a in extra]
        return actions

    def view(self, droplet):
        return DropletView(self.client, droplet, self.params, self.catalog)

    def settle(self, action, droplet_ids):
        """Re-list the tag until every Droplet that completed the action shows its effect."""
        deadline = self.deadline
        if action.fallback:
            deadline = min(deadline, self.waiter.deadline_after(self.params['graceful_timeout']))

        def lagging(droplets):
            return [d['id'] for d in droplets if d['id'] in droplet_ids and not action.done(self.view(d))]
        try:
            self.waiter.poll(self.list_tagged, lambda droplets: not lagging(droplets), deadline,
                             lambda droplets: 'Droplets %s to show %s' % (lagging(droplets)[:20], action.name),
                             cost=lambda droplets: int(math.ceil(len(droplets) / float(MAX_PAGE_SIZE))))
        except WaitTimeout:
            if not (action.fallback and self.params['allow_power_off']):
                raise
