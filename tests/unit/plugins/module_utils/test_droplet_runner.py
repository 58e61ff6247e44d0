# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One Droplet: the plan, what the report says, and planning again after someone else's action."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.oceanops.droplets.plugins.module_utils.action_types import ACTION_TYPES
from ansible_collections.oceanops.droplets.plugins.module_utils.droplet_runner import SingleDropletRun, plan_steps
from ansible_collections.oceanops.droplets.plugins.module_utils.droplet_view import DropletView
from ansible_collections.oceanops.droplets.plugins.module_utils.errors import ActionErrored
from ansible_collections.oceanops.droplets.plugins.module_utils.waiter import WaitTimeout
from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import (
    PENDING, FakeClient, FakeModule, Replies, api_error, droplet, module_params)

SIZES = {'/v2/sizes': dict(sizes=[dict(slug='s-1vcpu-1gb', disk=25), dict(slug='s-2vcpu-4gb', disk=80)])}
DROPLET = '/v2/droplets/101'
ACTIONS = DROPLET + '/actions'


def plan(state, routes=None, **params):
    client = FakeClient(routes)
    params = module_params(**params)
    return plan_steps(DropletView(client, droplet(**state), params), ACTION_TYPES[params['type']], params)


def test_already_done_plans_nothing():
    assert plan(dict(status='off'), type='power_off') == []


def test_not_done_plans_the_action():
    assert plan(dict(status='active'), type='power_off') == [('power_off', None)]


def test_shutdown_with_allow_power_off_plans_a_conditional_power_off():
    assert plan(dict(status='active'), type='shutdown', allow_power_off=True) == [
        ('shutdown', None), ('power_off', 'if_still_on')]


def test_resize_of_a_running_droplet_is_sent_as_it_is_by_default():
    # DigitalOcean's own live tests resize a running Droplet; the API powers it off itself.
    assert plan(dict(status='active'), SIZES, type='resize', size='s-2vcpu-4gb') == [('resize', None)]


def test_resize_of_a_running_droplet_with_opt_in_shuts_down_gracefully_first_and_restores_power():
    steps = plan(dict(status='active'), SIZES, type='resize', size='s-2vcpu-4gb', allow_power_off=True)
    assert steps == [('shutdown', None), ('power_off', 'if_still_on'), ('resize', None), ('power_on', None)]


def test_resize_of_a_stopped_droplet_stays_stopped():
    assert plan(dict(status='off'), SIZES, type='resize', size='s-2vcpu-4gb') == [('resize', None)]


def test_enable_backups_with_a_different_policy_sends_change_backup_policy():
    routes = {'/v2/droplets/101/backups/policy': dict(policy=dict(backup_enabled=True, backup_policy=dict(
        plan='daily', hour=0)))}
    steps = plan(dict(features=['backups']), routes, type='enable_backups', backup_policy=dict(plan='weekly', weekday='SUN'))
    assert steps == [('change_backup_policy', None)]


class Api(FakeClient):
    """A Droplet whose state follows the actions it is sent; ``refusals`` are raised by the first POSTs."""

    def __init__(self, state=None, refusals=(), routes=None):
        self.droplet = droplet(**(state or {}))
        self.finished = []
        self.refusals = list(refusals)
        own = {DROPLET: lambda params: dict(droplet=dict(self.droplet)), ACTIONS: lambda params: dict(actions=[])}
        super().__init__(dict(routes or {}, **own))

    def answer_post(self, path, body, params):
        if self.refusals:
            raise self.refusals.pop(0)
        answer = super().answer_post(path, body, params)
        effect = ACTION_TYPES[body['type']].status_after
        if effect:
            self.droplet['status'] = effect
        if body['type'] == 'resize':
            self.droplet['size_slug'] = body['size']
        done = dict(answer['action'], status=self.final_status(body))
        self.routes['/v2/actions/%s' % done['id']] = dict(action=done)
        return answer

    def final_status(self, body):
        return 'completed'


def run(api, check_mode=False, **params):
    module = FakeModule(api, check_mode=check_mode, **params)
    SingleDropletRun(module).execute()
    return module.report.as_result()


def test_the_result_keeps_the_plan_apart_from_what_ran():
    # The shutdown works, so the conditional power_off is planned but never sent.
    api = Api(dict(status='active'), routes=SIZES)
    result = run(api, type='resize', droplet_id=101, size='s-2vcpu-4gb', allow_power_off=True)
    assert result['planned'] == ['shutdown', 'power_off', 'resize', 'power_on']
    assert [a['type'] for a in result['actions']] == ['shutdown', 'resize', 'power_on']
    assert result['changed'] and 'steps' not in result


def test_check_mode_reports_the_plan_and_sends_nothing():
    api = Api(dict(status='active'))
    result = run(api, check_mode=True, type='power_off', droplet_id=101)
    assert result['changed'] and result['planned'] == ['power_off'] and result['actions'] == []
    assert api.posts == []


def test_an_errored_action_still_reports_changed_and_the_action():
    class Errors(Api):
        def final_status(self, body):
            return 'errored'
    module = FakeModule(Errors(dict(status='active')), type='power_off', droplet_id=101)
    with pytest.raises(ActionErrored):
        SingleDropletRun(module).execute()
    result = module.report.as_result()
    assert result['changed'] and result['actions'][0]['status'] == 'errored'


def test_a_pending_event_is_waited_out_and_the_plan_made_again_not_resent():
    # Two runs read an active Droplet; the other one's power_off wins. This run must not send again.
    api = Api(dict(status='active'), refusals=[api_error(422, PENDING)])
    theirs = dict(id=9, type='power_off', status='in-progress', started_at='2026-11-25T10:00:00Z', resource_id=101)
    listing = Replies(dict(actions=[]), dict(actions=[theirs]), dict(actions=[dict(theirs, status='completed')]))
    api.routes[ACTIONS] = listing
    api.routes['/v2/actions'] = lambda params: dict(actions=[dict(theirs, status='completed')], links={})
    api.routes[DROPLET] = Replies(dict(droplet=droplet(status='active')), dict(droplet=droplet(status='off')))
    result = run(api, type='power_off', droplet_id=101)
    assert len(api.posts) == 1  # the refused one; nothing was sent after the wait
    assert result['changed'] is False and result['actions'] == []
    assert "someone else's action" in result['msg']


def test_two_runs_taking_the_same_snapshot_make_one():
    snapshots = Replies(dict(snapshots=[]), dict(snapshots=[dict(id=5, name='nightly')]))
    api = Api(refusals=[api_error(422, PENDING)], routes={DROPLET + '/snapshots': snapshots})
    result = run(api, type='snapshot', droplet_id=101, name='nightly')
    assert len(api.posts) == 1 and result['changed'] is False
    assert result['snapshot']['id'] == 5


def test_a_post_that_always_meets_a_pending_event_ends_at_the_deadline():
    api = Api(dict(status='active'), refusals=[api_error(422, PENDING)] * 10000)
    module = FakeModule(api, type='power_off', droplet_id=101)
    module.deadline = module.clock.now + 30
    with pytest.raises(WaitTimeout) as caught:
        SingleDropletRun(module).execute()
    assert 'pending event' in str(caught.value)
    assert module.clock.now <= module.deadline
    assert len(api.posts) <= 30  # paced: at least a second between tries
    assert module.report.as_result()['changed'] is False


def test_a_snapshot_someone_took_between_our_read_and_our_post_is_not_taken_again():
    # The review's case: two runs read the Droplet; the other's snapshot finished before our POST.
    theirs = dict(id=9, type='snapshot', status='completed', started_at='2026-11-25T10:00:00Z', resource_id=101)
    snapshots = Replies(dict(snapshots=[]), dict(snapshots=[dict(id=5, name='nightly')]))
    api = Api(routes={DROPLET + '/snapshots': snapshots})
    api.routes[ACTIONS] = lambda params: dict(actions=[theirs])
    api.server_time = 1795600800.0  # our plan's read: the same second the other snapshot started
    result = run(api, type='snapshot', droplet_id=101, name='nightly')
    assert api.posts == [] and result['changed'] is False and result['snapshot']['id'] == 5


# -- in a crowd: a plan from a shared page of GET /v2/droplets ----------------------------------------
def crowd_api(shared_actions, status='off'):
    from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import (
        CrowdCoordinator, droplets_page)
    api = FakeClient({DROPLET: dict(droplet=droplet(status='active'))})  # what the Droplet is now
    api.server_time = 1795600900.0
    api.coordinator = CrowdCoordinator(dict(actions=shared_actions), {1: droplets_page(101, status=status)})
    return api


def test_in_a_crowd_nothing_to_do_by_the_shared_page_costs_no_request_of_its_own():
    api = crowd_api([])
    result = run(api, droplet_id=101, type='power_off')
    assert result['changed'] is False and api.calls == []


def test_in_a_crowd_nothing_to_do_by_the_shared_page_is_checked_against_the_actions_since():
    # The page (10:00:00) showed the Droplet off; someone powered it on at 10:00:04: read it, plan again.
    theirs = dict(id=9, type='power_on', status='completed', resource_id=101, started_at='2026-11-25T10:00:04Z',
                  completed_at='2026-11-25T10:00:06Z')
    api = crowd_api([theirs])
    result = run(api, droplet_id=101, type='power_off', wait=False)
    assert result['changed'] is True and [a['type'] for a in result['actions']] == ['power_off']
    assert ('GET', DROPLET, None) in api.calls
