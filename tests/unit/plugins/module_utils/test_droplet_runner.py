# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning steps for one Droplet and sending a POST exactly once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import DigitalOceanAPIError
from ansible_collections.oceanops.droplets.plugins.module_utils.action_types import ACTION_TYPES, Refused
from ansible_collections.oceanops.droplets.plugins.module_utils.droplet_runner import (
    SingleDropletRun, find_droplet, start_action)
from ansible_collections.oceanops.droplets.plugins.module_utils.droplet_view import DropletView
from ansible_collections.oceanops.droplets.plugins.module_utils.waiter import Waiter
from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClient, FakeClock, droplet

SIZES = {'/v2/sizes': dict(sizes=[dict(slug='s-1vcpu-1gb', disk=25), dict(slug='s-2vcpu-4gb', disk=80)])}


class FakeModule:
    def __init__(self, client, params):
        self.client = client
        self.waiter = Waiter(client)
        self.deadline = 10 ** 9
        self.params = dict(type=None, size=None, disk=None, image=None, name=None, kernel=None, backup_policy=None,
                           allow_power_off=False, graceful_timeout=60, wait=True)
        self.params.update(params)


def plan(state, routes=None, **params):
    client = FakeClient(routes)
    run = SingleDropletRun(FakeModule(client, params))
    return run.plan(DropletView(client, droplet(**state), run.params), ACTION_TYPES[params['type']])


def test_already_done_plans_nothing():
    assert plan(dict(status='off'), type='power_off') == []


def test_not_done_plans_the_action():
    assert plan(dict(status='active'), type='power_off') == [('power_off', None)]


def test_shutdown_with_allow_power_off_plans_a_conditional_power_off():
    assert plan(dict(status='active'), type='shutdown', allow_power_off=True) == [
        ('shutdown', None), ('power_off', 'if_still_on')]


def test_resize_of_a_running_droplet_is_refused_without_opt_in():
    with pytest.raises(Refused) as caught:
        plan(dict(status='active'), SIZES, type='resize', size='s-2vcpu-4gb')
    assert 'allow_power_off' in str(caught.value)


def test_resize_of_a_running_droplet_with_opt_in_restores_power():
    steps = plan(dict(status='active'), SIZES, type='resize', size='s-2vcpu-4gb', allow_power_off=True)
    assert steps == [('shutdown', None), ('power_off', 'if_still_on'), ('resize', None), ('power_on', None)]


def test_resize_of_a_stopped_droplet_stays_stopped():
    assert plan(dict(status='off'), SIZES, type='resize', size='s-2vcpu-4gb') == [('resize', None)]


def test_enable_backups_with_a_different_policy_sends_change_backup_policy():
    routes = {'/v2/droplets/101/backups/policy': dict(policy=dict(backup_enabled=True, backup_policy=dict(
        plan='daily', hour=0)))}
    steps = plan(dict(features=['backups']), routes, type='enable_backups', backup_policy=dict(plan='weekly', weekday='SUN'))
    assert steps == [('change_backup_policy', None)]


def test_find_droplet_by_name_fails_when_ambiguous():
    client = FakeClient({'/v2/droplets': dict(droplets=[dict(id=1), dict(id=2)])})
    with pytest.raises(Refused) as caught:
        find_droplet(client, droplet_name='web')
    assert 'ids 1, 2' in str(caught.value)
    assert client.calls == [('GET', '/v2/droplets', dict(name='web'))]


def test_find_droplet_by_id_not_found():
    with pytest.raises(Refused) as caught:
        find_droplet(FakeClient(), droplet_id=5)
    assert 'Droplet 5 was not found' in str(caught.value)


class FlakyPostClient(FakeClient):
    """The first POST fails with an unknown outcome; ``recent`` is what the Droplet's action list shows then."""

    def __init__(self, recent):
        super(FlakyPostClient, self).__init__({'/v2/droplets/101/actions': dict(actions=recent)})
        self.failures = 1

    def post(self, path, body, params=None):
        if self.failures:
            self.failures -= 1
            self.posts.append((path, body, params))
            raise DigitalOceanAPIError('502', status=502, method='POST', path=path, outcome_unknown=True)
        return super(FlakyPostClient, self).post(path, body, params)


def test_lost_post_that_was_carried_out_is_adopted_not_resent():
    recent = [dict(id=77, type='reboot', status='in-progress', started_at='2026-11-25T10:00:00Z')]
    client = FlakyPostClient(recent)
    action = start_action(client, Waiter(client), 101, dict(type='reboot'), 10 ** 9)
    assert action['id'] == 77
    assert len(client.posts) == 1


def test_lost_post_that_was_not_carried_out_is_sent_once_more():
    recent = [dict(id=70, type='reboot', status='completed', started_at='2020-01-01T00:00:00Z')]
    client = FlakyPostClient(recent)
    client.server_time = 1764064800.0  # 2025-11-25, long after the old reboot
    action = start_action(client, Waiter(client), 101, dict(type='reboot'), 10 ** 9)
    assert action['status'] == 'in-progress'
    assert len(client.posts) == 2


class PendingEventClient(FakeClient):
    def __init__(self):
        clock = FakeClock()
        super(PendingEventClient, self).__init__({
            '/v2/droplets/101': dict(droplet=droplet(locked=False)),
            '/v2/droplets/101/actions': dict(actions=[]),
        })
        self.clock = clock
        self.rejections = 1

    def post(self, path, body, params=None):
        if self.rejections:
            self.rejections -= 1
            self.posts.append((path, body, params))
            raise DigitalOceanAPIError('422', status=422, api_message='Droplet already has a pending event.',
                                       method='POST', path=path)
        return super(PendingEventClient, self).post(path, body, params)


def test_pending_event_waits_for_the_droplet_then_sends_again():
    client = PendingEventClient()
    waiter = Waiter(client, clock=client.clock, sleep=client.clock.sleep)
    action = start_action(client, waiter, 101, dict(type='power_on'), client.clock.now + 60)
    assert action['type'] == 'power_on'
    assert len(client.posts) == 2
    assert ('GET', '/v2/droplets/101', None) in client.calls


class LatePostClient(FakeClient):
    """The POST times out, and the action it made shows up only a moment later."""

    def __init__(self):
        super(LatePostClient, self).__init__({'/v2/droplets/101/actions': self.recent})
        self.timeout = 2
        self.reads = 0

    def recent(self, params):
        self.reads += 1
        late = [dict(id=88, type='reboot', status='in-progress', started_at='2026-11-25T10:00:00Z')]
        return dict(actions=late if self.reads > 1 else [])

    def post(self, path, body, params=None):
        self.posts.append((path, body, params))
        raise DigitalOceanAPIError('timeout', method='POST', path=path, outcome_unknown=True)


def test_a_post_without_answer_is_looked_for_again_before_it_is_resent():
    client = LatePostClient()
    clock = FakeClock()
    action = start_action(client, Waiter(client, clock=clock, sleep=clock.sleep), 101, dict(type='reboot'), 10 ** 9)
    assert action['id'] == 88
    assert len(client.posts) == 1
    assert clock.sleeps == [2]


def test_an_older_action_of_the_same_type_is_not_mistaken_for_ours():
    # Same second, same type, but a newer action of another type came after it: it is not ours.
    recent = [dict(id=72, type='power_on', status='completed', started_at='2026-11-25T10:00:00Z'),
              dict(id=71, type='power_off', status='completed', started_at='2026-11-25T10:00:00Z')]
    client = FlakyPostClient(recent)
    client.server_time = 1795600800.0  # 2026-11-25T10:00:00Z
    action = start_action(client, Waiter(client), 101, dict(type='power_off'), 10 ** 9)
    assert action['id'] not in (71, 72)
    assert len(client.posts) == 2
