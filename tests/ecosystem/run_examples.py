"""Run every example playbook of the guides against a fresh simulator with the demo fleet.

Each playbook must finish with no failed task. action_types.yml must make the simulator run all sixteen
action types, and a task the guides call idempotent must change nothing when the playbook runs again.

Usage: python run_examples.py REPO_ROOT WORK_DIR   (ansible-playbook and the installed collection must be
found through PATH and ANSIBLE_COLLECTIONS_PATH)
"""

import glob
import os
import re
import secrets
import subprocess
import sys
import time

from simulator_process import Simulator

ALL_TYPES = {'enable_backups', 'disable_backups', 'change_backup_policy', 'reboot', 'power_cycle', 'shutdown',
             'power_off', 'power_on', 'restore', 'password_reset', 'resize', 'rebuild', 'rename', 'change_kernel',
             'enable_ipv6', 'snapshot'}
# The types action_types.yml leaves in their final state: a second run must not send them again.
SETTLED_TYPES = {'resize', 'change_kernel', 'enable_ipv6', 'snapshot'}
RECAP = re.compile(r'^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


def run_playbook(playbook, env):
    started = time.monotonic()
    result = subprocess.run(['ansible-playbook', playbook], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, check=False)
    output = result.stdout.decode('utf-8', 'replace')
    recap = RECAP.search(output)
    return result.returncode, output, recap, time.monotonic() - started


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    root, work_dir = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    os.makedirs(work_dir, exist_ok=True)
    problems = []
    playbooks = [path for path in sorted(glob.glob(os.path.join(root, 'docs', 'docsite', 'examples', '*.yml')))
                 if not os.path.basename(path).startswith(('awx_credential_type', 'execution-environment'))]
    for playbook in playbooks:
        name = os.path.basename(playbook)
        with Simulator(root, work_dir, name[:-4], '--demo', '--action-seconds', '0.2', '--status-lag', '0.1') as sim:
            env = dict(os.environ, DIGITALOCEAN_API_URL=sim.url, DIGITALOCEAN_TOKEN='dop_v1_' + secrets.token_hex(16),
                       ANSIBLE_NOCOLOR='true', ANSIBLE_LOCALHOST_WARNING='false',
                       ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
            code, output, recap, seconds = run_playbook(playbook, env)
            stats = sim.stats()
            if code != 0 or recap is None or recap.group(4) != '0':
                problems.append('%s failed (exit %d):\n%s' % (name, code, output[-3000:]))
                continue
            summary = '%s: ok=%s changed=%s in %.1f s, %d API requests' % (
                name, recap.group(1), recap.group(2), seconds, stats['requests_total'])
            if name == 'action_types.yml':
                ran = set(stats['actions_by_type'])
                if ran != ALL_TYPES:
                    problems.append('action_types.yml ran %s; missing %s' % (sorted(ran), sorted(ALL_TYPES - ran)))
                before = dict(stats['actions_by_type'])
                code, output, recap, again = run_playbook(playbook, env)
                after = sim.stats()['actions_by_type']
                resent = sorted(kind for kind in SETTLED_TYPES if after.get(kind) != before.get(kind))
                if code != 0 or resent:
                    problems.append('action_types.yml again: exit %d, sent %s again:\n%s' % (code, resent, output[-2000:]))
                summary += '; all 16 types; again in %.1f s without resending %s' % (again, ', '.join(sorted(SETTLED_TYPES)))
            print(summary)
    for problem in problems:
        print('FAIL ' + problem)
    sys.exit(1 if problems or not playbooks else 0)


if __name__ == '__main__':
    main(sys.argv)
