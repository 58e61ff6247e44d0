"""No duplicates and no lies: what the runners do when the API's answer is lost, late or contested."""

import threading

from hostile_api import Reply, applied_later, pending_event_forever, rate_limited
from hostile_checks import api, run_checked, run_in_subprocess  # noqa: F401 pylint: disable=unused-import
from module_call import run


def test_a_post_answered_504_and_applied_seconds_later_runs_once(api):
    # The review's run: the module resent at once and two reboots ran, reported as one.
    droplet = api.seed()[0]
    api.on('POST', '/actions$', applied_later(2.0), times=1)
    failed, result, seconds = run_checked(api, droplet_id=droplet['id'], type='reboot', wait_timeout=30)
    assert not failed, result['msg']
    assert len(api.posts()) == 1 and len(api.actions) == 1
    assert result['changed'] and result['action']['id'] in api.actions


def test_an_older_action_of_the_same_type_and_second_is_not_taken_for_ours(api):
    # The review's run: after a 503, a reboot someone started within the same second was adopted.
    droplet = api.seed()[0]
    older = api.start_action(droplet['id'], 'reboot')
    api.on('POST', '/actions$', rate_limited(status=503), times=1)
    failed, result, seconds = run_checked(api, droplet_id=droplet['id'], type='reboot', wait_timeout=40)
    assert not failed, result['msg']
    assert result['action']['id'] != older['id']
    assert len(api.posts()) == 2 and len(api.actions) == 2  # resent once, after a window that showed nothing


def test_a_pending_event_that_never_clears_ends_within_the_budget(api):
    # 220 POSTs and 440 GETs in 30 s, wait_timeout ignored.
    droplet = api.seed()[0]
    api.on('POST', '/actions$', pending_event_forever())
    failed, result, seconds = run_checked(api, droplet_id=droplet['id'], type='power_off', wait_timeout=4)
    assert failed and 'pending event' in result['msg']
    assert len(api.posts()) <= 5 and result['changed'] is False and result['actions'] == []


def test_the_fleet_wait_stops_at_the_deadline_on_endless_action_pages(api):
    droplets = api.seed(count=2, tag='web')
    droplets[1]['status'] = 'off'  # one POST each, then the shared wait reads /v2/actions
    api.action_seconds = 60

    def endless_actions(hostile, request):
        # Page after page of other actions, never ours, never an end.
        others = [dict(id=10 ** 6 + i, type='reboot', status='completed', resource_id=1) for i in range(3)]
        link = '%s/v2/actions?page=%d&per_page=200' % (hostile.base, int(request.query.get('page', 1)) + 1)
        return Reply(200, dict(actions=others, links=dict(pages=dict(next=link))))
    api.on('GET', '^/v2/actions$', endless_actions)
    failed, result, seconds = run_checked(api, tag_name='web', type='power_off', wait_timeout=3)
    assert failed and result['changed'] and len(result['actions']) == 1
    assert len(api.requests) < 100


def _at_once(sim, count, **args):
    """Start ``count`` runs of the module in their own processes at the same moment."""
    results = [None] * count

    def one(index):
        results[index] = run_in_subprocess(sim, **args)
    threads = [threading.Thread(target=one, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [(failed, result) for failed, result, _seconds, _peak in results]


def test_two_runs_powering_off_one_droplet_send_one_action(sim):
    droplet = sim.seed(count=1)[0]
    sim.configure(action_seconds={'default': 1.0}, status_lag_seconds=0.05)
    outcomes = _at_once(sim, 2, droplet_id=droplet['id'], type='power_off', wait_timeout=30)
    assert all(not failed for failed, _result in outcomes), outcomes
    assert sim.stats()['actions'][str(droplet['id'])] == {'power_off': 1}
    assert sorted(result['changed'] for _failed, result in outcomes) == [False, True]


def test_two_runs_taking_the_same_snapshot_make_one(sim):
    droplet = sim.seed(count=1)[0]
    sim.configure(action_seconds={'default': 1.0}, status_lag_seconds=0.05)
    outcomes = _at_once(sim, 2, droplet_id=droplet['id'], type='snapshot', name='nightly', wait_timeout=30)
    assert all(not failed for failed, _result in outcomes), outcomes
    snapshots = sim.call('GET', '/v2/droplets/%d/snapshots' % droplet['id']).json()['snapshots']
    assert [s['name'] for s in snapshots] == ['nightly']
    assert len(set(result['snapshot']['id'] for _failed, result in outcomes)) == 1


def test_two_runs_renaming_one_droplet_send_one_action(sim):
    droplet = sim.seed(count=1)[0]
    sim.configure(action_seconds={'default': 1.0}, status_lag_seconds=0.05)
    outcomes = _at_once(sim, 2, droplet_id=droplet['id'], type='rename', name='renamed-once', wait_timeout=30)
    assert all(not failed for failed, _result in outcomes), outcomes
    assert sim.stats()['actions'][str(droplet['id'])] == {'rename': 1}


def test_a_fleet_whose_second_post_is_refused_says_changed_and_lists_the_first(sim):
    droplets = sim.seed(count=3, tag='web')
    sim.control('PATCH', 'droplets/%d' % droplets[2]['id'], {'status': 'off'})  # one POST each
    sim.faults({'method': 'POST', 'path': '^/v2/droplets/%d/actions$' % droplets[1]['id'], 'kind': 'status',
                'status': 422})
    failed, result = run(sim, tag_name='web', type='power_off')
    assert failed and result['changed'] is True
    assert [a['resource_id'] for a in result['actions']] == [droplets[0]['id']]
