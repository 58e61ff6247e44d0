"""The collection from the command line: an ad-hoc task run twice, and ansible-doc."""

import json
import re

from cli import run_tool

TOKEN = 'dop_v1_cli_test_token_0123456789abcdef'
ADHOC_RESULT = re.compile(r'^localhost \| ([A-Z!]+) => (\{.*\})', re.S | re.M)


def adhoc(module_args):
    returncode, output = run_tool('ansible', ['localhost', '-m', 'oceanops.droplets.droplet_action', '-a', module_args],
                                  TOKEN)
    text = output.decode(errors='replace')
    found = ADHOC_RESULT.search(text)
    assert found, text[-3000:]
    return returncode, found.group(1), json.loads(found.group(2))


def test_adhoc_power_off_then_no_change(sim):
    droplet = sim.seed(count=1, status='active')[0]
    module_args = 'droplet_id=%d type=power_off api_url=%s' % (droplet['id'], sim.base)

    first = adhoc(module_args)
    assert first[:2] == (0, 'CHANGED')
    assert first[2]['action']['type'] == 'power_off' and first[2]['action']['status'] == 'completed'
    assert first[2]['droplet']['status'] == 'off'

    second = adhoc(module_args)
    assert second[:2] == (0, 'SUCCESS')
    assert second[2]['changed'] is False
    assert sim.stats()['posts_total'] == 1


def test_adhoc_bad_input_names_the_option_and_sends_nothing(sim):
    droplet = sim.seed(count=1)[0]
    returncode, state, result = adhoc('droplet_id=%d type=resize api_url=%s' % (droplet['id'], sim.base))
    assert (returncode, state) == (2, 'FAILED!')
    assert 'size' in result['msg']
    assert sim.stats()['requests_total'] == 0


def test_ansible_doc_renders_every_option():
    for module in ('droplet_action', 'droplet_action_info'):
        returncode, output = run_tool('ansible-doc', ['--json', 'oceanops.droplets.' + module], TOKEN)
        assert returncode == 0, output.decode(errors='replace')[-2000:]
        doc = json.loads(output)['oceanops.droplets.' + module]['doc']
        for option in ('api_token', 'api_url', 'wait', 'wait_timeout'):
            assert option in doc['options'], (module, option)
    returncode, output = run_tool('ansible-doc', ['oceanops.droplets.droplet_action'], TOKEN)
    assert returncode == 0 and b'change_backup_policy' in output and b'EXAMPLES' in output
