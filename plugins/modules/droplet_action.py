#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: droplet_action
short_description: Bring a DigitalOcean Droplet, or every Droplet with a tag, to a state with Droplet actions
version_added: 0.1.0
description:
  - Runs any of the sixteen DigitalOcean Droplet action types on one Droplet (by O(droplet_id) or O(droplet_name))
    or on every Droplet with a tag (O(tag_name)).
  - Idempotent. The module reads the Droplet first and sends an action only when the desired state does not
    already hold; a second run reports C(changed=false) and sends nothing. Types that have no state to compare
    (V(reboot), V(power_cycle), V(password_reset), V(rebuild), V(restore)) always act; guard them with C(when:).
  - The state already holds, and nothing is sent, when
    for V(power_on) the status is C(active);
    for V(power_off) and V(shutdown) the status is C(off);
    for V(enable_backups) C(backups) is in C(features) and, with O(backup_policy), the policy matches (otherwise
    the policy is changed);
    for V(disable_backups) C(backups) is not in C(features);
    for V(change_backup_policy) the given keys of O(backup_policy) match the Droplet's policy;
    for V(resize) C(size_slug) is O(size) (with O(disk=true), the disk matches that size's too);
    for V(rename) the name is O(name);
    for V(change_kernel) the kernel id is O(kernel);
    for V(enable_ipv6) C(ipv6) is in C(features);
    for V(snapshot) the Droplet has a snapshot named O(name).
  - A Droplet with an action already running is waited for (within O(wait_timeout)) instead of failing with the
    API's 422 "pending event".
  - With O(tag_name) only the types the API can run by tag are allowed (V(power_cycle), V(power_on), V(power_off),
    V(shutdown), V(enable_ipv6), V(enable_backups), V(disable_backups), V(snapshot)). The tagged Droplets are read
    (200 a page) and only those not yet in the state get the action; when all of them need it, one
    C(POST /v2/droplets/actions?tag_name=) does it. Waiting on a fleet reads the account's action list a page at a
    time instead of one request per action.
author:
  - Oceanops engineers (@oceanops)
extends_documentation_fragment:
  - oceanops.droplets.common
  - oceanops.droplets.common.wait
attributes:
  check_mode:
    support: full
    description: Sends no POST and predicts C(changed) exactly, from the same reads a real run makes.
  diff_mode:
    support: full
    description: Shows the fields the action changes, before and after.
options:
  type:
    description:
      - The action type. The token needs the scope C(droplet:update); V(restore), V(password_reset) and V(rebuild)
        also need C(droplet:admin), V(resize) C(droplet:create) and V(snapshot) C(image:create). With O(tag_name),
        C(tag:read) as well.
    type: str
    required: true
    choices: [enable_backups, disable_backups, change_backup_policy, reboot, power_cycle, shutdown, power_off,
              power_on, restore, password_reset, resize, rebuild, rename, change_kernel, enable_ipv6, snapshot]
  droplet_id:
    description:
      - ID of the Droplet to act on. Exactly one of O(droplet_id), O(droplet_name) and O(tag_name) is required.
    type: int
  droplet_name:
    description:
      - Name of the Droplet to act on, matched exactly with the API's name filter (the API compares it without
        case). Fails when no Droplet or more than one has it, listing the matching ids.
    type: str
  tag_name:
    description:
      - Act on every Droplet with this tag. Only the bulk action types are allowed (see the description).
      - A tag with no Droplets is not an error; the module warns and reports C(changed=false).
    type: str
  size:
    description:
      - V(resize) only, required. Slug of the target size, for example V(s-2vcpu-4gb).
    type: str
  disk:
    description:
      - V(resize) only. Also grow the disk to the size's disk. This is permanent; a disk can never shrink, so a size
        with a smaller disk than the Droplet has is refused before any request changes anything.
    type: bool
  image:
    description:
      - V(rebuild) (required), an image id or a public image slug such as V(ubuntu-24-04-x64).
      - V(restore) (required), the numeric id of one of this Droplet's backups; checked before the POST.
    type: str
  name:
    description:
      - V(rename) (required), the new Droplet name.
      - V(snapshot) (required), the snapshot's name. A Droplet that already has a snapshot of this name is left
        alone and that snapshot is returned.
    type: str
  kernel:
    description:
      - V(change_kernel) only, required. ID of a kernel offered for this Droplet (checked before the POST).
    type: int
  backup_policy:
    description:
      - V(change_backup_policy) (required) and V(enable_backups) (optional). Keys left out are not compared or changed.
    type: dict
    suboptions:
      plan:
        description: V(daily) or V(weekly) backups.
        type: str
        choices: [daily, weekly]
      weekday:
        description: Day of weekly backups.
        type: str
        choices: [SUN, MON, TUE, WED, THU, FRI, SAT]
      hour:
        description: Hour (UTC) the four-hour backup window starts.
        type: int
        choices: [0, 4, 8, 12, 16, 20]
  allow_power_off:
    description:
      - V(shutdown), when the Droplet is still on O(graceful_timeout) seconds after a graceful shutdown, power it off.
      - V(resize) of a running Droplet, shut it down (powering off if the shutdown does not work), resize it, then
        power it on again. Without this option such a resize fails before any POST.
    type: bool
    default: false
  graceful_timeout:
    description:
      - Seconds a graceful V(shutdown) is given to turn the Droplet off.
    type: int
    default: 60
notes:
  - V(enable_ipv6) is one-way; the API cannot disable IPv6 again.
  - With O(wait=false) the result holds the in-progress action; poll it with M(oceanops.droplets.droplet_action_info).
seealso:
  - module: oceanops.droplets.droplet_action_info
'''

EXAMPLES = r'''
- name: Every task below talks to the API with the same settings
  module_defaults:
    group/oceanops.droplets.all:
      api_token: "{{ lookup('ansible.builtin.env', 'DIGITALOCEAN_TOKEN') }}"
  block:
    - name: Power a Droplet off (no request is sent when it is already off)
      oceanops.droplets.droplet_action:
        droplet_id: 3164444
        type: power_off

    - name: Shut down gracefully, power off if it is still on after two minutes
      oceanops.droplets.droplet_action:
        droplet_name: web-01
        type: shutdown
        allow_power_off: true
        graceful_timeout: 120

    - name: Power on
      oceanops.droplets.droplet_action:
        droplet_id: 3164444
        type: power_on

    - name: Reboot (always acts, so guard it)
      oceanops.droplets.droplet_action:
        droplet_id: 3164444
        type: reboot
      when: kernel_updated | default(false)

    - name: Power cycle
      oceanops.droplets.droplet_action:
        droplet_id: 3164444
        type: power_cycle

    - name: Resize a running Droplet, turning it off and on again around the resize
      oceanops.droplets.droplet_action:
        droplet_id: 3164444
        type: resize
        size: s-2vcpu-4gb
        disk: true
        allow_power_off: true

    - name: Rename
      oceanops.droplets.droplet_action:
        droplet_id: 3164444
        type: rename
        name: web-01.example.com

    - name: Take a snapshot once (a second run returns the existing one)
      oceanops.droplets.droplet_action:
        droplet_id: 3164444
        type: snapshot
        name: web-01-before-upgrade
      register: snap

    - name: Enable weekly backups on Sunday 20:00 UTC
      oceanops.droplets.droplet_action:
        droplet_id: 3164444
        type: enable_backups
        backup_policy:
          plan: weekly
          weekday: SUN
          hour: 20

    - name: Change the backup policy
      oceanops.droplets.droplet_action:
        droplet_id: 3164444
        type: change_backup_policy
        backup_policy:
          plan: daily
          hour: 4

    - name: Disable backups
      oceanops.droplets.droplet_action:
        droplet_id: 3164444
        type: disable_backups

    - name: Restore from one of the Droplet's backups
      oceanops.droplets.droplet_action:
        droplet_id: 3164444
        type: restore
        image: "67539192"

    - name: Rebuild from a public image
      oceanops.droplets.droplet_action:
        droplet_id: 3164444
        type: rebuild
        image: ubuntu-24-04-x64

    - name: Reset the root password (mailed to the account)
      oceanops.droplets.droplet_action:
        droplet_id: 3164444
        type: password_reset

    - name: Change the kernel
      oceanops.droplets.droplet_action:
        droplet_id: 3164444
        type: change_kernel
        kernel: 7515

    - name: Enable IPv6 (cannot be undone)
      oceanops.droplets.droplet_action:
        droplet_id: 3164444
        type: enable_ipv6

    - name: Power off every Droplet tagged web, in as few requests as the API allows
      oceanops.droplets.droplet_action:
        tag_name: web
        type: power_off

    - name: Start a snapshot and come back for it later
      oceanops.droplets.droplet_action:
        droplet_id: 3164444
        type: snapshot
        name: nightly
        wait: false
      register: started
'''

RETURN = r'''
action:
  description: The last action the task sent, in its final state when waited for (the API's action object).
  returned: when an action was sent to one Droplet
  type: dict
  sample: {"id": 36804636, "status": "completed", "type": "power_off", "started_at": "2026-11-14T16:29:21Z",
           "completed_at": "2026-11-14T16:29:51Z", "resource_id": 3164444, "resource_type": "droplet",
           "region_slug": "nyc3"}
actions:
  description:
    - Every action the task sent, in order (a resize with O(allow_power_off) sends several).
    - With O(tag_name), the actions of all Droplets.
  returned: when actions were sent
  type: list
  elements: dict
droplet:
  description: The Droplet as the API shows it after the task (before it, when nothing was sent or with O(wait=false)).
  returned: when one Droplet was selected
  type: dict
droplets:
  description: With O(tag_name), each tagged Droplet and what happened to it.
  returned: with O(tag_name)
  type: list
  elements: dict
  contains:
    id:
      description: Droplet id.
      type: int
    name:
      description: Droplet name.
      type: str
    changed:
      description: Whether an action was (or in check mode, would be) sent to this Droplet.
      type: bool
    action:
      description: The action sent to this Droplet, final when waited for.
      type: dict
snapshot:
  description: With O(type=snapshot), the snapshot named O(name) (id, name, created_at, ...).
  returned: with O(type=snapshot) when it exists after the task
  type: dict
steps:
  description: The action types the task sends (or in check mode, would send), in order.
  returned: with a single Droplet
  type: list
  elements: str
  sample: [shutdown, power_off, resize, power_on]
api_requests:
  description: How many HTTP requests the task sent to the API (including retries), also when it failed.
  returned: always
  type: int
api_error:
  description: On an API failure, its HTTP status, the API's error id, message and request id.
  returned: on API failure
  type: dict
msg:
  description: What the task did or would do.
  returned: always
  type: str
'''

from ansible_collections.oceanops.droplets.plugins.module_utils.action_types import (
    ACTION_TYPES, ALL_FIELDS, BULK_TYPES)
from ansible_collections.oceanops.droplets.plugins.module_utils.base import DigitalOceanModule
from ansible_collections.oceanops.droplets.plugins.module_utils.droplet_runner import SingleDropletRun
from ansible_collections.oceanops.droplets.plugins.module_utils.fleet_runner import FleetRun

ARGUMENT_SPEC = dict(
    type=dict(type='str', required=True, choices=list(ACTION_TYPES)),
    droplet_id=dict(type='int'),
    droplet_name=dict(type='str'),
    tag_name=dict(type='str'),
    size=dict(type='str'),
    disk=dict(type='bool'),
    image=dict(type='str'),
    name=dict(type='str'),
    kernel=dict(type='int'),
    backup_policy=dict(type='dict', options=dict(
        plan=dict(type='str', choices=['daily', 'weekly']),
        weekday=dict(type='str', choices=['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']),
        hour=dict(type='int', choices=[0, 4, 8, 12, 16, 20]),
    )),
    allow_power_off=dict(type='bool', default=False),
    graceful_timeout=dict(type='int', default=60),
)

SELECTORS = ('droplet_id', 'droplet_name', 'tag_name')


class DropletActionModule(DigitalOceanModule):
    def __init__(self):
        super(DropletActionModule, self).__init__(
            ARGUMENT_SPEC,
            mutually_exclusive=[SELECTORS],
            required_one_of=[SELECTORS],
            required_if=[('type', name, list(action.required)) for name, action in ACTION_TYPES.items() if action.required],
        )
        self._check_action_options()

    def _check_action_options(self):
        """Reject options the chosen type does not use, before any request is sent."""
        params = self.params
        action = ACTION_TYPES[params['type']]
        for field in ALL_FIELDS:
            if params[field] is not None and field not in action.fields:
                users = sorted(name for name, other in ACTION_TYPES.items() if field in other.fields)
                self.fail('%s does not apply to type=%s (it is used by: %s)' % (field, action.name, ', '.join(users)))
        if params['tag_name'] is not None and not action.bulk:
            self.fail('type=%s cannot be run with tag_name; the API runs only these by tag: %s'
                      % (action.name, ', '.join(BULK_TYPES)))
        if params['droplet_id'] is not None and params['droplet_id'] <= 0:
            self.fail('droplet_id must be a positive integer, got %s' % params['droplet_id'])
        for option in ('droplet_name', 'tag_name', 'name', 'size', 'image'):
            if params[option] is not None and not params[option].strip():
                self.fail('%s must not be empty' % option)
        if params['graceful_timeout'] <= 0:
            self.fail('graceful_timeout must be a positive number of seconds, got %s' % params['graceful_timeout'])
        if params['type'] == 'change_backup_policy' and not any(params['backup_policy'].values()):
            self.fail('backup_policy needs at least one of plan, weekday, hour')

    def execute(self):
        runner = FleetRun(self) if self.params['tag_name'] is not None else SingleDropletRun(self)
        self.result.update(runner.execute())


def main():
    DropletActionModule().run()


if __name__ == '__main__':
    main()
