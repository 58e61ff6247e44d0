"""Values derived from a secret are masked like the secret: ansible-playbook -vvvv, register + debug, every byte
searched for the secret, its URL-quoted and its base64 forms (issue 19)."""

import base64
import textwrap
from urllib.parse import quote

import pytest

from cli import run_tool

TOKEN_ENV_VARS = ['DIGITALOCEAN_TOKEN', 'DIGITALOCEAN_ACCESS_TOKEN', 'DO_API_TOKEN', 'DO_API_KEY',
                  'DO_OAUTH_TOKEN', 'OAUTH_TOKEN']
# What a vault-encrypted "echo secret", a Windows editor or a careless paste leaves around the token.
WRAPPINGS = {'newline': '%s\n', 'crlf': '%s\r\n', 'spaces': '  %s  '}
PASSWORD = 'Hunter2-pass!word'

TASK = textwrap.dedent('''
    - name: {name}
      oceanops.droplets.droplet_action_info:
        droplet_id: "{{{{ droplet_id }}}}"
        api_url: "{url}"
        {token_line}
      register: result_{name}
      ignore_errors: true
    - name: Show {name}
      ansible.builtin.debug:
        var: result_{name}
''')


def secret(label):
    return 'dop_v1_%s_%s' % (label.replace('_', '').lower(), '5ec7e7' * 8)


def forms(value):
    """The secret as it would show: raw, URL-quoted, base64 (also of user:password, as Basic auth sends it)."""
    found = {value, quote(value, safe=''), base64.b64encode(value.encode()).decode()}
    found.add(base64.b64encode(('someone:%s' % value).encode()).decode())
    return found


def run_playbook(tmp_path, tasks, variables, env):
    playbook = tmp_path / 'forms.yml'
    playbook.write_text('- hosts: localhost\n  gather_facts: false\n  tasks:\n'
                        + textwrap.indent(''.join(tasks), '    '))
    # The secrets go in a vars file: ansible-playbook -vvvv itself echoes command-line extra vars.
    extra_vars = tmp_path / 'vars.yml'
    extra_vars.write_text(''.join('%s: "%s"\n' % (name, value.encode('unicode_escape').decode())
                                  for name, value in variables.items()))
    # ansible-core 2.21 adds the module's arguments (``invocation``) to results only when asked; earlier ones always.
    env = dict(env, ANSIBLE_INJECT_INVOCATION='true')
    returncode, output = run_tool('ansible-playbook', ['-vvvv', str(playbook), '-e', '@%s' % extra_vars], None,
                                  env=env)
    assert returncode == 0, output.decode(errors='replace')[-3000:]
    return output


def assert_masked(output, secrets):
    for label, value in secrets.items():
        for form in forms(value):
            assert form.encode() not in output, '%s leaked as %r' % (label, form)


@pytest.fixture
def no_token_in_environment(monkeypatch):
    for name in TOKEN_ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def test_a_token_with_whitespace_around_it_never_shows_as_a_parameter(sim, tmp_path, no_token_in_environment):
    droplet = sim.seed(count=1)[0]
    secrets = dict((label, secret(label)) for label in WRAPPINGS)
    tasks = [TASK.format(name='token_' + label, url=sim.base, token_line='api_token: "{{ token_%s }}"' % label)
             for label in WRAPPINGS]
    variables = dict(('token_' + label, wrapping % secrets[label]) for label, wrapping in WRAPPINGS.items())
    secrets['password'] = PASSWORD
    userinfo_url = sim.base.replace('//', '//someone:{{ password }}@')
    tasks.append(TASK.format(name='userinfo', url=userinfo_url, token_line='api_token: "{{ token_newline }}"'))
    variables.update(droplet_id=str(droplet['id']), password=PASSWORD)

    output = run_playbook(tmp_path, tasks, variables, env={})
    text = output.decode(errors='replace')
    # the runs really happened: three reads of the Droplet's actions, and the refused api_url
    assert text.count('"api_requests": 2') >= 6 and 'must not contain a user name or password' in text, text[-3000:]
    assert_masked(output, secrets)


@pytest.mark.parametrize('variable', TOKEN_ENV_VARS)
def test_a_token_with_whitespace_around_it_never_shows_from_the_environment(
        sim, tmp_path, variable, no_token_in_environment):
    droplet = sim.seed(count=1)[0]
    wrapping = list(WRAPPINGS.values())[TOKEN_ENV_VARS.index(variable) % len(WRAPPINGS)]
    value = secret(variable)
    output = run_playbook(tmp_path, [TASK.format(name='from_env', url=sim.base, token_line='')],
                          dict(droplet_id=str(droplet['id'])), env={variable: wrapping % value})
    assert '"api_requests": 2' in output.decode(errors='replace'), output.decode(errors='replace')[-3000:]
    assert_masked(output, {variable: value})
