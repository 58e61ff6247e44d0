# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sixteen Droplet action types as data: the only statement of each type's rules.

The runners (droplet_runner.py for one Droplet, fleet_runner.py for a tag or an id list) only
drive this table, and droplet_action's DOCUMENTATION is checked against it by a unit test
(``doc_line``). Adding an action type is one entry here plus its tests.

An entry (``ActionType``) holds data:

- ``summary``: one sentence for the docs. ``fields``: the module options sent in the request body;
  ``required``: those the type cannot do without. ``scopes``: the token scopes it needs (a 403
  names them). ``bulk``: ``POST /v2/droplets/actions?tag_name=`` accepts it. ``many``: it makes
  sense for a list of Droplets (``droplet_ids``). ``done_doc``: the "already done" rule in words.
- ``off_first``: an ``OffFirst(off, on)``: the API powers a running Droplet off itself for this action
  (hard); with allow_power_off the single-Droplet plan sends ``off`` first (and its fallback if the Droplet
  is still on) and ``on`` after. Running means the status ``on`` leaves; off, the one the fallback leaves.
- ``fallback``: the type sent when this one ended but its state did not show within
  graceful_timeout, if the user set allow_power_off (shutdown -> power_off).
- ``status_after``: the status this action leaves (it shows a moment after the action completes),
  so a task that waited for someone else's action decides on the real state.

and hooks; each receives a DropletView (``view.droplet`` as the API returned it, ``view.params`` the
module parameters, methods that fetch once what a rule needs: policy, snapshots, kernels, sizes):

- ``done(view) -> bool``: the state already holds, nothing is sent. None: the type always acts.
  Called by the plan step of both runners, and by their settle step, polling until it holds.
- ``instead(view) -> type name or None``: another type reaches the state from here (plan step).
- ``preflight(view)``: raises Refused when the POST cannot succeed (plan step, before any POST).
- ``changes(view) -> dict``: the fields the action changes, for diff mode (plan step); each key's current
  value is read by ``BEFORE_READERS`` (or by the entry's own ``before(view, after) -> dict``).
- ``prefetch(client, views, params) -> int``: reads once for a whole fleet what ``done`` would read per
  Droplet, primes the views and returns the requests it made (fleet plan and settle steps).
- ``extras(view) -> dict``: fields added to a Droplet's result, e.g. the snapshot taken (both runners).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import MAX_PAGE_SIZE
from ansible_collections.oceanops.droplets.plugins.module_utils.errors import Refused

BACKUP_POLICY_KEYS = ('plan', 'weekday', 'hour')  # window_length_hours and retention_period_days are read-only
UPDATE = ('droplet:update',)
# The types an off_first action is wrapped in: ``off`` before it (with its fallback), ``on`` after it.
OffFirst = collections.namedtuple('OffFirst', 'off on')


class ActionType:
    def __init__(self, name, summary, fields=(), required=(), bulk=False, many=False, scopes=UPDATE, done=None,
                 done_doc=None, changes=None, preflight=None, instead=None, off_first=None, fallback=None,
                 status_after=None, prefetch=None, extras=None, before=None):
        self.name = name
        self.summary = summary
        self.fields = fields
        self.required = required
        self.bulk = bulk
        self.many = many or bulk
        self.scopes = scopes
        self.done = done
        self.done_doc = done_doc
        self.changes = changes or (lambda view: {})
        self.preflight = preflight
        self.instead = instead
        self.off_first = off_first
        self.fallback = fallback
        self.status_after = status_after
        self.prefetch = prefetch
        self.extras = extras
        self.before = before
        if (done is None) != (done_doc is None):
            raise ValueError('%s: a done rule and its done_doc go together' % name)

    @property
    def idempotent(self):
        return self.done is not None

    @property
    def powers_off(self):
        """allow_power_off (and graceful_timeout) mean something for this type."""
        return bool(self.fallback or self.off_first)

    def body(self, params):
        """The JSON body for POST .../actions: ``type`` plus the fields the user set."""
        body = dict(type=self.name)
        for field in self.fields:
            if params.get(field) is not None:
                body[field] = FIELD_ENCODERS.get(field, _same)(params[field])
        return body

    def doc_line(self):
        """This type's line in droplet_action's DOCUMENTATION (a unit test keeps the two equal)."""
        rule = ('Already done, and nothing sent, when %s.' % self.done_doc) if self.done else 'Always acts.'
        scopes = ', '.join('C(%s)' % scope for scope in self.scopes)
        return 'V(%s): %s %s Token scopes: %s.' % (self.name, self.summary, rule, scopes)


# -- small rule helpers --------------------------------------------------------------------------

def _same(value):
    return value


def _image_ref(value):
    """An image is an integer id or a slug; the API wants ids as integers."""
    text = str(value)
    return int(text) if text.isdigit() else text


def _policy_body(policy):
    return dict((key, policy[key]) for key in BACKUP_POLICY_KEYS if policy.get(key) is not None)


FIELD_ENCODERS = dict(image=_image_ref, backup_policy=_policy_body)


def _status_is(wanted):
    return lambda view: view.droplet.get('status') == wanted


def _has_feature(feature):
    return lambda view: feature in (view.droplet.get('features') or [])


def _status_becomes(wanted):
    return lambda view: dict(status=wanted)


def _policy_matches(view):
    wanted = _policy_body(view.params.get('backup_policy') or {})
    current = view.backup_policy() or {}
    return all(current.get(key) == value for key, value in wanted.items())


def _backups_done(view):
    if 'backups' not in (view.droplet.get('features') or []):
        return False
    return not view.params.get('backup_policy') or _policy_matches(view)


def _policy_change_instead(view):
    """Backups already on but with another policy: only change_backup_policy can fix that."""
    if _has_feature('backups')(view) and view.params.get('backup_policy') and not _policy_matches(view):
        return 'change_backup_policy'
    return None


def _backups_changes(enabled):
    def changes(view):
        after = dict(backups_enabled=enabled)
        if enabled and view.params.get('backup_policy'):
            after['backup_policy'] = _policy_body(view.params['backup_policy'])
        return after
    return changes


def _require_backups_on(view):
    if 'backups' not in (view.droplet.get('features') or []):
        raise Refused('change_backup_policy needs backups enabled on Droplet %s; use type=enable_backups with '
                      'backup_policy to enable them with a policy' % view.droplet['id'])


def _resize_done(view):
    if view.droplet.get('size_slug') != view.params['size']:
        return False
    if not view.params.get('disk'):
        return True
    return view.droplet.get('disk') == view.size(view.params['size'])['disk']


def _resize_preflight(view):
    target = view.size(view.params['size'])
    if target is None:
        raise Refused('size %r is not a size DigitalOcean offers (GET /v2/sizes)' % view.params['size'])
    current_disk = view.droplet.get('disk') or 0
    if target.get('disk', 0) < current_disk:
        raise Refused('size %s has a %s GB disk but Droplet %s already has %s GB: a disk can never shrink, choose '
                      'a size with at least %s GB' % (target['slug'], target.get('disk'), view.droplet['id'],
                                                      current_disk, current_disk))
    # A running Droplet is handled by the driver (allow_power_off), not refused here.


def _restore_preflight(view):
    image = str(view.params['image'])
    if not image.isdigit():
        raise Refused('restore needs image to be the numeric id of one of this Droplet\'s backups, not %r' % image)
    backups = view.droplet.get('backup_ids') or []
    if int(image) not in backups:
        raise Refused('image %s is not a backup of Droplet %s (its backups: %s)'
                      % (image, view.droplet['id'], ', '.join(str(b) for b in sorted(backups)) or 'none'))


def _rebuild_preflight(view):
    if view.image(view.params['image']) is None:
        raise Refused('image %r was not found (GET /v2/images/%s)' % (view.params['image'], view.params['image']))


def _kernel_done(view):
    return (view.droplet.get('kernel') or {}).get('id') == view.params['kernel']


def _kernel_preflight(view):
    offered = view.kernel_ids()
    if view.params['kernel'] not in offered:
        raise Refused('kernel %s is not offered for Droplet %s (GET /v2/droplets/%s/kernels)'
                      % (view.params['kernel'], view.droplet['id'], view.droplet['id']))


def _snapshot_done(view):
    return view.snapshot_named(view.params['name']) is not None


def _snapshot_extras(view):
    """The snapshot named ``name``, returned with the result (None when there is none yet)."""
    if not view.params.get('name'):
        return {}
    return dict(snapshot=view.snapshot_named(view.params['name']))


def _prefetch_snapshots(client, views, params):
    """Every Droplet's snapshots from one account-wide listing instead of one request per Droplet."""
    by_droplet, pages = {}, []
    for snap in client.paginate('/v2/snapshots', 'snapshots', params=dict(resource_type='droplet'), on_page=pages.append):
        by_droplet.setdefault(str(snap.get('resource_id')), []).append(snap)
    for view in views:
        view.prime('snapshots', by_droplet.get(str(view.droplet['id']), []))
    return len(pages)


def _prefetch_backup_policies(client, views, params):
    """With a backup_policy to compare, every Droplet's policy from one account-wide request."""
    if not params.get('backup_policy'):
        return 0
    listed = client.get('/v2/droplets/backups/policies', params=dict(per_page=MAX_PAGE_SIZE)).get('policies', {})
    policies = dict((str(key), value) for key, value in listed.items())
    for view in views:
        record = policies.get(str(view.droplet['id'])) or {}
        view.prime('policy', record.get('backup_policy') if record.get('backup_enabled') else None)
    return 1


ACTION_TYPES = dict((action.name, action) for action in (
    ActionType('enable_backups', 'Enable backups, optionally with a backup policy.',
               fields=('backup_policy',), bulk=True, done=_backups_done, changes=_backups_changes(True),
               done_doc='C(backups) is in C(features) and, with O(backup_policy), the policy matches (otherwise '
                        'the policy is changed with V(change_backup_policy))',
               instead=_policy_change_instead, prefetch=_prefetch_backup_policies),
    ActionType('disable_backups', 'Disable backups.', bulk=True, done=lambda view: not _has_feature('backups')(view),
               done_doc='C(backups) is not in C(features)', changes=_backups_changes(False)),
    ActionType('change_backup_policy', 'Change the backup policy of a Droplet that has backups enabled.',
               fields=('backup_policy',), required=('backup_policy',), many=True, done=_policy_matches,
               done_doc='the given keys of O(backup_policy) match the policy',
               changes=lambda view: dict(backup_policy=_policy_body(view.params['backup_policy'])),
               preflight=_require_backups_on),
    ActionType('reboot', 'Reboot gracefully.', many=True, status_after='active'),
    ActionType('power_cycle', 'Power cycle, like pressing reset.', bulk=True, status_after='active'),
    ActionType('shutdown', 'Shut down gracefully; with O(allow_power_off), power off if it is still on after '
                           'O(graceful_timeout).',
               bulk=True, done=_status_is('off'), done_doc='the status is C(off)', changes=_status_becomes('off'),
               fallback='power_off', status_after='off'),
    ActionType('power_off', 'Power off hard.', bulk=True, done=_status_is('off'), done_doc='the status is C(off)',
               changes=_status_becomes('off'), status_after='off'),
    ActionType('power_on', 'Power on.', bulk=True, done=_status_is('active'), done_doc='the status is C(active)',
               changes=_status_becomes('active'), status_after='active'),
    ActionType('restore', 'Restore from one of this Droplet\'s backups.',
               fields=('image',), required=('image',), scopes=UPDATE + ('droplet:admin',),
               changes=lambda view: dict(image=view.params['image']), preflight=_restore_preflight),
    ActionType('password_reset', 'Reset the root password, mailed to the account.', scopes=UPDATE + ('droplet:admin',)),
    ActionType('resize', 'Resize CPU and RAM, and with O(disk=true) also the disk (permanent).',
               fields=('size', 'disk'), required=('size',), scopes=UPDATE + ('droplet:create',), done=_resize_done,
               done_doc='C(size_slug) is O(size) (with O(disk=true), the disk matches that size\'s too)',
               changes=lambda view: dict(size_slug=view.params['size']), preflight=_resize_preflight,
               off_first=OffFirst(off='shutdown', on='power_on')),
    ActionType('rebuild', 'Rebuild from an image id or slug.',
               fields=('image',), required=('image',), scopes=UPDATE + ('droplet:admin',),
               changes=lambda view: dict(image=view.params['image']), preflight=_rebuild_preflight),
    ActionType('rename', 'Rename the Droplet.', fields=('name',), required=('name',),
               done=lambda view: view.droplet.get('name') == view.params['name'], done_doc='the name is O(name)',
               changes=lambda view: dict(name=view.params['name'])),
    ActionType('change_kernel', 'Change the kernel (Droplets with externally managed kernels only).',
               fields=('kernel',), required=('kernel',), done=_kernel_done, done_doc='the kernel id is O(kernel)',
               changes=lambda view: dict(kernel_id=view.params['kernel']), preflight=_kernel_preflight),
    ActionType('enable_ipv6', 'Enable IPv6 (one-way: it cannot be disabled).',
               bulk=True, done=_has_feature('ipv6'), done_doc='C(ipv6) is in C(features)',
               changes=lambda view: dict(ipv6_enabled=True)),
    ActionType('snapshot', 'Take a snapshot named O(name).',
               fields=('name',), required=('name',), bulk=True, scopes=UPDATE + ('image:create',),
               done=_snapshot_done, done_doc='the Droplet has a snapshot named O(name), which is returned',
               changes=lambda view: dict(snapshot=view.params['name']), prefetch=_prefetch_snapshots,
               extras=_snapshot_extras),
))

# Every module option some type sends, in the table's order.
ALL_FIELDS = tuple(collections.OrderedDict((field, None) for action in ACTION_TYPES.values() for field in action.fields))
BULK_TYPES = tuple(name for name, action in ACTION_TYPES.items() if action.bulk)
MANY_TYPES = tuple(name for name, action in ACTION_TYPES.items() if action.many)


def _features(view):
    return view.droplet.get('features') or []


def _image_now(view, after):
    image = view.droplet.get('image') or {}
    return image.get('slug') or image.get('id')


# The current value of each field a ``changes`` hook names, for the diff's "before" (``after`` is the
# value the action would set).
BEFORE_READERS = dict(
    status=lambda view, after: view.droplet.get('status'),
    backups_enabled=lambda view, after: 'backups' in _features(view),
    ipv6_enabled=lambda view, after: 'ipv6' in _features(view),
    size_slug=lambda view, after: view.droplet.get('size_slug'),
    name=lambda view, after: view.droplet.get('name'),
    kernel_id=lambda view, after: (view.droplet.get('kernel') or {}).get('id'),
    image=_image_now,
    backup_policy=lambda view, after: _policy_body(view.backup_policy() or {}) if 'backups' in _features(view) else None,
    snapshot=lambda view, after: after if view.snapshot_named(after) else None,
)


def _before_from_readers(view, after):
    return dict((key, BEFORE_READERS[key](view, value)) for key, value in after.items() if key in BEFORE_READERS)


def before_state(view, action):
    """The current values of the fields ``action`` would change, keyed like ``action.changes``."""
    after = action.changes(view)
    return (action.before or _before_from_readers)(view, after), after
