# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decision table: Droplet state x requested type -> already done (no POST) or not."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.oceanops.droplets.plugins.module_utils.action_types import (
    ACTION_TYPES, ALL_FIELDS, BEFORE_READERS, BULK_TYPES, ActionType, OffFirst, Refused, before_state)
from ansible_collections.oceanops.droplets.plugins.module_utils.droplet_view import DropletView
from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClient, droplet

WEEKLY = dict(plan='weekly', weekday='SUN', hour=20)
POLICY_ROUTE = '/v2/droplets/101/backups/policy'
SIZES = {'/v2/sizes': dict(sizes=[dict(slug='s-1vcpu-1gb', disk=25), dict(slug='s-2vcpu-4gb', disk=80),
                                  dict(slug='s-1vcpu-512mb', disk=10)])}


def view(state, params=None, routes=None):
    all_params = dict(backup_policy=None, size=None, disk=None, image=None, name=None, kernel=None)
    all_params.update(params or {})
    return DropletView(FakeClient(routes), droplet(**state), all_params)


def policy(enabled=True, **values):
    record = dict(plan='daily', weekday=None, hour=0, window_length_hours=4, retention_period_days=7)
    record.update(values)
    return {POLICY_ROUTE: dict(policy=dict(droplet_id=101, backup_enabled=enabled, backup_policy=record))}


DECISIONS = [
    # (type, droplet state, params, extra API routes, already done?)
    ('power_on', dict(status='active'), {}, {}, True),
    ('power_on', dict(status='off'), {}, {}, False),
    ('power_off', dict(status='off'), {}, {}, True),
    ('power_off', dict(status='active'), {}, {}, False),
    ('shutdown', dict(status='off'), {}, {}, True),
    ('shutdown', dict(status='active'), {}, {}, False),
    ('enable_backups', dict(features=['backups']), {}, {}, True),
    ('enable_backups', dict(features=[]), {}, {}, False),
    ('enable_backups', dict(features=['backups']), dict(backup_policy=WEEKLY), policy(**WEEKLY), True),
    ('enable_backups', dict(features=['backups']), dict(backup_policy=WEEKLY), policy(plan='daily', hour=4), False),
    ('disable_backups', dict(features=[]), {}, {}, True),
    ('disable_backups', dict(features=['backups', 'ipv6']), {}, {}, False),
    ('change_backup_policy', dict(features=['backups']), dict(backup_policy=dict(hour=20)), policy(hour=20), True),
    ('change_backup_policy', dict(features=['backups']), dict(backup_policy=dict(hour=8)), policy(hour=20), False),
    ('change_backup_policy', dict(features=['backups']), dict(backup_policy=dict(plan='daily', hour=None)),
     policy(plan='daily', hour=4), True),
    ('resize', dict(size_slug='s-2vcpu-4gb'), dict(size='s-2vcpu-4gb'), {}, True),
    ('resize', dict(size_slug='s-1vcpu-1gb'), dict(size='s-2vcpu-4gb'), {}, False),
    ('resize', dict(size_slug='s-2vcpu-4gb', disk=25), dict(size='s-2vcpu-4gb', disk=True), SIZES, False),
    ('resize', dict(size_slug='s-2vcpu-4gb', disk=80), dict(size='s-2vcpu-4gb', disk=True), SIZES, True),
    ('rename', dict(name='db-01'), dict(name='db-01'), {}, True),
    ('rename', dict(name='web-01'), dict(name='db-01'), {}, False),
    ('change_kernel', dict(kernel=dict(id=7515)), dict(kernel=7515), {}, True),
    ('change_kernel', dict(kernel=dict(id=1)), dict(kernel=7515), {}, False),
    ('change_kernel', dict(kernel=None), dict(kernel=7515), {}, False),
    ('enable_ipv6', dict(features=['ipv6']), {}, {}, True),
    ('enable_ipv6', dict(features=['backups']), {}, {}, False),
    ('snapshot', {}, dict(name='nightly'),
     {'/v2/droplets/101/snapshots': dict(snapshots=[dict(id=5, name='nightly')])}, True),
    ('snapshot', {}, dict(name='nightly'),
     {'/v2/droplets/101/snapshots': dict(snapshots=[dict(id=5, name='weekly')])}, False),
]


@pytest.mark.parametrize('action_type, state, params, routes, expected', DECISIONS)
def test_already_done_rule(action_type, state, params, routes, expected):
    assert ACTION_TYPES[action_type].done(view(state, params, routes)) is expected


@pytest.mark.parametrize('action_type', ['reboot', 'power_cycle', 'password_reset', 'rebuild', 'restore'])
def test_types_without_a_state_always_act(action_type):
    assert ACTION_TYPES[action_type].done is None
    assert not ACTION_TYPES[action_type].idempotent


def test_every_type_of_the_api_is_in_the_table():
    assert sorted(ACTION_TYPES) == sorted([
        'enable_backups', 'disable_backups', 'change_backup_policy', 'reboot', 'power_cycle', 'shutdown', 'power_off',
        'power_on', 'restore', 'password_reset', 'resize', 'rebuild', 'rename', 'change_kernel', 'enable_ipv6',
        'snapshot'])


def test_bulk_subset_is_the_apis():
    assert sorted(BULK_TYPES) == sorted(['power_cycle', 'power_on', 'power_off', 'shutdown', 'enable_ipv6',
                                         'enable_backups', 'disable_backups', 'snapshot'])


@pytest.mark.parametrize('action_type, params, body', [
    ('reboot', dict(size='ignored'), dict(type='reboot')),
    ('resize', dict(size='s-2vcpu-4gb', disk=True), dict(type='resize', size='s-2vcpu-4gb', disk=True)),
    ('resize', dict(size='s-2vcpu-4gb'), dict(type='resize', size='s-2vcpu-4gb')),
    ('rebuild', dict(image='ubuntu-24-04-x64'), dict(type='rebuild', image='ubuntu-24-04-x64')),
    ('rebuild', dict(image='12345'), dict(type='rebuild', image=12345)),
    ('restore', dict(image='67539192'), dict(type='restore', image=67539192)),
    ('change_backup_policy', dict(backup_policy=dict(plan='weekly', weekday=None, hour=4)),
     dict(type='change_backup_policy', backup_policy=dict(plan='weekly', hour=4))),
    ('snapshot', dict(name='nightly'), dict(type='snapshot', name='nightly')),
    ('change_kernel', dict(kernel=7515), dict(type='change_kernel', kernel=7515)),
])
def test_request_body_holds_only_the_types_fields(action_type, params, body):
    assert ACTION_TYPES[action_type].body(params) == body


def test_enable_backups_with_another_policy_changes_the_policy_instead():
    current = view(dict(features=['backups']), dict(backup_policy=WEEKLY), policy(plan='daily', hour=4))
    assert ACTION_TYPES['enable_backups'].instead(current) == 'change_backup_policy'
    off = view(dict(features=[]), dict(backup_policy=WEEKLY))
    assert ACTION_TYPES['enable_backups'].instead(off) is None


@pytest.mark.parametrize('action_type, state, params, routes, fragment', [
    ('change_backup_policy', dict(features=[]), dict(backup_policy=dict(hour=4)), {}, 'needs backups enabled'),
    ('resize', dict(disk=80), dict(size='s-1vcpu-512mb'), SIZES, 'can never shrink'),
    ('resize', {}, dict(size='s-99'), SIZES, 'not a size DigitalOcean offers'),
    ('restore', dict(backup_ids=[1, 2]), dict(image='3'), {}, 'is not a backup of Droplet 101'),
    ('restore', dict(backup_ids=[1, 2]), dict(image='ubuntu-24-04-x64'), {}, 'numeric id'),
    ('rebuild', {}, dict(image='no-such-image'), {}, 'was not found'),
    ('change_kernel', {}, dict(kernel=9), {'/v2/droplets/101/kernels': dict(kernels=[dict(id=1)])}, 'not offered'),
])
def test_preflight_refuses_before_any_post(action_type, state, params, routes, fragment):
    current = view(state, params, routes)
    with pytest.raises(Refused) as caught:
        ACTION_TYPES[action_type].preflight(current)
    assert fragment in str(caught.value)
    assert not current.client.posts


@pytest.mark.parametrize('action_type, state, params, routes', [
    ('restore', dict(backup_ids=[1, 2]), dict(image='2'), {}),
    ('rebuild', {}, dict(image='ubuntu-24-04-x64'), {'/v2/images/ubuntu-24-04-x64': dict(image=dict(id=1))}),
    ('change_kernel', {}, dict(kernel=1), {'/v2/droplets/101/kernels': dict(kernels=[dict(id=1)])}),
    ('resize', dict(disk=25), dict(size='s-2vcpu-4gb'), SIZES),
])
def test_preflight_accepts_valid_requests(action_type, state, params, routes):
    ACTION_TYPES[action_type].preflight(view(state, params, routes))


def test_diff_shows_the_fields_the_action_changes():
    before, after = before_state(view(dict(status='active')), ACTION_TYPES['power_off'])
    assert (before, after) == (dict(status='active'), dict(status='off'))
    before, after = before_state(view(dict(name='a'), dict(name='b')), ACTION_TYPES['rename'])
    assert (before, after) == (dict(name='a'), dict(name='b'))


# -- the table drives the runners: a new entry's fields work without runner changes ----------------

def _labelled(client, views, params):
    """A fake type's prefetch: one 'request' labels every Droplet; done where the label says so."""
    client.prefetches = getattr(client, 'prefetches', 0) + 1
    acted = set(a['resource_id'] for a in client.actions if a['type'] == 'label')
    for view in views:
        view.prime('label', 'done' if view.droplet['id'] == 1 or view.droplet['id'] in acted else 'todo')
    return 1


def _read_label(view):
    return view._once('label', lambda: pytest.fail('the label was not prefetched'))


LABEL = ActionType('label', 'A fake type for these tests.', many=True, done=lambda view: _read_label(view) == 'done',
                   done_doc='the label says done', prefetch=_labelled,
                   extras=lambda view: dict(label=_read_label(view)))


def test_a_new_types_prefetch_and_extras_drive_the_fleet_runner(monkeypatch):
    from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.test_fleet_runner import (
        FleetApi, ids, run)
    monkeypatch.setitem(ACTION_TYPES, 'label', LABEL)
    api = FleetApi(2)
    result = run(api, ids(1, 2), type='label', droplet_ids=[1, 2])
    assert [(path, body['type']) for path, body, params in api.posts] == [('/v2/droplets/2/actions', 'label')]
    assert dict((entry['id'], entry['label']) for entry in result['droplets']) == {1: 'done', 2: 'done'}
    assert api.prefetches >= 2  # the plan's and the settle's, each once for the whole fleet


def test_the_fleets_snapshot_and_backup_policy_reads_are_table_entries():
    assert ACTION_TYPES['snapshot'].prefetch is not None and ACTION_TYPES['snapshot'].extras is not None
    assert ACTION_TYPES['enable_backups'].prefetch is not None
    client = FakeClient({'/v2/droplets/backups/policies': dict(policies={'101': dict(
        backup_enabled=True, backup_policy=WEEKLY)})})
    current = view(dict(features=['backups']), dict(backup_policy=WEEKLY))
    assert ACTION_TYPES['enable_backups'].prefetch(client, [current], current.params) == 1
    assert current.backup_policy() == WEEKLY and ACTION_TYPES['enable_backups'].done(current)
    assert ACTION_TYPES['enable_backups'].prefetch(client, [current], dict(backup_policy=None)) == 0


def test_a_new_types_off_first_drives_the_single_droplet_plan(monkeypatch):
    from ansible_collections.oceanops.droplets.plugins.module_utils.droplet_runner import IF_STILL_ON, plan_steps
    wrapped = ActionType('wrapped', 'A fake type powered off around.', off_first=OffFirst(off='shutdown', on='power_on'))
    monkeypatch.setitem(ACTION_TYPES, 'wrapped', wrapped)
    params = dict(allow_power_off=True)
    assert plan_steps(view(dict(status='active')), wrapped, params) == [
        ('shutdown', None), ('power_off', IF_STILL_ON), ('wrapped', None), ('power_on', None)]
    assert plan_steps(view(dict(status='off')), wrapped, params) == [('wrapped', None)]
    assert plan_steps(view(dict(status='active')), wrapped, dict(allow_power_off=False)) == [('wrapped', None)]
    assert wrapped.powers_off


def test_a_new_types_diff_reads_its_own_before_and_its_fields_are_options():
    tagged = ActionType('tagged', 'A fake type with its own diff.', fields=('name',),
                        changes=lambda view: dict(colour='blue', name=view.params['name']),
                        before=lambda view, after: dict(colour='red'))
    assert before_state(view({}, dict(name='b')), tagged) == (dict(colour='red'), dict(colour='blue', name='b'))
    known = set(BEFORE_READERS)
    assert all(set(action.changes(view(dict(features=['backups']), dict(
        backup_policy=WEEKLY, size='s', image='i', name='n', kernel=1), policy())))
        <= known for action in ACTION_TYPES.values())
    assert set(ALL_FIELDS) == set(field for action in ACTION_TYPES.values() for field in action.fields)
    assert len(ALL_FIELDS) == len(set(ALL_FIELDS))
