"""Offline stand-in for ansible-test's get-pip.py: bootstrap pip with ensurepip, then pip install.

ansible-test downloads get-pip.py from a host this machine cannot reach; the harness copies this file
to ~/.ansible/test/cache/get_pip_<version>.py (the name ansible-test looks for) before it runs.
"""

import os
import subprocess
import sys

DROPPED = ('--no-setuptools', '--no-wheel')


def main():
    env = dict(os.environ)
    env.pop('PIP_CONFIG_FILE', None)  # ansible-test points it at /dev/null; keep the machine's index settings
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'], env=env)
    arguments = [arg for arg in sys.argv[1:] if arg not in DROPPED]
    if arguments:
        subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + arguments, env=env)


if __name__ == '__main__':
    main()
