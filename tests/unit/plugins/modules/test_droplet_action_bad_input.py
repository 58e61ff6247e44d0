# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input fails with a message naming the option, before any HTTP request."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.oceanops.droplets.plugins.modules import droplet_action, droplet_action_info
from ansible_collections.oceanops.droplets.tests.unit.plugins.modules.module_runner import run_module

TOKEN = 'dop_v1_unit_test_token'
BASE = dict(api_token=TOKEN, api_url='http://127.0.0.1:9')

CASES = [
    # (arguments on top of BASE, text the message must contain)
    (dict(type='power_off'), 'one of the following is required: droplet_id, droplet_name, tag_name, droplet_ids'),
    (dict(droplet_id=1, droplet_name='a', type='power_off'), 'mutually exclusive'),
    (dict(droplet_id=1, tag_name='web', type='power_off'), 'mutually exclusive'),
    (dict(droplet_id=1), 'missing required arguments: type'),
    (dict(droplet_id=1, type='teleport'), 'value of type must be one of'),
    (dict(droplet_id=0, type='power_off'), 'droplet_id must be a positive integer'),
    (dict(droplet_id=-4, type='power_off'), 'droplet_id must be a positive integer'),
    (dict(droplet_id='abc', type='power_off'), 'droplet_id'),
    (dict(droplet_name='', type='power_off'), 'droplet_name must not be empty'),
    (dict(tag_name='  ', type='power_off'), 'tag_name must not be empty'),
    (dict(droplet_id=1, type='resize'), 'type is resize but all of the following are missing: size'),
    (dict(droplet_id=1, type='rebuild'), 'type is rebuild but all of the following are missing: image'),
    (dict(droplet_id=1, type='restore'), 'type is restore but all of the following are missing: image'),
    (dict(droplet_id=1, type='rename'), 'type is rename but all of the following are missing: name'),
    (dict(droplet_id=1, type='snapshot'), 'type is snapshot but all of the following are missing: name'),
    (dict(droplet_id=1, type='change_kernel'), 'type is change_kernel but all of the following are missing: kernel'),
    (dict(droplet_id=1, type='change_backup_policy'), 'following are missing: backup_policy'),
    (dict(droplet_id=1, type='change_backup_policy', backup_policy={}), 'backup_policy needs at least one of'),
    (dict(droplet_id=1, type='change_backup_policy', backup_policy=dict(hour=3)), 'hour'),
    (dict(droplet_id=1, type='change_backup_policy', backup_policy=dict(plan='hourly')), 'plan'),
    (dict(droplet_id=1, type='change_backup_policy', backup_policy=dict(weekday='Sunday')), 'weekday'),
    (dict(droplet_id=1, type='enable_backups', backup_policy=dict(color='red')), 'color'),
    (dict(droplet_id=1, type='power_off', size='s-1vcpu-1gb'), 'size does not apply to type=power_off'),
    (dict(droplet_id=1, type='reboot', name='x'), 'name does not apply to type=reboot'),
    (dict(droplet_id=1, type='rename', name='x', image='y'), 'image does not apply to type=rename'),
    (dict(droplet_id=1, type='resize', size='s-1vcpu-1gb', kernel=5), 'kernel does not apply to type=resize'),
    (dict(droplet_id=1, type='power_on', disk=True), 'disk does not apply to type=power_on'),
    (dict(droplet_id=1, type='disable_backups', backup_policy=dict(hour=4)), 'backup_policy does not apply'),
    (dict(droplet_id=1, type='resize', size=''), 'size must not be empty'),
    (dict(droplet_id=1, type='rename', name=' '), 'name must not be empty'),
    (dict(droplet_id=1, type='change_kernel', kernel='latest'), 'kernel'),
    (dict(tag_name='web', type='resize', size='s-1vcpu-1gb'), 'type=resize cannot be run with tag_name'),
    (dict(tag_name='web', type='reboot'), 'type=reboot cannot be run with tag_name'),
    (dict(tag_name='web', type='rename', name='x'), 'type=rename cannot be run with tag_name'),
    (dict(tag_name='web', type='rebuild', image='x'), 'cannot be run with tag_name'),
    (dict(tag_name='web', type='password_reset'), 'cannot be run with tag_name'),
    (dict(droplet_id=1, type='power_off', wait_timeout=0), 'wait_timeout must be a positive'),
    (dict(droplet_id=1, type='power_off', wait_timeout=-5), 'wait_timeout must be a positive'),
    (dict(droplet_id=1, type='power_off', wait_timeout='soon'), 'wait_timeout'),
    (dict(droplet_id=1, type='power_off', timeout=0), 'timeout must be a positive'),
    (dict(droplet_id=1, type='shutdown', graceful_timeout=0), 'graceful_timeout must be 1 to 86400 seconds'),
    (dict(droplet_id=1, type='shutdown', graceful_timeout=10 ** 10), 'graceful_timeout must be 1 to 86400 seconds'),
    (dict(droplet_id=True, type='power_off'), 'droplet_id must be a positive integer'),
    (dict(droplet_id=1, type='reboot', allow_power_off=True), 'allow_power_off does not apply to type=reboot'),
    (dict(droplet_id=1, type='power_on', allow_power_off=True), 'allow_power_off does not apply to type=power_on'),
    (dict(droplet_id=1, type='power_on', graceful_timeout=30), 'graceful_timeout does not apply to type=power_on'),
    (dict(droplet_id=1, type='snapshot', name='n', graceful_timeout=30), 'graceful_timeout does not apply'),
    (dict(droplet_id=1, type='rebuild', image='../../v2/account'), 'image must be an image id or slug'),
    (dict(droplet_id=1, type='rebuild', image='ubuntu?x=1'), 'image must be an image id or slug'),
    (dict(droplet_id=1, type='rebuild', image='ubuntu#top'), 'image must be an image id or slug'),
    (dict(droplet_id=1, type='rebuild', image='ubuntu 24'), 'image must be an image id or slug'),
    (dict(droplet_id=1, type='rebuild', image='%2e%2e'), 'image must be an image id or slug'),
    (dict(droplet_id=1, type='restore', image='-1'), 'image must be an image id or slug'),
    (dict(droplet_ids=[], type='power_off'), 'droplet_ids must hold 1 to'),
    (dict(droplet_ids=[1, 0], type='power_off'), 'droplet_ids must hold positive integer'),
    (dict(droplet_ids=[True], type='power_off'), 'droplet_ids must hold positive integer'),
    (dict(droplet_ids=[1, -2], type='power_off'), 'droplet_ids must hold positive integer'),
    (dict(droplet_ids=['web'], type='power_off'), 'droplet_ids'),
    (dict(droplet_ids=list(range(1, 10002)), type='power_off'), 'droplet_ids must hold 1 to 10000 ids'),
    (dict(droplet_ids=[1], droplet_id=1, type='power_off'), 'mutually exclusive'),
    (dict(droplet_ids=[1], tag_name='web', type='power_off'), 'mutually exclusive'),
    (dict(droplet_ids=[1], droplet_name='a', type='power_off'), 'mutually exclusive'),
    (dict(droplet_ids=[1, 2], type='rename', name='x'), 'type=rename cannot be run with droplet_ids'),
    (dict(droplet_ids=[1, 2], type='resize', size='s-1vcpu-1gb'), 'type=resize cannot be run with droplet_ids'),
    (dict(droplet_ids=[1, 2], type='password_reset'), 'cannot be run with droplet_ids'),
    (dict(droplet_ids=[1, 2], type='rebuild', image='x'), 'cannot be run with droplet_ids'),
    (dict(droplet_ids=[1, 2], type='restore', image='5'), 'cannot be run with droplet_ids'),
    (dict(droplet_ids=[1, 2], type='change_kernel', kernel=5), 'cannot be run with droplet_ids'),
    (dict(tag_name='web', type='change_kernel', kernel=5), 'cannot be run with tag_name'),
    (dict(tag_name='web', type='change_backup_policy', backup_policy=dict(hour=4)), 'cannot be run with tag_name'),
    (dict(droplet_id=1, type='power_off', api_url='ftp://example.com'), 'api_url must be an http(s) URL'),
    (dict(droplet_id=1, type='power_off', api_url='not a url'), 'api_url must be an http(s) URL'),
    (dict(droplet_id=1, type='power_off', api_url='http://127.0.0.1:8080/v2'), 'api_url must not have a path'),
    (dict(droplet_id=1, type='power_off', api_url='http://api.example.com'), 'plain http'),
    (dict(droplet_id=1, type='power_off', api_token=''), 'api_token is required'),
]


INFO_CASES = [
    (dict(droplet_id=1, action_type='power_of'), "action_type 'power_of' is not an action type the API lists"),
    (dict(droplet_id=1, action_type='POWER_OFF'), 'is not an action type the API lists'),
    (dict(droplet_id=True), 'droplet_id must be a positive integer'),
    (dict(droplet_id=0), 'droplet_id must be a positive integer'),
    (dict(action_id=0), 'action_id must be a positive integer'),
    (dict(action_id=True), 'action_id must be a positive integer'),
    (dict(limit=0), 'limit must be a positive integer'),
    (dict(limit=-3), 'limit must be a positive integer'),
    (dict(droplet_id=1, status='running'), 'value of status must be one of'),
    (dict(tag_name='web', action_id=5), 'mutually exclusive'),
    (dict(droplet_id=1, tag_name='web'), 'mutually exclusive'),
    (dict(droplet_name='', droplet_id=1), 'mutually exclusive'),
]


def _clean_environment(monkeypatch):
    for name in ('DIGITALOCEAN_TOKEN', 'DIGITALOCEAN_ACCESS_TOKEN', 'DO_API_TOKEN', 'DO_API_KEY', 'DO_OAUTH_TOKEN',
                 'OAUTH_TOKEN', 'DIGITALOCEAN_API_URL'):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize('module, args, fragment', [(droplet_action, args, fragment) for args, fragment in CASES]
                         + [(droplet_action_info, args, fragment) for args, fragment in INFO_CASES])
def test_bad_input_is_refused_before_any_request(module, args, fragment, monkeypatch):
    _clean_environment(monkeypatch)
    full = dict(BASE)
    full.update(args)
    failed, result = run_module(module.main, full, monkeypatch)
    assert failed
    assert fragment in result['msg']
    assert TOKEN not in repr(result)


def test_the_table_is_large_enough_to_mean_something():
    assert len(CASES) + len(INFO_CASES) >= 80


def test_plain_http_elsewhere_is_allowed_only_when_asked(monkeypatch):
    args = dict(BASE, droplet_id=1, type='power_off', api_url='http://api.example.com', allow_insecure_http=True)
    with pytest.raises(AssertionError, match='sent an HTTP request'):
        run_module(droplet_action.main, args, monkeypatch)


def test_token_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv('DO_API_TOKEN', TOKEN)
    args = dict(api_url='http://127.0.0.1:9', droplet_id=1, type='power_off')
    with pytest.raises(AssertionError, match='sent an HTTP request'):
        run_module(droplet_action.main, args, monkeypatch)
