"""A crowd never changes a result (issue 17): each event beside the same task alone, with real processes.

The simulator runs in real time (actions, status lag), so these tests use real time; none asserts
how long anything took. Each case: twin Droplets, a crowd member that stored shared pages before the
event, the event on both twins, then the task in the crowd (a process of its own) and alone at once.
"""

import threading
import time

import pytest

from crowd_oracle import crowd, other_tool, outcome, read_shared_pages, wait_for_status
from hostile_checks import run_in_subprocess
from module_call import run


def _side_by_side(sim, in_crowd, alone, **args):
    """Run the task on ``in_crowd`` (sharing) and on ``alone`` (shared_budget: false) at the same moment."""
    args.setdefault('wait_timeout', 20)
    args.setdefault('timeout', 5)
    results = {}

    def task(key, droplet_id, **extra):
        results[key] = run_in_subprocess(sim, droplet_id=droplet_id, **dict(args, **extra))[:2]
    threads = [threading.Thread(target=task, args=('crowd', in_crowd)),
               threading.Thread(target=task, args=('alone', alone), kwargs=dict(shared_budget=False))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(0.2)  # the status lags the last action by 0.05 s here
    return outcome(sim, in_crowd, *results['crowd']), outcome(sim, alone, *results['alone'])


def test_after_a_guest_shutdown_with_no_action_power_on_in_a_crowd_powers_on_as_alone(sim, tmp_path, monkeypatch):
    filler, in_crowd, alone = [droplet['id'] for droplet in sim.seed(count=3)]
    member = crowd(sim, tmp_path, monkeypatch)
    try:
        read_shared_pages(sim, filler)  # the shared page lists both twins active
        for droplet_id in (in_crowd, alone):  # shutdown -h now inside the guest: status off, no action anywhere
            sim.control('PATCH', 'droplets/%d' % droplet_id, dict(status='off'))
        crowded, lone = _side_by_side(sim, in_crowd, alone, type='power_on')
    finally:
        member.stop()
    assert lone == dict(failed=False, changed=True, sent=['power_on'], status='active', why=None)
    assert crowded == lone


@pytest.mark.parametrize('action_type', ['power_on', 'power_off'])
def test_a_page_read_in_the_status_lag_of_someone_elses_power_off_changes_no_result(
        sim, tmp_path, monkeypatch, action_type):
    filler, in_crowd, alone = [droplet['id'] for droplet in sim.seed(count=3)]
    member = crowd(sim, tmp_path, monkeypatch)
    try:
        sim.configure(status_lag_seconds=3.0)
        for droplet_id in (in_crowd, alone):
            other_tool(sim, droplet_id, 'power_off')
        time.sleep(1.2)  # the API's times have one-second steps: the page is read a second after the action ended
        read_shared_pages(sim, filler)  # within the lag: the page still shows both twins active
        sim.configure(status_lag_seconds=0.05)
        wait_for_status(sim, (in_crowd, alone), 'off')
        crowded, lone = _side_by_side(sim, in_crowd, alone, type=action_type)
    finally:
        member.stop()
    assert lone['failed'] is False and lone['changed'] is (action_type == 'power_on')
    assert crowded == lone


@pytest.mark.parametrize('action_type', ['power_on', 'power_off'])
def test_a_droplet_deleted_since_the_shared_page_fails_as_not_found_as_alone(sim, tmp_path, monkeypatch, action_type):
    filler = sim.seed(count=1)[0]['id']
    in_crowd, alone = [droplet['id'] for droplet in sim.seed(count=2, status='off')]
    member = crowd(sim, tmp_path, monkeypatch)
    try:
        read_shared_pages(sim, filler)  # the page lists both twins, off
        for droplet_id in (in_crowd, alone):
            assert sim.call('DELETE', '/v2/droplets/%d' % droplet_id).status_code == 204
        crowded, lone = _side_by_side(sim, in_crowd, alone, type=action_type)
    finally:
        member.stop()
    assert lone == dict(failed=True, changed=False, sent=[], status='gone', why='not found')
    assert crowded == lone


def test_another_tools_action_within_one_shared_round_changes_no_result(sim, tmp_path, monkeypatch):
    # The look before a POST may use a page of GET /v2/actions up to one round (2 s here) old. The crowd's
    # task runs in this process (another process is the crowd): started as a new process it could take
    # longer than that round to get there, and then it would read a new page and never meet the case.
    filler, in_crowd, alone = [droplet['id'] for droplet in sim.seed(count=3)]
    member = crowd(sim, tmp_path, monkeypatch)
    try:
        read_shared_pages(sim, filler)
        for droplet_id in (in_crowd, alone):
            other_tool(sim, droplet_id, 'power_off')  # starts and ends after the shared look's page was read
        wait_for_status(sim, (in_crowd, alone), 'off')
        crowded = outcome(sim, in_crowd, *run(sim, droplet_id=in_crowd, type='power_off', timeout=5, wait_timeout=20))
        lone = outcome(sim, alone, *run(sim, droplet_id=alone, type='power_off', timeout=5, wait_timeout=20,
                                        shared_budget=False))
    finally:
        member.stop()
    assert lone == dict(failed=False, changed=False, sent=[], status='off', why=None)
    assert crowded == lone


def test_alone_a_refusal_in_the_status_lag_reads_again_and_plans_once_more_instead_of_failing(sim):
    # Our read falls in the lag after someone else's power_off: it says active, the POST meets 422 "already
    # powered off". In this process, so that the read surely falls within the 3 s lag (a new process may not).
    droplet_id = sim.seed(count=1)[0]['id']
    sim.configure(status_lag_seconds=3.0)
    other_tool(sim, droplet_id, 'power_off')
    time.sleep(1.2)  # a second after it ended: the list's one-second times no longer put it after our read
    failed, result = run(sim, droplet_id=droplet_id, type='power_off', timeout=5, wait_timeout=20,
                         shared_budget=False)
    assert not failed, result['msg']
    assert result['changed'] is False and result['actions'] == [] and result['droplet']['status'] == 'off'
    assert 'already powered off' in result['msg']
