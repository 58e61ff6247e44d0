"""Run a module's main() in-process against a live simulator and capture its result."""

import contextlib
import json

from ansible.module_utils import basic

try:  # ansible-core 2.19 and later
    from ansible.module_utils.testing import patch_module_args
except ImportError:
    @contextlib.contextmanager
    def patch_module_args(args):
        basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode()
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = None

from ansible_collections.oceanops.droplets.plugins.modules import droplet_action, droplet_action_info

MODULES = {'droplet_action': droplet_action.main, 'droplet_action_info': droplet_action_info.main}
TOKEN = 'dop_v1_system_test_token_0123456789abcdef'


class Exited(Exception):
    def __init__(self, failed, result):
        super(Exited, self).__init__(result.get('msg'))
        self.failed, self.result = failed, result


def _exit_json(self, **result):
    raise Exited(False, result)


def _fail_json(self, msg, **result):
    result['msg'] = msg
    raise Exited(True, result)


def run(sim, module='droplet_action', check_mode=False, **args):
    """(failed, result) of one module run with api_url pointing at ``sim``."""
    full = dict(api_url=sim.base, api_token=TOKEN)
    full.update(args)
    if check_mode:
        full['_ansible_check_mode'] = True
    original = basic.AnsibleModule.exit_json, basic.AnsibleModule.fail_json
    basic.AnsibleModule.exit_json, basic.AnsibleModule.fail_json = _exit_json, _fail_json
    try:
        with patch_module_args(full):
            MODULES[module]()
    except Exited as done:
        return done.failed, done.result
    finally:
        basic.AnsibleModule.exit_json, basic.AnsibleModule.fail_json = original
    raise AssertionError('the module returned without exit_json or fail_json')
