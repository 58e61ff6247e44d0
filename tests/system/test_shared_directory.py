"""The private directory with the real module (issue 17): a stopped holder, a directory that is not ours."""

import os
import signal
import subprocess
import sys

from ansible.module_utils.common import warnings as ansible_warnings

from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.directory import PrivateDirectory
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.names import budget_key
from hostile_checks import run_in_subprocess
from module_call import TOKEN, run


# A process of its own (not a fork: this one runs the simulator's threads) that takes the lock and says so.
HOLDER = (
    'import sys, time\n'
    'from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.directory import PrivateDirectory\n'
    'with PrivateDirectory(sys.argv[1]).locked(sys.argv[2]):\n'
    '    print("ready", flush=True)\n'
    '    time.sleep(600)\n')


def test_a_stopped_holder_of_the_budget_lock_does_not_keep_a_task_past_its_deadline(sim, tmp_path, monkeypatch):
    # A process stopped (SIGSTOP, a suspended terminal) inside the budget's flock. Before, every other task
    # waited for that lock without end; run_in_subprocess checks the task ends within wait_timeout + timeout.
    path = str(tmp_path / 'shared')
    monkeypatch.setenv('OCEANOPS_SHARED_DIR', path)
    PrivateDirectory(path).close()
    droplet_id = sim.seed(count=1)[0]['id']
    holder = subprocess.Popen([sys.executable, '-c', HOLDER, path, budget_key(sim.base, TOKEN) + '.budget'],
                              stdout=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    try:
        assert holder.stdout.readline().strip() == b'ready', 'the holder never took the lock'
        os.kill(holder.pid, signal.SIGSTOP)
        failed, result = run_in_subprocess(sim, droplet_id=droplet_id, type='power_off', wait_timeout=5, timeout=5)[:2]
    finally:
        holder.kill()
        holder.wait(30)
        holder.stdout.close()
    assert not failed and result['changed'], result['msg']
    assert sim.stats()['actions'][str(droplet_id)] == {'power_off': 1}


def test_a_directory_open_to_others_turns_sharing_off_with_a_warning_the_user_sees(sim, tmp_path, monkeypatch):
    # Another local user made the directory first (or it is too open): before, a debug note only.
    path = str(tmp_path / 'squatted')
    os.mkdir(path)
    os.chmod(path, 0o777)
    monkeypatch.setenv('OCEANOPS_SHARED_DIR', path)
    droplet_id = sim.seed(count=1, status='off')[0]['id']
    before = len(ansible_warnings.get_warning_messages())
    failed, result = run(sim, droplet_id=droplet_id, type='power_off', timeout=5, wait_timeout=10)
    assert not failed and result['changed'] is False, result['msg']
    new = ansible_warnings.get_warning_messages()[before:]
    assert len(new) == 1 and 'do not share requests' in new[0] and 'mode 777' in new[0]
    assert os.listdir(path) == []
