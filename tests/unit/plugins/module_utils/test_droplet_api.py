# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding Droplets and sending an action so that it runs at most once, whatever the answer."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.oceanops.droplets.plugins.module_utils.droplet_api import (
    RECONCILE_WINDOW_SECONDS, ActionMarker, Busy, StateRefused, find_droplet, start_action, wait_out_others)
from ansible_collections.oceanops.droplets.plugins.module_utils.errors import OutcomeUnknown, Refused
from ansible_collections.oceanops.droplets.plugins.module_utils.task_report import TaskReport
from ansible_collections.oceanops.droplets.plugins.module_utils.waiter import WaitTimeout
from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import (
    PENDING, CrowdCoordinator, FakeClient, FakeClock, Replies, api_error, droplet, droplets_page, plan_read, waiter_for)
from ansible_collections.oceanops.droplets.plugins.module_utils.timing import SHARED_PLAN_MAX_AGE

ACTIONS = '/v2/droplets/101/actions'


def action(action_id, action_type='reboot', status='completed', started='2026-11-25T10:00:00Z'):
    return dict(id=action_id, type=action_type, status=status, started_at=started, resource_id=101)


class ScriptedPosts(FakeClient):
    """POSTs answered from a script: an exception is raised, None means "accept"."""

    def __init__(self, routes, *outcomes):
        super().__init__(routes)
        self.outcomes = list(outcomes)

    def answer_post(self, path, body, params):
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome
        return super().answer_post(path, body, params)


def send(client, deadline_in=600, clock=None):
    clock = clock or FakeClock()
    report = TaskReport()
    result = start_action(client, waiter_for(client, clock), 101, dict(type='reboot'),
                          clock.now + deadline_in, report)
    return result, report, clock


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


def test_an_accepted_post_is_recorded_in_the_report_at_once():
    client = FakeClient({ACTIONS: dict(actions=[])})
    sent, report = send(client)[:2]
    assert report.actions == [sent] and report.changed


def test_someone_elses_running_action_is_found_before_the_post():
    client = FakeClient({ACTIONS: dict(actions=[action(9, 'power_off', 'in-progress')])})
    with pytest.raises(Busy) as caught:
        send(client)
    assert [a['id'] for a in caught.value.running] == [9]
    assert client.posts == []


def test_a_pending_event_answer_is_busy_not_a_failure():
    client = ScriptedPosts({ACTIONS: dict(actions=[])}, api_error(422, PENDING))
    with pytest.raises(Busy) as caught:
        send(client)
    assert caught.value.running == []


def test_a_lost_post_that_was_carried_out_is_adopted_not_resent():
    ours = action(77, status='in-progress', started='2026-11-25T10:00:01Z')
    client = ScriptedPosts({ACTIONS: Replies(dict(actions=[]), dict(actions=[ours]))},
                           api_error(502, outcome_unknown=True))
    sent, report = send(client)[:2]
    assert sent['id'] == 77 and report.actions == [ours]
    assert len(client.posts) == 1


def test_a_post_applied_seconds_after_a_504_is_waited_for_not_resent():
    # The review's bug: the module resent at once and two reboots ran. The action shows on the third look.
    late = action(88, status='in-progress', started='2026-11-25T10:00:03Z')
    before = dict(actions=[action(70, started='2026-11-25T09:00:00Z')])
    client = ScriptedPosts({ACTIONS: Replies(before, before, before, dict(actions=[late] + before['actions']))},
                           api_error(504, outcome_unknown=True))
    sent, clock = send(client)[::2]
    assert sent['id'] == 88
    assert len(client.posts) == 1
    assert sum(clock.sleeps) < RECONCILE_WINDOW_SECONDS


def test_an_older_action_of_the_same_type_and_second_is_never_adopted():
    # The review's bug: after a 503, an older reboot started within the same second was taken for ours.
    older = action(71, started='2026-11-25T10:00:00Z')
    client = ScriptedPosts({ACTIONS: dict(actions=[older])}, api_error(503, outcome_unknown=True))
    sent, report, clock = send(client)
    assert sent['id'] != 71
    assert len(client.posts) == 2  # sent again only after the whole window showed nothing
    assert sum(clock.sleeps) >= RECONCILE_WINDOW_SECONDS


def test_a_post_lost_twice_is_not_sent_a_third_time():
    lost = api_error(504, outcome_unknown=True)
    client = ScriptedPosts({ACTIONS: dict(actions=[])}, lost, lost, lost)
    with pytest.raises(OutcomeUnknown) as caught:
        send(client)
    assert len(client.posts) == 2
    assert 'not sent again' in str(caught.value)


def test_no_resend_when_the_deadline_ends_inside_the_window():
    client = ScriptedPosts({ACTIONS: dict(actions=[])}, api_error(504, outcome_unknown=True))
    with pytest.raises(OutcomeUnknown):
        send(client, deadline_in=5)
    assert len(client.posts) == 1


def applied_after_the_window(clock):
    """A Droplet's action list that shows nothing up to the reconcile window's last look, then the late action."""
    late = action(90, status='in-progress', started='2026-11-25T10:00:30Z')
    end_of_window = clock.now + RECONCILE_WINDOW_SECONDS
    looks_after_window = []

    def listing(params):
        if clock.now >= end_of_window:
            looks_after_window.append(clock.now)
        return dict(actions=[late] if len(looks_after_window) > 1 else [])
    return listing


def test_a_resend_adopts_the_first_post_when_it_shows_up_late_after_all():
    clock = FakeClock()
    client = ScriptedPosts({ACTIONS: applied_after_the_window(clock)}, api_error(504, outcome_unknown=True))
    sent = send(client, clock=clock)[0]
    assert sent['id'] == 90 and len(client.posts) == 1


def test_a_client_error_is_raised_as_it_is():
    client = ScriptedPosts({ACTIONS: dict(actions=[])}, api_error(422, 'You specified an invalid size for Droplet resize.'))
    with pytest.raises(Exception) as caught:
        send(client)
    assert caught.value.status == 422 and len(client.posts) == 1


def test_a_refusal_for_the_droplets_state_is_raised_for_a_new_plan():
    client = ScriptedPosts({ACTIONS: dict(actions=[])}, api_error(422, 'Droplet is already powered off.'))
    with pytest.raises(StateRefused) as caught:
        send(client)
    assert caught.value.error.status == 422 and len(client.posts) == 1


def test_a_post_to_a_deleted_droplet_fails_as_not_found_as_its_read_would():
    client = ScriptedPosts({ACTIONS: dict(actions=[])}, api_error(404, 'The resource you were accessing could not be found.'))
    with pytest.raises(Refused) as caught:
        send(client)
    assert 'Droplet 101 was not found (HTTP 404' in str(caught.value)


def test_the_marker_takes_nothing_from_before_for_new():
    marker = ActionMarker([action(5, started='2026-11-25T10:00:00Z')])
    assert not marker.is_new(action(5, started='2026-11-25T10:00:00Z'))
    assert not marker.is_new(action(4, started='2026-11-25T09:59:59Z'))  # older, beyond the listed page
    assert marker.is_new(action(6, started='2026-11-25T10:00:00Z'))
    assert not marker.is_new(dict(id=7, type='reboot'))  # no start time: cannot be proven ours


def test_waiting_for_someone_elses_action_names_it_as_such():
    clock = FakeClock()
    running = action(9, 'power_off', 'in-progress')
    client = FakeClient({'/v2/actions': dict(actions=[running], links={}), '/v2/actions/9': dict(action=running)})
    with pytest.raises(WaitTimeout) as caught:
        wait_out_others(client, waiter_for(client, clock), 101, Busy(101, [running]),
                        clock.now + 30, clock.now)
    assert "someone else's" in str(caught.value) and 'power_off' in str(caught.value)


def test_a_pending_event_with_nothing_visible_pauses_then_reads_again():
    clock = FakeClock()
    client = FakeClient({ACTIONS: dict(actions=[]), '/v2/droplets/101': dict(droplet=droplet())})
    found = wait_out_others(client, waiter_for(client, clock), 101, Busy(101, []), clock.now + 30,
                            clock.now)
    assert found.value['id'] == 101 and clock.sleeps and clock.sleeps[0] >= 1.0


def test_an_action_someone_started_since_the_plan_read_means_planning_again():
    theirs = action(9, 'snapshot', 'completed', started='2026-11-25T10:00:00Z')
    client = FakeClient({ACTIONS: dict(actions=[theirs])})
    clock = FakeClock()
    with pytest.raises(Busy) as caught:
        start_action(client, waiter_for(client, clock), 101, dict(type='snapshot', name='n'),
                     clock.now + 60, TaskReport(), plan=plan_read(1795600800.0))  # 2026-11-25T10:00:00Z
    assert caught.value.finished == [theirs] and client.posts == []
    # Planned again with that action known: it no longer stops the POST.
    start_action(client, waiter_for(client, clock), 101, dict(type='snapshot', name='n'),
                 clock.now + 60, TaskReport(), plan=plan_read(1795600800.0), seen={9})
    assert len(client.posts) == 1


def plan_from(client, droplet_id=101, droplet_name=None, may_share=True):
    clock = FakeClock()
    return waiter_for(client, clock).reads.droplet_for_plan(
        lambda: find_droplet(client, droplet_id if droplet_name is None else None, droplet_name),
        droplet_id if droplet_name is None else None, clock.now + 60, may_share)


def test_in_a_crowd_the_plan_comes_from_the_shared_droplet_list_with_the_time_of_its_answer():
    client = FakeClient()
    client.crowd = CrowdCoordinator(None, {1: droplets_page(100, 101)}, answered=1234.5)
    read = plan_from(client)
    assert read.value['id'] == 101 and read.server_time == 1795600800.0 and read.answered_at == 1234.5 and read.shared
    assert client.calls == [] and client.crowd.droplet_pages_read == [(1, SHARED_PLAN_MAX_AGE)]
    # Pages of their own: the re-reads after actions end refresh theirs every round, and each refresh
    # would otherwise make the next look before a POST read the action list again.
    assert client.crowd.kinds == ['plan-droplets']


def test_a_page_of_the_list_the_task_read_itself_is_its_own_read_not_a_shared_one():
    client = FakeClient()
    client.crowd = CrowdCoordinator(None, {1: droplets_page(100, 101)}, answered=1234.5, own_pages={1})
    read = plan_from(client)
    assert read.value['id'] == 101 and read.server_time == 1795600800.0 and read.answered_at == 1234.5
    assert not read.shared and client.calls == []


def test_the_shared_list_is_read_first_at_the_page_that_listed_the_droplet_last():
    client = FakeClient()
    pages = {1: droplets_page(1, links=dict(pages=dict(next='yes'))), 2: droplets_page(2, links=dict(pages=dict(next='yes'))),
             3: droplets_page(101)}
    client.crowd = CrowdCoordinator(None, pages)
    assert plan_from(client).value['id'] == 101
    assert client.crowd.droplet_pages_read == [(3, SHARED_PLAN_MAX_AGE)]  # pages 1 and 2 not made fresh


def test_stored_pages_after_the_one_that_listed_the_droplet_are_not_looked_at():
    # Every crowd plan and re-read looks at the stored pages: those after the page that listed the Droplet matter
    # only when it is no longer there, so they are not opened and parsed for each fork.
    client = FakeClient()
    pages = dict((number, droplets_page(number * 10, links=dict(pages=dict(next='yes')))) for number in (1, 2, 4, 5))
    pages[3] = droplets_page(101, links=dict(pages=dict(next='yes')))
    client.crowd = CrowdCoordinator(None, pages)
    assert plan_from(client).value['id'] == 101
    assert client.crowd.peeked == [1, 2, 3] and client.crowd.droplet_pages_read == [(3, SHARED_PLAN_MAX_AGE)]


def test_a_stored_page_that_did_not_list_the_droplet_is_not_read_again_for_it():
    # Bench scenario 7, 1,000 hosts with nothing to do (f1693c2): the first fork whose Droplet was on page 2 read
    # page 1 again (stale by then) before page 2: 1,006 requests for 1,000 no-ops, where each costs one.
    client = FakeClient({'/v2/droplets': dict(droplets=[droplet(id=101)], links=dict(pages={}), meta=dict(total=201))})
    client.crowd = CrowdCoordinator(None, {1: droplets_page(1, 2, links=dict(pages=dict(next='yes')))}, own_pages={2})
    client.server_time = 1795600900.0
    read = plan_from(client)
    assert read.value['id'] == 101 and not read.shared  # page 2, which this fork read itself
    assert client.crowd.droplet_pages_read == [(2, SHARED_PLAN_MAX_AGE)]


@pytest.mark.parametrize('why', ['alone', 'no done rule', 'no server time', 'by name', 'page before our change'])
def test_the_plan_reads_the_droplet_itself(why):
    client = FakeClient({'/v2/droplets/101': dict(droplet=droplet()), '/v2/droplets': dict(droplets=[droplet()])})
    client.server_time = 1795600900.0
    if why != 'alone':
        client.crowd = CrowdCoordinator(None, {1: droplets_page(101, server_time=None)
                                               if why == 'no server time' else droplets_page(101)},
                                        predates=why == 'page before our change')
    read = plan_from(client, may_share=why != 'no done rule', droplet_name='web-01' if why == 'by name' else None)
    assert read.value['id'] == 101 and read.server_time == 1795600900.0 and not read.shared
    assert [call[1] for call in client.calls] == ['/v2/droplets' if why == 'by name' else '/v2/droplets/101']


def test_in_a_crowd_the_look_before_the_post_is_newer_than_the_page_the_plan_came_from():
    client = FakeClient({ACTIONS: dict(actions=[])})
    client.crowd = CrowdCoordinator(dict(actions=[]))
    clock = FakeClock()
    start_action(client, waiter_for(client, clock), 101, dict(type='power_off'), clock.now + 60,
                 TaskReport(), plan=plan_read(1795600800.0, 1234.5))
    assert client.crowd.not_befores == [1234.5] and len(client.posts) == 1


def test_a_shared_look_that_does_not_reach_back_to_the_plan_reads_the_droplets_own_list():
    # 200 newer actions of others fill the shared page: one of this Droplet's since the plan may be on page 2.
    newer = [dict(action(500 + i, started='2026-11-25T10:00:10Z'), resource_id=900 + i) for i in range(3)]
    theirs = action(9, 'power_off', 'completed', started='2026-11-25T10:00:05Z')
    client = FakeClient({ACTIONS: dict(actions=[theirs])})
    client.crowd = CrowdCoordinator(dict(actions=newer, links=dict(pages=dict(next='yes'))))
    clock = FakeClock()
    with pytest.raises(Busy) as caught:
        start_action(client, waiter_for(client, clock), 101, dict(type='power_off'),
                     clock.now + 60, TaskReport(), plan=plan_read(1795600800.0))  # 10:00:00Z
    assert caught.value.finished == [theirs] and client.posts == []
    assert ('GET', ACTIONS, dict(per_page=20)) in client.calls


def test_a_shared_look_that_reaches_back_to_the_plan_is_enough():
    older = dict(action(400, started='2026-11-25T09:59:00Z'), resource_id=900)
    client = FakeClient({ACTIONS: dict(actions=[])})
    client.crowd = CrowdCoordinator(dict(actions=[older], links=dict(pages=dict(next='yes'))))
    clock = FakeClock()
    start_action(client, waiter_for(client, clock), 101, dict(type='power_off'), clock.now + 60,
                 TaskReport(), plan=plan_read(1795600800.0))
    assert [call[0] for call in client.calls] == ['POST']


def test_an_action_that_started_before_the_plan_read_but_ended_after_it_means_planning_again():
    # The plan's read showed the Droplet while someone's power_off ran; by the POST it had ended.
    theirs = dict(action(9, 'power_off', 'completed', started='2026-11-25T09:59:50Z'),
                  completed_at='2026-11-25T10:00:04Z')
    client = FakeClient({ACTIONS: dict(actions=[theirs])})
    clock = FakeClock()
    with pytest.raises(Busy) as caught:
        start_action(client, waiter_for(client, clock), 101, dict(type='power_off'),
                     clock.now + 60, TaskReport(), plan=plan_read(1795600800.0))  # 10:00:00Z
    assert caught.value.finished == [theirs] and client.posts == []


def test_in_a_crowd_the_look_before_the_post_is_the_shared_page_not_a_request_of_its_own():
    shared = dict(actions=[action(40, 'power_off', 'completed', started='2026-11-25T10:00:00Z'),
                           dict(action(41, 'reboot', 'completed'), resource_id=202)])
    client = FakeClient({ACTIONS: dict(actions=[])})
    client.crowd = CrowdCoordinator(shared)
    sent = send(client)[0]
    assert client.calls == [('POST', ACTIONS, dict(type='reboot'))]  # no GET of the Droplet's actions
    assert client.crowd.asked == [(1, 2.0)] and sent['id'] not in (40, 41)


def test_in_a_crowd_a_running_action_on_the_shared_page_is_someone_elses():
    shared = dict(actions=[action(40, 'power_off', 'in-progress')])
    client = FakeClient({ACTIONS: dict(actions=[])})
    client.crowd = CrowdCoordinator(shared)
    with pytest.raises(Busy) as caught:
        send(client)
    assert [a['id'] for a in caught.value.running] == [40] and client.posts == []


def test_in_a_crowd_the_look_before_a_resend_is_the_droplets_own_list():
    # A shared page read before the lost POST cannot show that POST applied late: a resend must look afresh.
    clock = FakeClock()
    client = ScriptedPosts({ACTIONS: applied_after_the_window(clock)}, api_error(504, outcome_unknown=True))
    client.crowd = CrowdCoordinator(dict(actions=[]))
    sent = send(client, clock=clock)[0]
    assert sent['id'] == 90 and len(client.posts) == 1
    assert client.crowd.asked == [(1, 2.0)]  # the shared page served the first look only
