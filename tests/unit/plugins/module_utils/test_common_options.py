# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options every module shares are checked before any request; every failure is redacted."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import DigitalOceanAPIError
from ansible_collections.oceanops.droplets.plugins.module_utils.base import DigitalOceanModule
from ansible_collections.oceanops.droplets.tests.unit.plugins.modules.module_runner import run_module

TOKEN = 'dop_v1_common_options_token_0123'
BASE = dict(api_token=TOKEN, api_url='http://127.0.0.1:9')


class Probe(DigitalOceanModule):
    """A module whose execute() does what the test says, to reach the failure path."""
    action = None

    def __init__(self):
        super(Probe, self).__init__(dict())

    def execute(self):
        Probe.action(self)


def run_probe(args, monkeypatch, action=lambda module: None):
    Probe.action = staticmethod(action)
    for name in ('DIGITALOCEAN_TOKEN', 'DIGITALOCEAN_ACCESS_TOKEN', 'DO_API_TOKEN', 'DO_API_KEY', 'DO_OAUTH_TOKEN',
                 'OAUTH_TOKEN', 'DIGITALOCEAN_API_URL'):
        monkeypatch.delenv(name, raising=False)
    return run_module(lambda: Probe().run(), dict(BASE, **args), monkeypatch)


@pytest.mark.parametrize('args, fragment', [
    (dict(timeout=10000000000), 'timeout must be a positive number of seconds, at most 3600'),
    (dict(timeout=3601), 'at most 3600'),
    (dict(wait_timeout=86401), 'wait_timeout must be a positive number of seconds, at most 86400'),
    (dict(wait_timeout=10 ** 30), 'wait_timeout'),
    (dict(api_token='dop v1'), 'api_token contains whitespace'),
    (dict(api_token='dop\tv1\n'), 'api_token contains whitespace'),
    (dict(api_token=' \n'), 'api_token is required'),
    (dict(api_url='http://127.0.0.1:9/?x=1'), 'must not have a query'),
    (dict(api_url='http://127.0.0.1:9?'), 'must not have a query'),
    (dict(api_url='http://127.0.0.1:9#top'), 'or fragment'),
    (dict(api_url='http://127.0.0.1:99999'), 'invalid port'),
    (dict(api_url='http://127.0.0.1:port'), 'invalid port'),
    (dict(api_url='http://127.0.0.1:9\n'), 'whitespace or control characters'),
    (dict(api_url='http://me:hunter22@127.0.0.1:9'), 'must not contain a user name or password'),
    (dict(api_url='https://%s@api.digitalocean.com' % TOKEN), 'must not contain a user name or password'),
])
def test_bad_common_options_fail_before_any_request(args, fragment, monkeypatch):
    failed, result = run_probe(args, monkeypatch)
    assert failed and fragment in result['msg']
    text = json.dumps(result)
    assert TOKEN not in text and 'hunter22' not in text and 'dop v1' not in text


def test_a_token_ending_in_a_newline_is_used_stripped(monkeypatch):
    seen = {}

    def capture(module):
        seen['token'] = module.params['api_token']
        seen['auth'] = module.client._session.auth
    failed, result = run_probe(dict(api_token=TOKEN + '\n'), monkeypatch, capture)
    assert not failed and seen['token'] == TOKEN


@pytest.mark.parametrize('text', [
    'header value: %r' % ('Bearer %s\n' % TOKEN),
    'b64 %s' % __import__('base64').b64encode((':' + TOKEN).encode()).decode(),
])
def test_every_failure_message_is_redacted(text, monkeypatch):
    def boom(module):
        raise DigitalOceanAPIError(text, api_message=text, status=500)
    failed, result = run_probe(dict(api_token=TOKEN + '\n'), monkeypatch, boom)
    assert failed and TOKEN not in json.dumps(result) and 'common_options' not in json.dumps(result)


def test_an_unforeseen_answer_is_one_redacted_failure_not_a_traceback(monkeypatch):
    def boom(module):
        return {}['droplet-of-' + TOKEN]
    failed, result = run_probe({}, monkeypatch, boom)
    assert failed and result['msg'].startswith('Unexpected error: KeyError')
    assert 'Traceback' in result['exception'] and TOKEN not in json.dumps(result)


def test_a_result_that_carries_the_token_is_redacted(monkeypatch):
    def echo(module):
        module.report.fields['droplet'] = dict(name='named-' + TOKEN)
    failed, result = run_probe({}, monkeypatch, echo)
    assert not failed and TOKEN not in json.dumps(result)
