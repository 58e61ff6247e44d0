"""Another process at work on the token: it takes one turn from the shared budget and stays alive.

That is what makes a crowd (Coordinator.crowded: another live process took a turn in the last two
minutes), with none of the timing of a real module run. Usage: ``python crowd_member.py URL TOKEN``
with OCEANOPS_SHARED_DIR set; it prints ``ready`` and lives until its stdin closes.
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main(api_url, token):
    from ansible_collections.oceanops.droplets.plugins.module_utils import shared_budget
    directory, reason = shared_budget.private_directory(shared_budget.default_directory())
    assert directory is not None, reason
    budget = shared_budget.RequestBudget(directory, shared_budget.budget_key(api_url, token))
    assert budget.take(5.0)
    print('ready', flush=True)
    sys.stdin.read()


class CrowdMember:
    """The helper process, started for one test; ``stop()`` ends it."""

    def __init__(self, api_url, token):
        self.process = subprocess.Popen([sys.executable, __file__, api_url, token], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
        assert self.process.stdout.readline().strip() == b'ready'

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)
        self.process.stdout.close()


if __name__ == '__main__':
    main(*sys.argv[1:3])
