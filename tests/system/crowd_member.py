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
    from ansible_collections.oceanops.droplets.plugins.module_utils._coordination import budget, directory, names
    shared, reason = directory.private_directory(directory.default_directory())
    assert shared is not None, reason
    assert budget.RequestBudget(shared, names.budget_key(api_url, token)).take(5.0)
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
