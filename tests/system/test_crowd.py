"""Many module processes on one token (issue 13): what they share, and that sharing changes no outcome."""

import re
import threading
import time

from crowd_oracle import crowd
from hostile_checks import run_in_subprocess
from module_call import run

DROPLET_GET = re.compile(r'^/v2/droplets/(\d+)$')


def _start(sim, results, key, **args):
    thread = threading.Thread(target=lambda: results.__setitem__(key, run_in_subprocess(sim, **args)))
    thread.start()
    return thread


def _wait_for_posts(sim, count, limit=30.0):
    ends = time.monotonic() + limit
    while sim.stats()['posts_total'] < count:
        assert time.monotonic() < ends, 'the first process never sent its action'
        time.sleep(0.05)


def test_a_crowd_plans_from_the_shared_droplet_list_not_a_get_each(sim, tmp_path, monkeypatch):
    monkeypatch.setenv('OCEANOPS_SHARED_DIR', str(tmp_path / 'shared'))
    first, crowd = sim.seed(count=1)[0], sim.seed(count=6)
    sim.configure(action_seconds={'default': 1.0, 'reboot': 6.0})
    results = {}
    # One process already at work on the token: whoever starts now knows it is in a crowd.
    threads = [_start(sim, results, 'first', droplet_id=first['id'], type='reboot', wait_timeout=40, timeout=10)]
    _wait_for_posts(sim, 1)
    threads += [_start(sim, results, droplet['id'], droplet_id=droplet['id'], type='power_off', wait_timeout=40,
                       timeout=10) for droplet in crowd]
    for thread in threads:
        thread.join()
    for key, (failed, result, _seconds, _peak) in results.items():
        assert not failed and result['changed'], (key, result['msg'])
    for droplet in crowd:
        assert sim.stats()['actions'][str(droplet['id'])] == {'power_off': 1}
        assert results[droplet['id']][1]['droplet']['status'] == 'off'
    got = [int(DROPLET_GET.match(entry['path']).group(1)) for entry in sim.control('GET', 'log')['entries']
           if entry['method'] == 'GET' and DROPLET_GET.match(entry['path'])]
    assert set(got) <= {first['id']}, got  # the six planned from pages of GET /v2/droplets, as they re-read after


def _crowd_with_a_shared_page(sim, tmp_path, monkeypatch):
    """Two processes at work on the token (a crowd), one of which planned from a page of the account's
    Droplets: (the Droplet to act on, active on that page; the running threads; their results)."""
    monkeypatch.setenv('OCEANOPS_SHARED_DIR', str(tmp_path / 'shared'))
    first, target, third = sim.seed(count=3)
    sim.configure(action_seconds={'default': 0.5, 'reboot': 15.0, 'enable_backups': 15.0})
    results = {}
    threads = [_start(sim, results, 'first', droplet_id=first['id'], type='reboot', wait_timeout=40, timeout=10)]
    _wait_for_posts(sim, 1)
    threads.append(_start(sim, results, 'reader', droplet_id=third['id'], type='enable_backups', wait_timeout=40,
                          timeout=10))
    _wait_for_posts(sim, 2)
    return target, threads, results


def test_a_crowd_plans_again_after_an_action_since_the_shared_page(sim, tmp_path, monkeypatch):
    # The page a plan comes from may be 20 s old: a power_off someone ran since must not be sent again.
    target, threads, results = _crowd_with_a_shared_page(sim, tmp_path, monkeypatch)
    other = sim.call('POST', '/v2/droplets/%d/actions' % target['id'], json=dict(type='power_off')).json()['action']
    sim.wait_action(other['id'])
    time.sleep(2.5)  # a look before a POST may use a page of /v2/actions 2 s old: this one lists that power_off
    threads.append(_start(sim, results, 'late', droplet_id=target['id'], type='power_off', wait_timeout=40,
                          timeout=10))
    for thread in threads:
        thread.join()
    failed, result = results['late'][:2]
    assert not failed, result['msg']
    assert result['changed'] is False and result['actions'] == []
    assert "after someone else's action ended" in result['msg']  # it planned from the page, then again
    assert sim.stats()['actions'][str(target['id'])] == {'power_off': 1}


def test_in_a_crowd_a_task_after_ours_sees_what_ours_did(sim, tmp_path, monkeypatch):
    # power_off without waiting, then power_on: the second task must not plan from a page read before the first.
    target, threads, unused = _crowd_with_a_shared_page(sim, tmp_path, monkeypatch)
    failed, off = run_in_subprocess(sim, droplet_id=target['id'], type='power_off', wait=False, timeout=10)[:2]
    assert not failed and off['changed'], off['msg']
    sim.wait_action(off['action']['id'])
    failed, on = run_in_subprocess(sim, droplet_id=target['id'], type='power_on', wait_timeout=40, timeout=10)[:2]
    for thread in threads:
        thread.join()
    assert not failed and on['changed'], on['msg']
    assert on['droplet']['status'] == 'active'
    assert sim.stats()['actions'][str(target['id'])] == {'power_off': 1, 'power_on': 1}


def test_two_of_our_processes_renaming_one_droplet_in_a_crowd_send_one_rename(sim, tmp_path, monkeypatch):
    # The first POST takes effect at once but is answered late (a slow network); its rename is over before
    # the second task plans and looks, so the API would not refuse a second rename as a pending event, and
    # the shared pages the second would plan and look from predate the first POST. A process of ours now
    # waits for the Droplet's claim, then reads the Droplet's own list (failed first: two renames).
    droplet = sim.seed(count=1)[0]
    member = crowd(sim, tmp_path, monkeypatch)
    try:
        sim.configure(action_seconds={'default': 0.1})
        sim.faults({'method': 'POST', 'path': '^/v2/droplets/%d/actions$' % droplet['id'], 'kind': 'delay',
                    'delay': 2.0})
        results = {}
        args = dict(droplet_id=droplet['id'], type='rename', name='renamed-once', wait_timeout=30, timeout=10)
        threads = [_start(sim, results, 'first', **args)]
        ends = time.monotonic() + 30
        while 'rename' not in sim.stats()['actions'].get(str(droplet['id']), {}):
            assert time.monotonic() < ends, 'the first process never sent its rename'
            time.sleep(0.02)
        time.sleep(0.3)  # the first rename has ended (0.1 s), its answer is still on its way (2 s)
        results['second'] = run(sim, **args)  # in this process: it starts at once, within the shared round
        for thread in threads:
            thread.join()
    finally:
        member.stop()
    assert sim.stats()['actions'][str(droplet['id'])] == {'rename': 1}
    assert not results['first'][0] and not results['second'][0], (results['first'][1], results['second'][1])
    assert sorted([results['first'][1]['changed'], results['second'][1]['changed']]) == [False, True]
