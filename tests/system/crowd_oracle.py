"""The oracle of issue 17: a task in a crowd must end as the same task alone at that moment.

Each case has twin Droplets that live through the same events; the task runs on one twin in a crowd
(another process at work on the token, shared pages in the private directory) and on the other alone
(``shared_budget: false``), and what each did is compared as ``outcome``.
"""

import re
import time

from crowd_member import CrowdMember
from module_call import TOKEN, run


def outcome(sim, droplet_id, failed, result):
    """What a task did, in terms that do not depend on which twin it ran on."""
    answer = sim.call('GET', '/v2/droplets/%d' % droplet_id)
    status = answer.json()['droplet']['status'] if answer.status_code == 200 else 'gone'
    why = None
    if failed:
        message = result.get('msg', '').replace(str(droplet_id), 'ID')
        why = 'not found' if re.search(r'Droplet ID was not found', message) else re.sub(r'request_id \S+', '', message)
    return dict(failed=failed, changed=result.get('changed'), sent=[a['type'] for a in result.get('actions') or []],
                status=status, why=why)


def crowd(sim, tmp_path, monkeypatch, name='shared'):
    """A fresh private directory for the token and another live process that took a turn in it."""
    monkeypatch.setenv('OCEANOPS_SHARED_DIR', str(tmp_path / name))
    return CrowdMember(sim.base, TOKEN)


def read_shared_pages(sim, filler_id):
    """A crowd member (this process) plans from the shared page of GET /v2/droplets and looks at the shared
    page of GET /v2/actions before its POST: both pages are now stored, as they were when it ran."""
    failed, result = run(sim, droplet_id=filler_id, type='power_off', wait=False, timeout=5, wait_timeout=10)
    assert not failed and result['changed'], result['msg']


def other_tool(sim, droplet_id, action_type):
    """Someone else's action (another token, another tool), waited for until it ends."""
    action = sim.call('POST', '/v2/droplets/%d/actions' % droplet_id, json=dict(type=action_type)).json()['action']
    while action['status'] == 'in-progress':  # through the control API: the token's requests stay few
        time.sleep(0.05)
        action = sim.control('GET', 'actions/%d' % action['id'])['action']
    return action


def wait_for_status(sim, droplet_ids, status, limit=10.0):
    ends = time.monotonic() + limit
    for droplet_id in droplet_ids:
        while sim.call('GET', '/v2/droplets/%d' % droplet_id).json()['droplet']['status'] != status:
            assert time.monotonic() < ends, 'Droplet %d never showed %s' % (droplet_id, status)
            time.sleep(0.05)
