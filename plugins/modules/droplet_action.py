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
  - What each type does, when it is already done and which token scopes it needs is listed under O(type).
  - Someone else's action running on the Droplet (seen in its action list before the POST, or met as the API's
    422 "pending event") is waited for within O(wait_timeout); then the Droplet is read again and the plan made
    again, so the task never sends blind. A POST whose answer is lost is looked for in the Droplet's actions for
    15 seconds before it is sent again, at most once, so an action is not run twice.
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
      - The action type. Each type below says what it does, when it is already done, and the token scopes it needs;
        with O(tag_name), the token also needs C(tag:read).
      - "V(enable_backups): Enable backups, optionally with a backup policy. Already done, and nothing sent, when
        C(backups) is in C(features) and, with O(backup_policy), the policy matches (otherwise the policy is changed
        with V(change_backup_policy)). Token scopes: C(droplet:update)."
      - "V(disable_backups): Disable backups. Already done, and nothing sent, when C(backups) is not in C(features).
        Token scopes: C(droplet:update)."
      - "V(change_backup_policy): Change the backup policy of a Droplet that has backups enabled. Already done, and
        nothing sent, when the given keys of O(backup_policy) match the policy. Token scopes: C(droplet:update)."
      - "V(reboot): Reboot gracefully. Always acts. Token scopes: C(droplet:update)."
      - "V(power_cycle): Power cycle, like pressing reset. Always acts. Token scopes: C(droplet:update)."
      - "V(shutdown): Shut down gracefully; with O(allow_power_off), power off if it is still on after
        O(graceful_timeout). Already done, and nothing sent, when the status is C(off). Token scopes:
        C(droplet:update)."
      - "V(power_off): Power off hard. Already done, and nothing sent, when the status is C(off). Token scopes:
        C(droplet:update)."
      - "V(power_on): Power on. Already done, and nothing sent, when the status is C(active). Token scopes:
        C(droplet:update)."
      - "V(restore): Restore from one of this Droplet's backups. Always acts. Token scopes: C(droplet:update),
        C(droplet:admin)."
      - "V(password_reset): Reset the root password, mailed to the account. Always acts. Token scopes:
        C(droplet:update), C(droplet:admin)."
      - "V(resize): Resize CPU and RAM, and with O(disk=true) also the disk (permanent). Already done, and nothing
        sent, when C(size_slug) is O(size) (with O(disk=true), the disk matches that size's too). Token scopes:
        C(droplet:update), C(droplet:create)."
      - "V(rebuild): Rebuild from an image id or slug. Always acts. Token scopes: C(droplet:update),
        C(droplet:admin)."
      - "V(rename): Rename the Droplet. Already done, and nothing sent, when the name is O(name). Token scopes:
        C(droplet:update)."
      - "V(change_kernel): Change the kernel (Droplets with externally managed kernels only). Already done, and
        nothing sent, when the kernel id is O(kernel). Token scopes: C(droplet:update)."
      - "V(enable_ipv6): Enable IPv6 (one-way: it cannot be disabled). Already done, and nothing sent, when C(ipv6)
        is in C(features). Token scopes: C(droplet:update)."
      - "V(snapshot): Take a snapshot named O(name). Already done, and nothing sent, when the Droplet has a snapshot
        named O(name), which is returned. Token scopes: C(droplet:update), C(image:create)."
    type: str
    required: true
    choices: [enable_backups, disable_backups, change_backup_policy, reboot, power_cycle, shutdown, power_off,
              power_on, restore, password_reset, resize, rebuild, rename, change_kernel, enable_ipv6, snapshot]
  droplet_id:
    description:
      - ID of the Droplet to act on. Exactly one of O(droplet_id), O(droplet_name), O(tag_name) and O(droplet_ids)
        is required.
    type: int
  droplet_ids:
    description:
      - Act on each Droplet of this list of ids in one task, for example the ids of a play's hosts with
        C(run_once). Each Droplet is checked on its own; those not yet in the state get one POST each (a few at a
        time), then one shared wait.
      - Only the types that make sense for many Droplets are allowed (V(enable_backups), V(disable_backups),
        V(change_backup_policy), V(reboot), V(power_cycle), V(shutdown), V(power_off), V(power_on), V(enable_ipv6),
        V(snapshot)). An id that no Droplet has fails the task before anything is sent.
      - The Droplets are read one GET each, or from the account's list (200 a page) when that takes fewer requests.
    type: list
    elements: int
    version_added: 0.1.0
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
      - Only for V(shutdown) and V(resize); refused with other types.
      - V(shutdown), when the Droplet is still on O(graceful_timeout) seconds after a graceful shutdown, power it off.
      - V(resize) of a running Droplet, shut it down gracefully first (powering off if the shutdown does not work),
        resize it, then power it on again. Without this option the resize is sent as it is and the API powers the
        Droplet off itself (not gracefully) and on again, as DigitalOcean's own tests and C(doctl) show.
    type: bool
    default: false
  graceful_timeout:
    description:
      - Seconds a graceful V(shutdown) is given to turn the Droplet off (60 when not set). Only for V(shutdown), and
        V(resize) with O(allow_power_off).
    type: int
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

    - name: Resize a running Droplet, shutting it down gracefully first and powering it on after
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
    - Every action the API accepted from this task, in order, in its latest known state (a resize with
      O(allow_power_off) sends several). Also returned when the task failed after some were accepted, so a failed
      task with actions here has C(changed=true).
    - With O(tag_name) or O(droplet_ids), the actions of all Droplets.
  returned: always
  type: list
  elements: dict
droplet:
  description: The Droplet as the API shows it after the task (before it, when nothing was sent or with O(wait=false)).
  returned: when one Droplet was selected
  type: dict
droplets:
  description: With O(tag_name) or O(droplet_ids), each Droplet and what happened to it.
  returned: with O(tag_name) or O(droplet_ids)
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
    planned:
      description: The action type the plan sends to this Droplet (empty when it is already in the state).
      type: list
      elements: str
    action:
      description: The action sent to this Droplet, final when waited for.
      type: dict
    snapshot:
      description: With O(type=snapshot), this Droplet's snapshot named O(name) (its id, name, created_at, ...).
      type: dict
snapshot:
  description: With O(type=snapshot), the snapshot named O(name) (id, name, created_at, ...).
  returned: with O(type=snapshot) when it exists after the task
  type: dict
planned:
  description:
    - The plan, made from the Droplet as it was read (in check mode, what would be sent), in order. A step that is
      sent only if the one before did not turn the Droplet off (V(power_off) after a graceful V(shutdown)) is listed
      even when it was not needed; RV(actions) says what the API accepted.
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

import re

from ansible_collections.oceanops.droplets.plugins.module_utils.action_types import (
    ACTION_TYPES, ALL_FIELDS, BULK_TYPES, MANY_TYPES)
from ansible_collections.oceanops.droplets.plugins.module_utils.base import DigitalOceanModule
from ansible_collections.oceanops.droplets.plugins.module_utils.droplet_runner import SingleDropletRun
from ansible_collections.oceanops.droplets.plugins.module_utils.fleet_runner import FleetRun
from ansible_collections.oceanops.droplets.plugins.module_utils.fleet_selection import IdSelection, TagSelection

ARGUMENT_SPEC = dict(
    type=dict(type='str', required=True, choices=list(ACTION_TYPES)),
    droplet_id=dict(type='int'),
    droplet_name=dict(type='str'),
    tag_name=dict(type='str'),
    droplet_ids=dict(type='list', elements='int'),
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
    graceful_timeout=dict(type='int'),
)

SELECTORS = ('droplet_id', 'droplet_name', 'tag_name', 'droplet_ids')
DEFAULT_GRACEFUL_TIMEOUT = 60
MAX_GRACEFUL_TIMEOUT = 86400
MAX_DROPLET_IDS = 10000
# What a slug or an image id may look like: it goes into a URL path, so nothing that could change the path.
IMAGE_REF = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$')


class DropletActionModule(DigitalOceanModule):
    def __init__(self):
        super().__init__(
            ARGUMENT_SPEC,
            mutually_exclusive=[SELECTORS],
            required_one_of=[SELECTORS],
            required_if=[('type', name, list(action.required)) for name, action in ACTION_TYPES.items() if action.required],
        )
        self._check_action_options()

    def _check_action_options(self):
        """Reject what the chosen type cannot use or the API cannot take, before any request is sent."""
        params = self.params
        action = ACTION_TYPES[params['type']]
        for field in ALL_FIELDS:
            if params[field] is not None and field not in action.fields:
                users = sorted(name for name, other in ACTION_TYPES.items() if field in other.fields)
                self.fail('%s does not apply to type=%s (it is used by: %s)' % (field, action.name, ', '.join(users)))
        powering = sorted(name for name, other in ACTION_TYPES.items() if other.powers_off)
        for option, unset in (('allow_power_off', False), ('graceful_timeout', None)):
            if params[option] != unset and not action.powers_off:
                self.fail('%s does not apply to type=%s (it is used by: %s)' % (option, action.name, ', '.join(powering)))
        if params['tag_name'] is not None and not action.bulk:
            self.fail('type=%s cannot be run with tag_name; the API runs only these by tag: %s'
                      % (action.name, ', '.join(BULK_TYPES)))
        if params['droplet_ids'] is not None and not action.many:
            self.fail('type=%s cannot be run with droplet_ids; these can: %s' % (action.name, ', '.join(MANY_TYPES)))
        self._check_values(params)

    def _check_values(self, params):
        self.check_positive_id('droplet_id')
        for droplet_id in params['droplet_ids'] or []:
            if isinstance(droplet_id, bool) or droplet_id <= 0:
                self.fail('droplet_ids must hold positive integer Droplet ids, got %r' % (droplet_id,))
        if params['droplet_ids'] is not None and not 0 < len(params['droplet_ids']) <= MAX_DROPLET_IDS:
            self.fail('droplet_ids must hold 1 to %d ids, got %d' % (MAX_DROPLET_IDS, len(params['droplet_ids'])))
        for option in ('droplet_name', 'tag_name', 'name', 'size', 'image'):
            if params[option] is not None and not params[option].strip():
                self.fail('%s must not be empty' % option)
        if params['image'] is not None and not IMAGE_REF.match(params['image']):
            self.fail('image must be an image id or slug (letters, digits, ".", "_" and "-"), got %r' % params['image'])
        if params['graceful_timeout'] is None:
            params['graceful_timeout'] = DEFAULT_GRACEFUL_TIMEOUT
        elif not 0 < params['graceful_timeout'] <= MAX_GRACEFUL_TIMEOUT:
            self.fail('graceful_timeout must be 1 to %d seconds, got %s' % (MAX_GRACEFUL_TIMEOUT, params['graceful_timeout']))
        if params['type'] == 'change_backup_policy' and not any(params['backup_policy'].values()):
            self.fail('backup_policy needs at least one of plan, weekday, hour')

    def scopes(self):
        needed = ACTION_TYPES[self.params['type']].scopes
        return needed + ('tag:read',) if self.params['tag_name'] is not None else needed

    def execute(self):
        if self.params['tag_name'] is not None:
            runner = FleetRun(self, TagSelection(self.client, self.params['tag_name']))
        elif self.params['droplet_ids'] is not None:
            runner = FleetRun(self, IdSelection(self.client, self.params['droplet_ids']))
        else:
            runner = SingleDropletRun(self)
        runner.execute()


def main():
    DropletActionModule().run()


if __name__ == '__main__':
    main()
