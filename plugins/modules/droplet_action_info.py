#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: droplet_action_info
short_description: List, look up and wait for DigitalOcean Droplet actions
version_added: 0.1.0
description:
  - Returns the actions of one Droplet (by O(droplet_id) or O(droplet_name)), newest first, reading every page;
    one action by O(action_id), for a Droplet or account-wide; or the recent actions of every Droplet with a tag.
  - Optionally waits until the selected actions are no longer in progress, so a playbook can start work with
    C(wait=false) in M(oceanops.droplets.droplet_action) and collect it later.
  - Read-only. It never changes anything and runs the same in check mode.
author:
  - Oceanops engineers (@oceanops)
extends_documentation_fragment:
  - oceanops.droplets.common
attributes:
  check_mode:
    support: full
    description: The module only reads, so it runs unchanged in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
options:
  droplet_id:
    description: The Droplet whose actions to read. At most one of O(droplet_id), O(droplet_name) and O(tag_name).
    type: int
  droplet_name:
    description: The Droplet whose actions to read, by exact name (fails when it is ambiguous).
    type: str
  tag_name:
    description:
      - Read the recent actions of every Droplet with this tag, from the account's action list, newest first,
        until every tagged Droplet's latest action was seen, O(limit) actions were found, or 2,000 of the
        account's actions were read.
    type: str
  action_id:
    description:
      - Return only this action. With a Droplet selector it is read from that Droplet, else account-wide.
    type: int
  action_type:
    description: Keep only actions of this type (for example V(power_off)).
    type: str
  status:
    description: Keep only actions in this status.
    type: str
    choices: [in-progress, completed, errored]
  limit:
    description:
      - Return at most this many actions (after filtering), and stop reading pages once they are found.
      - Without a selector and without O(action_id) the account's actions are listed; set a limit there.
    type: int
  wait:
    description:
      - Wait until none of the selected actions is in progress any more, and return their final state.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait in all (monotonic clock), polled on the same schedule as M(oceanops.droplets.droplet_action).
    type: int
    default: 600
seealso:
  - module: oceanops.droplets.droplet_action
'''

EXAMPLES = r'''
- name: Start a snapshot without waiting
  oceanops.droplets.droplet_action:
    droplet_id: 3164444
    type: snapshot
    name: nightly
    wait: false
  register: started

- name: Later, wait for it
  oceanops.droplets.droplet_action_info:
    action_id: "{{ started.action.id }}"
    wait: true
    wait_timeout: 1800
  register: finished

- name: The last five power actions of a Droplet
  oceanops.droplets.droplet_action_info:
    droplet_name: web-01
    action_type: power_off
    limit: 5

- name: What is still running on the web fleet
  oceanops.droplets.droplet_action_info:
    tag_name: web
    status: in-progress
'''

RETURN = r'''
actions:
  description: The selected actions, newest first, as the API returns them (final state when waited for).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Action id.
      type: int
    status:
      description: C(in-progress), C(completed) or C(errored).
      type: str
    type:
      description: The action type, for example C(power_off).
      type: str
    started_at:
      description: When the action started (ISO 8601).
      type: str
    completed_at:
      description: When the action ended, or null.
      type: str
    resource_id:
      description: The Droplet's id.
      type: int
    resource_type:
      description: C(droplet) for Droplet actions.
      type: str
    region_slug:
      description: The Droplet's region.
      type: str
droplet:
  description:
    - With a Droplet selector and O(wait=true), the Droplet once the waited-for actions ended and its status shows
      their effect (the status follows a power action a moment late), so a next task decides on the real state.
  returned: with O(droplet_id) or O(droplet_name), when actions were waited for
  type: dict
api_requests:
  description: How many HTTP requests the task sent to the API (including retries), also when it failed.
  returned: always
  type: int
'''

from ansible_collections.oceanops.droplets.plugins.module_utils.action_types import ACTION_TYPES
from ansible_collections.oceanops.droplets.plugins.module_utils.base import DigitalOceanModule
from ansible_collections.oceanops.droplets.plugins.module_utils.droplet_api import (
    after_status_lag, find_droplet, read_droplet)
from ansible_collections.oceanops.droplets.plugins.module_utils.reading import own_read
from ansible_collections.oceanops.droplets.plugins.module_utils.waiter import IN_PROGRESS

# With tag_name, at most this many of the account's newest actions are read.
TAG_SCAN_LIMIT = 2000
# Action types besides the sixteen Droplet actions that the API's lists show (the spec's examples,
# and the Droplet lifecycle): anything else is a typo that would silently match nothing.
OTHER_ACTION_TYPES = ('create', 'destroy', 'transfer')
KNOWN_ACTION_TYPES = tuple(ACTION_TYPES) + OTHER_ACTION_TYPES

ARGUMENT_SPEC = dict(
    droplet_id=dict(type='int'),
    droplet_name=dict(type='str'),
    tag_name=dict(type='str'),
    action_id=dict(type='int'),
    action_type=dict(type='str'),
    status=dict(type='str', choices=['in-progress', 'completed', 'errored']),
    limit=dict(type='int'),
    wait=dict(type='bool', default=False),
    wait_timeout=dict(type='int', default=600),
)


class DropletActionInfoModule(DigitalOceanModule):
    def __init__(self):
        super().__init__(
            ARGUMENT_SPEC, mutually_exclusive=[('droplet_id', 'droplet_name', 'tag_name'), ('tag_name', 'action_id')])
        self.droplet = None  # the selected Droplet, with a Droplet selector
        for option in ('droplet_id', 'action_id', 'limit'):
            self.check_positive_id(option)
        action_type = self.params['action_type']
        if action_type is not None and action_type not in KNOWN_ACTION_TYPES:
            self.fail('action_type %r is not an action type the API lists; use one of: %s'
                      % (action_type, ', '.join(KNOWN_ACTION_TYPES)))

    def scopes(self):
        return ('actions:read', 'droplet:read') + (('tag:read',) if self.params['tag_name'] is not None else ())

    def execute(self):
        actions = self.select()
        if self.params['wait'] and any(a.get('status') == IN_PROGRESS for a in actions):
            # The status filter chose what to wait for; the final states are returned whatever they are.
            finals = self.waiter.actions(actions, self.deadline)
            actions = [finals.get(a['id'], a) for a in actions]
            if self.droplet is not None:  # its status follows a power action a moment late: wait for that too
                read = own_read(self.client, self.waiter.clock,
                                lambda: read_droplet(self.client, self.droplet['id'], 'waiting for its actions'))
                self.report.fields['droplet'] = after_status_lag(self.client, self.waiter, read, finals.values(),
                                                                 self.deadline).value
        self.report.fields['actions'] = actions

    def wanted(self, action):
        params = self.params
        return ((params['action_type'] is None or action.get('type') == params['action_type'])
                and (params['status'] is None or action.get('status') == params['status']))

    def select(self):
        params = self.params
        droplet = None
        if params['droplet_id'] is not None or params['droplet_name'] is not None:
            droplet = find_droplet(self.client, params['droplet_id'], params['droplet_name'])
        self.droplet = droplet
        if params['action_id'] is not None:
            prefix = '/v2/droplets/%s' % droplet['id'] if droplet else '/v2'
            action = self.client.get('%s/actions/%s' % (prefix, params['action_id']), expect='action')
            return [action] if self.wanted(action) else []
        if params['tag_name'] is not None:
            return self.tag_actions(params['tag_name'])
        path = '/v2/droplets/%s/actions' % droplet['id'] if droplet else '/v2/actions'
        return self.collect(self.client.paginate(path, 'actions'))

    def collect(self, listing, stop=None):
        found = []
        for action in listing:
            if self.wanted(action):
                found.append(action)
            if self.params['limit'] is not None and len(found) >= self.params['limit']:
                break
            if stop is not None and stop(found):
                break
        return found

    def tag_actions(self, tag):
        tagged = set(d['id'] for d in self.client.paginate('/v2/droplets', 'droplets', params=dict(tag_name=tag)))
        if not tagged:
            self.warn('No Droplet has the tag %r' % tag)
            return []
        seen = set()

        def tagged_actions():
            # A tagged Droplet may never have had an action: do not read the whole history for it.
            for action in self.client.paginate('/v2/actions', 'actions', limit=TAG_SCAN_LIMIT):
                if action.get('resource_id') in tagged:
                    seen.add(action['resource_id'])
                    yield action
        return self.collect(tagged_actions(), stop=lambda found: seen >= tagged)


def main():
    DropletActionInfoModule().run()


if __name__ == '__main__':
    main()
