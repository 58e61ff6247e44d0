"""Run the ansible command-line tools on this collection the way a user does."""

import os
import subprocess
import sys

import pytest


def collections_path():
    """The directory holding ansible_collections/ (make test runs from a tree under it)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if os.path.basename(os.path.dirname(os.path.dirname(root))) != 'ansible_collections':
        pytest.fail('run from a tree under ansible_collections/oceanops/droplets (make test does)')
    return os.path.dirname(os.path.dirname(os.path.dirname(root)))


def run_tool(tool, args, token, timeout=300, env=None):
    """Run ``tool`` (ansible, ansible-playbook, ansible-doc) from this Python's bin; returns (rc, output).

    ``token`` goes in DIGITALOCEAN_TOKEN unless it is None; ``env`` adds variables of its own.
    """
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), **(env or {}),
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR='1')
    if token is not None:
        env['DIGITALOCEAN_TOKEN'] = token
    command = [os.path.join(os.path.dirname(sys.executable), tool)] + list(args)
    completed = subprocess.run(command, env=env, capture_output=True, timeout=timeout, check=False)
    return completed.returncode, completed.stdout + completed.stderr
