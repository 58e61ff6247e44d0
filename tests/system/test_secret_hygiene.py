"""The token never shows: real ansible-playbook -vvvv runs, success and failure, every byte searched."""

import textwrap

from cli import run_tool

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


def test_token_never_appears_in_vvvv_output(sim, tmp_path):
    droplet = sim.seed(count=1)[0]
    sim.faults({'method': 'POST', 'path': '/actions$', 'kind': 'status', 'status': 500, 'times': 2, 'after': 1})
    sim.control('POST', 'tokens', {'revoke': [TOKEN + '-revoked']})
    playbook = tmp_path / 'hygiene.yml'
    playbook.write_text(PLAYBOOK)
    # The token goes in a vars file: ansible-playbook -vvvv itself echoes command-line extra vars.
    extra_vars = tmp_path / 'vars.yml'
    extra_vars.write_text('droplet_id: %d\napi_url: %s\ntoken: %s\n' % (droplet['id'], sim.base, TOKEN))
    returncode, output = run_tool('ansible-playbook', ['-vvvv', str(playbook), '-e', '@%s' % extra_vars], TOKEN)
    assert returncode == 0, output.decode(errors='replace')[-3000:]
    text = output.decode(errors='replace')
    # the runs really happened: a success, the API's 404, a bad input message, a 500 and a 401
    for expected in ('changed: [localhost]', 'was not found', 'missing: size', 'HTTP 500', 'HTTP 401'):
        assert expected in text, expected
    assert TOKEN.encode() not in output
    assert b'f00dfeed' not in output
