"""Scripted bad days: each ends in a recovered success or a clear failure, never a hang or a duplicate."""

import threading
import time

import pytest

from module_call import run


def one_droplet(sim, **state):
    return sim.seed(count=1, **state)[0]


def actions_on(sim, droplet_id):
    return sim.stats()['actions'].get(str(droplet_id), {})


@pytest.mark.parametrize('fault', [
    {'method': 'POST', 'path': '/actions$', 'kind': 'status', 'status': 429, 'retry_after': 1},
    {'method': 'POST', 'path': '/actions$', 'kind': 'status', 'status': 429},
    {'method': 'GET', 'path': '^/v2/droplets/', 'kind': 'status', 'status': 429, 'retry_after': 1},
    {'method': 'GET', 'path': '^/v2/droplets/', 'kind': 'status', 'status': 500},
    {'method': 'GET', 'path': '^/v2/droplets/', 'kind': 'status', 'status': 502},
    {'method': 'GET', 'path': '^/v2/actions/', 'kind': 'status', 'status': 503},
    {'method': 'GET', 'path': '^/v2/actions/', 'kind': 'status', 'status': 504},
    {'method': 'POST', 'path': '/actions$', 'kind': 'status', 'status': 500},
    {'method': 'POST', 'path': '/actions$', 'kind': 'status', 'status': 502},
    {'method': 'POST', 'path': '/actions$', 'kind': 'status', 'status': 503},
    {'method': 'POST', 'path': '/actions$', 'kind': 'status', 'status': 504},
    {'method': 'POST', 'path': '/actions$', 'kind': 'reset_before'},
    {'method': 'POST', 'path': '/actions$', 'kind': 'reset_after'},
    {'method': 'GET', 'path': '^/v2/droplets/', 'kind': 'reset_before'},
    {'method': 'GET', 'path': '^/v2/actions/', 'kind': 'reset_after'},
    {'method': 'GET', 'path': '^/v2/droplets/', 'kind': 'truncate'},
    {'method': 'POST', 'path': '/actions$', 'kind': 'truncate'},
    {'method': 'GET', 'path': '^/v2/actions/', 'kind': 'non_json'},
    {'method': 'POST', 'path': '/actions$', 'kind': 'non_json'},
    {'method': 'GET', 'path': '^/v2/droplets/', 'kind': 'delay', 'delay': 2.5},
    {'method': 'POST', 'path': '/actions$', 'kind': 'delay', 'delay': 2.5},
    {'method': 'GET', 'path': '^/v2/actions/', 'kind': 'status', 'status': 404},
], ids=lambda fault: '%s-%s-%s' % (fault['method'], fault['kind'], fault.get('status', fault.get('delay', ''))))
def test_recovers_with_exactly_one_action(sim, fault):
    droplet = one_droplet(sim)
    sim.faults(dict(fault, times=1))
    failed, result = run(sim, droplet_id=droplet['id'], type='power_off', timeout=2)
    assert not failed, result['msg']
    assert result['changed'] and result['droplet']['status'] == 'off'
    assert actions_on(sim, droplet['id']) == {'power_off': 1}


RATE_LIMIT_FAULTS = [
    {'method': 'POST', 'path': '/actions$', 'kind': 'status', 'status': 429, 'retry_after': 1},
    {'method': 'GET', 'path': '^/v2/droplets/', 'kind': 'status', 'status': 429, 'retry_after': 1},
    {'method': 'GET', 'path': '^/v2/actions', 'kind': 'status', 'status': 429, 'retry_after': 1, 'times': 3},
]


@pytest.mark.parametrize('mode', ['lenient', 'strict'])
@pytest.mark.parametrize('fault', RATE_LIMIT_FAULTS, ids=['post', 'get-droplet', 'get-actions-3x'])
def test_429s_recover_with_one_action_in_both_limiter_modes(sim, mode, fault):
    # In strict mode the simulator counts refused requests against the minute (issue 12); a client that
    # retried before Retry-After would keep itself out. Real-limit runs of both modes are in make bench.
    sim.configure(rate_limit={'mode': mode})
    droplet = one_droplet(sim)
    sim.faults(dict(fault, times=fault.get('times', 1)))
    failed, result = run(sim, droplet_id=droplet['id'], type='power_off', timeout=2)
    assert not failed, result['msg']
    assert result['changed'] and actions_on(sim, droplet['id']) == {'power_off': 1}


def test_pending_event_is_waited_for(sim):
    droplet = one_droplet(sim)
    sim.configure(action_seconds={'default': 0.2, 'reboot': 1.5})
    sim.call('POST', '/v2/droplets/%d/actions' % droplet['id'], json={'type': 'reboot'})
    failed, result = run(sim, droplet_id=droplet['id'], type='power_off')
    assert not failed, result['msg']
    assert actions_on(sim, droplet['id']) == {'reboot': 1, 'power_off': 1}
    assert 422 not in [int(code) for code in sim.stats()['status_counts']]


def test_an_errored_action_fails_naming_it(sim):
    droplet = one_droplet(sim)
    sim.faults({'kind': 'action_error', 'type': 'power_off'})
    failed, result = run(sim, droplet_id=droplet['id'], type='power_off')
    assert failed and 'ended errored' in result['msg']
    assert result['action']['status'] == 'errored' and result['changed']
    assert actions_on(sim, droplet['id']) == {'power_off': 1}


def test_an_action_that_never_finishes_times_out(sim):
    droplet = one_droplet(sim)
    sim.faults({'kind': 'action_stuck', 'type': 'power_off'})
    started = time.monotonic()
    failed, result = run(sim, droplet_id=droplet['id'], type='power_off', wait_timeout=3)
    assert failed and time.monotonic() - started >= 3  # wait_timeout runs from the task's start
    assert 'Timed out after 3 s waiting for action' in result['msg'] and 'in-progress' in result['msg']
    # waited_seconds counts from the POST, so the reads before it (slower on a loaded machine) are not in it
    assert result['action']['status'] == 'in-progress' and 2 <= result['waited_seconds'] <= 3
    assert actions_on(sim, droplet['id']) == {'power_off': 1}


def test_droplet_deleted_mid_wait(sim):
    droplet = one_droplet(sim)
    sim.configure(action_seconds={'default': 1.0})
    timer = threading.Timer(0.5, lambda: sim.call('DELETE', '/v2/droplets/%d' % droplet['id']))
    timer.start()
    failed, result = run(sim, droplet_id=droplet['id'], type='power_off')
    timer.join()
    assert failed and 'was deleted' in result['msg']


def test_token_revoked_mid_wait(sim):
    droplet = one_droplet(sim)
    sim.configure(action_seconds={'default': 1.5})
    timer = threading.Timer(0.5, lambda: sim.control('POST', 'tokens', {'revoke': ['dop_v1_system_test_token_0123456789abcdef']}))
    timer.start()
    failed, result = run(sim, droplet_id=droplet['id'], type='power_off')
    timer.join()
    assert failed
    assert result['api_error']['status'] == 401 and 'Unable to authenticate you' in result['msg']
    assert actions_on(sim, droplet['id']) == {'power_off': 1}


def test_retries_give_up_with_the_cause(sim):
    droplet = one_droplet(sim)
    sim.faults({'method': 'GET', 'path': '^/v2/droplets/', 'kind': 'status', 'status': 503, 'times': 10})
    started = time.monotonic()
    failed, result = run(sim, droplet_id=droplet['id'], type='power_off', wait_timeout=30)
    assert failed and 'HTTP 503' in result['msg'] and result['api_error']['request_id']
    assert time.monotonic() - started < 30  # it gave up by itself, it did not hang
    assert actions_on(sim, droplet['id']) == {}


def test_a_post_that_never_gets_through_is_not_sent_twice(sim):
    droplet = one_droplet(sim)
    sim.faults({'method': 'POST', 'path': '/actions$', 'kind': 'status', 'status': 502, 'times': 5})
    failed, result = run(sim, droplet_id=droplet['id'], type='power_off')
    assert failed and 'HTTP 502' in result['msg']
    assert result['api_requests'] == sim.stats()['requests_total']  # a failure still says what it spent
    posts = sim.stats()['requests'].get('POST /v2/droplets/{droplet_id}/actions')
    assert posts == 2  # the first, and one more after reading that nothing was created
    assert actions_on(sim, droplet['id']) == {}


def test_droplet_ids_of_a_thousand_cost_a_post_each_and_at_most_forty_other_requests(sim):
    # Request counts, not pacing: the limits are lifted (1,000 POSTs at 250 a minute are make bench's).
    sim.configure(action_seconds={'default': 2.0}, rate_limit={'per_minute': 100000, 'per_hour': 100000})
    ids = [droplet['id'] for droplet in sim.seed(count=1000, tag='web')]
    failed, result = run(sim, droplet_ids=ids, type='power_off', shared_budget=False)
    assert not failed, result['msg']
    stats = sim.stats()
    assert stats['posts_total'] == 1000 and stats['actions_total'] == 1000
    assert stats['requests_total'] - 1000 <= 40, stats['requests']
    assert all(entry['action']['status'] == 'completed' for entry in result['droplets'])
    before = stats['requests_total']
    failed, again = run(sim, droplet_ids=ids, type='power_off', shared_budget=False)
    assert not failed and not again['changed']
    assert sim.stats()['requests_total'] - before == 5  # ceil(1000 / 200) pages of the account, nothing else


def test_fleet_of_a_thousand_costs_at_most_forty_requests(sim):
    sim.seed(count=1000, tag='web')
    sim.configure(action_seconds={'default': 5.0})
    failed, result = run(sim, tag_name='web', type='power_off')
    assert not failed, result['msg']
    stats = sim.stats()
    assert stats['posts_total'] == 1 and stats['actions_total'] == 1000
    assert stats['requests_total'] <= 40, stats['requests']
    assert result['api_requests'] == stats['requests_total']
    assert len(result['droplets']) == 1000 and all(d['action']['status'] == 'completed' for d in result['droplets'])
    before = stats['requests_total']
    failed, again = run(sim, tag_name='web', type='power_off')
    assert not failed and not again['changed']
    assert sim.stats()['requests_total'] - before == 5  # ceil(1000 / 200) pages, nothing else


def test_fleet_whose_status_lags_seconds_behind_still_costs_at_most_forty_requests(sim):
    # Re-reading 1,000 Droplets costs 5 pages a round: those rounds are spaced 5 times wider.
    sim.seed(count=1000, tag='web')
    sim.configure(action_seconds={'default': 1.0}, status_lag_seconds=5.0)
    failed, result = run(sim, tag_name='web', type='power_off')
    assert not failed, result['msg']
    stats = sim.stats()
    assert stats['requests_total'] <= 40, stats['requests']
    # it waited for the status, not only for the actions: nothing is left on
    for page in range(1, 6):
        listed = sim.call('GET', '/v2/droplets', params=dict(tag_name='web', per_page=200, page=page)).json()
        assert [d['id'] for d in listed['droplets'] if d['status'] != 'off'] == []


def test_no_op_costs_one_request(sim):
    droplet = one_droplet(sim, status='off')
    failed, result = run(sim, droplet_id=droplet['id'], type='power_off')
    assert not failed and not result['changed']
    assert sim.stats()['requests_total'] == 1 and result['api_requests'] == 1


def test_bad_input_sends_nothing_to_the_api(sim):
    from ansible_collections.oceanops.droplets.tests.unit.plugins.modules.test_droplet_action_bad_input import CASES
    assert len(CASES) >= 40
    for args, fragment in CASES:
        failed, result = run(sim, **args)
        assert failed and fragment in result['msg'], (args, result['msg'])
    stats = sim.stats()
    assert stats['requests_total'] == 0 and stats['posts_total'] == 0


def test_unreachable_api_fails_clearly(sim):
    failed, result = run(sim, api_url='http://127.0.0.1:9', droplet_id=1, type='power_off', wait_timeout=5)
    assert failed and 'Could not reach the DigitalOcean API' in result['msg']
