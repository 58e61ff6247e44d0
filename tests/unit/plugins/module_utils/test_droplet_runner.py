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
def crowd_api(shared_actions, status='off', now='active'):
    from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import (
        CrowdCoordinator, droplets_page)
    api = FakeClient({DROPLET: dict(droplet=droplet(status=now))})  # what the Droplet is now
    api.server_time = 1795600900.0
    api.crowd = CrowdCoordinator(dict(actions=shared_actions), {1: droplets_page(101, status=status)})
    return api


def test_in_a_crowd_nothing_to_do_by_the_shared_page_costs_one_read_of_its_own_as_alone():
    api = crowd_api([], now='off')
    result = run(api, droplet_id=101, type='power_off')
    assert result['changed'] is False and api.calls == [('GET', DROPLET, None)]


def test_in_a_crowd_nothing_to_do_by_a_page_the_task_read_itself_needs_no_second_read():
    # No fresh page was stored: this task read page 1 of GET /v2/droplets itself, just now. That is as new as
    # its own GET of the Droplet would be, so it is the no-op's one request (a crowd's no-op play: 1 a host).
    api = crowd_api([], status='off', now='off')
    api.crowd.own_pages = {1}
    result = run(api, droplet_id=101, type='power_off')
    assert result['changed'] is False and api.calls == [] and api.posts == []
    assert result['droplet']['status'] == 'off'


def test_in_a_crowd_nothing_to_do_by_the_shared_page_is_not_trusted_without_an_action_to_show_the_change():
    # A guest shutdown (or a status that lagged) leaves no action: only the Droplet's own read shows it.
    api = crowd_api([], status='off', now='active')
    result = run(api, droplet_id=101, type='power_off', wait=False)
    assert result['changed'] is True and [a['type'] for a in result['actions']] == ['power_off']


def test_in_a_crowd_nothing_to_do_by_the_shared_page_is_checked_against_the_actions_since():
    # The page (10:00:00) showed the Droplet off; someone powered it on at 10:00:04: read it, plan again.
    theirs = dict(id=9, type='power_on', status='completed', resource_id=101, started_at='2026-11-25T10:00:04Z',
                  completed_at='2026-11-25T10:00:06Z')
    api = crowd_api([theirs])
    result = run(api, droplet_id=101, type='power_off', wait=False)
    assert result['changed'] is True and [a['type'] for a in result['actions']] == ['power_off']
    assert ('GET', DROPLET, None) in api.calls


def test_in_a_crowd_a_page_read_within_the_status_lag_of_a_power_action_is_not_planned_from():
    # Their power_off ended at 09:59:58, the page was answered at 10:00:00 still showing active (the status
    # lags): our power_off must not be sent from it; the Droplet's own read after the lag says off.
    theirs = dict(id=9, type='power_off', status='completed', resource_id=101, started_at='2026-11-25T09:59:50Z',
                  completed_at='2026-11-25T09:59:58Z')
    api = crowd_api([theirs], status='active', now='off')
    result = run(api, droplet_id=101, type='power_off')
    assert api.posts == [] and result['changed'] is False and result['droplet']['status'] == 'off'


# -- a 422 for the Droplet's state: read it again and plan once more -----------------------------------
ALREADY_OFF = 'Droplet is already powered off.'


def test_a_refusal_for_the_state_reads_the_droplet_and_plans_once_more_instead_of_failing():
    # The guest shut itself down after our read (no action anywhere): the API says so, the new plan is empty.
    api = Api(dict(status='active'), refusals=[api_error(422, ALREADY_OFF)])
    api.routes[DROPLET] = Replies(dict(droplet=droplet(status='active')), dict(droplet=droplet(status='off')))
    result = run(api, type='power_off', droplet_id=101)
    assert len(api.posts) == 1 and result['changed'] is False and result['actions'] == []
    assert ALREADY_OFF in result['msg']


def test_a_refusal_waits_for_the_status_to_follow_an_action_that_just_ended():
    # Someone else's power_off ended a second before our read; the status still said active.
    api = Api(dict(status='active'), refusals=[api_error(422, ALREADY_OFF)])
    api.server_time = 1795600801.0
    theirs = dict(id=9, type='power_off', status='completed', resource_id=101, started_at='2026-11-25T10:00:00Z',
                  completed_at='2026-11-25T10:00:00Z')
    api.routes[ACTIONS] = Replies(dict(actions=[theirs]))
    api.routes[DROPLET] = Replies(*[dict(droplet=droplet(status=status)) for status in ('active', 'active', 'off')])
    result = run(api, type='power_off', droplet_id=101)
    assert len(api.posts) == 1 and result['changed'] is False and result['droplet']['status'] == 'off'


def test_a_second_refusal_for_the_state_fails_with_it():
    api = Api(dict(status='active'), refusals=[api_error(422, ALREADY_OFF)] * 2)
    module = FakeModule(api, type='power_off', droplet_id=101)
    with pytest.raises(Exception) as caught:
        SingleDropletRun(module).execute()
    assert getattr(caught.value, 'status', None) == 422 and len(api.posts) == 2


def test_a_refusal_of_a_type_without_an_already_done_rule_fails_at_once():
    api = Api(dict(status='off'), refusals=[api_error(422, 'Droplet is already powered off.')])
    module = FakeModule(api, type='reboot', droplet_id=101)
    with pytest.raises(Exception) as caught:
        SingleDropletRun(module).execute()
    assert getattr(caught.value, 'status', None) == 422 and len(api.posts) == 1
