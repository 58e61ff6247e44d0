"""The token never shows: real ansible-playbook -vvvv runs, success and failure, every byte searched."""

import os
import subprocess
import sys
import textwrap

import pytest

TOKEN = 'dop_v1_' + 'f00dfeed' * 8

PLAYBOOK = textwrap.dedent('''
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: Power off by id with the token as a parameter
          oceanops.droplets.droplet_action:
            droplet_id: "{{ droplet_id }}"
            type: power_off
            api_url: "{{ api_url }}"
            api_token: "{{ token }}"
          diff: true
        - name: The same, token from the environment, in check mode
          oceanops.droplets.droplet_action:
            droplet_id: "{{ droplet_id }}"
            type: power_on
            api_url: "{{ api_url }}"
          check_mode: true
          diff: true
        - name: Read its actions
          oceanops.droplets.droplet_action_info:
            droplet_id: "{{ droplet_id }}"
            api_url: "{{ api_url }}"
        - name: A Droplet that does not exist
          oceanops.droplets.droplet_action:
            droplet_id: 1
            type: power_off
            api_url: "{{ api_url }}"
          ignore_errors: true
        - name: Bad input
          oceanops.droplets.droplet_action:
            droplet_id: "{{ droplet_id }}"
            type: resize
            api_url: "{{ api_url }}"
          ignore_errors: true
        - name: The API fails the POST
          oceanops.droplets.droplet_action:
            droplet_id: "{{ droplet_id }}"
            type: rename
            name: renamed
            api_url: "{{ api_url }}"
          ignore_errors: true
        - name: A revoked token
          oceanops.droplets.droplet_action:
            droplet_id: "{{ droplet_id }}"
            type: power_on
            api_url: "{{ api_url }}"
            api_token: "{{ token }}-revoked"
          ignore_errors: true
''')


def collections_path():
    # tests/system -> tests -> collection root; its parent's parent's parent holds ansible_collections/
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    top = os.path.dirname(os.path.dirname(os.path.dirname(root)))
    if os.path.basename(os.path.dirname(os.path.dirname(root))) != 'ansible_collections':
        pytest.fail('run from a tree under ansible_collections/oceanops/droplets (make test does)')
    return top


def test_token_never_appears_in_vvvv_output(sim, tmp_path):
    droplet = sim.seed(count=1)[0]
    sim.faults({'method': 'POST', 'path': '/actions$', 'kind': 'status', 'status': 500, 'times': 2, 'after': 1})
    sim.control('POST', 'tokens', {'revoke': [TOKEN + '-revoked']})
    playbook = tmp_path / 'hygiene.yml'
    playbook.write_text(PLAYBOOK)
    # The token goes in a vars file: ansible-playbook -vvvv itself echoes command-line extra vars.
    extra_vars = tmp_path / 'vars.yml'
    extra_vars.write_text('droplet_id: %d\napi_url: %s\ntoken: %s\n' % (droplet['id'], sim.base, TOKEN))
    env = dict(os.environ, DIGITALOCEAN_TOKEN=TOKEN, ANSIBLE_COLLECTIONS_PATH=collections_path(),
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR='1')
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-vvvv', str(playbook),
               '-e', '@%s' % extra_vars]
    completed = subprocess.run(command, env=env, capture_output=True, timeout=300, check=False)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output.decode(errors='replace')[-3000:]
    text = output.decode(errors='replace')
    # the runs really happened: a success, the API's 404, a bad input message, a 500 and a 401
    for expected in ('changed: [localhost]', 'was not found', 'missing: size', 'HTTP 500', 'HTTP 401'):
        assert expected in text, expected
    assert TOKEN.encode() not in output
    assert b'f00dfeed' not in output
