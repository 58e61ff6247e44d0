# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The small base every module of the collection shares: options, client, result, failures."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import platform

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover
    urlsplit = None

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import (
    COLLECTION_VERSION, DEFAULT_API_URL, REQUESTS_IMPORT_ERROR, DigitalOceanAPIError, DigitalOceanClient)
from ansible_collections.oceanops.droplets.plugins.module_utils.action_types import Refused
from ansible_collections.oceanops.droplets.plugins.module_utils.shared_budget import ENV_SWITCH, coordinator_for
from ansible_collections.oceanops.droplets.plugins.module_utils.waiter import WaitTimeout, Waiter

TOKEN_ENV_VARS = ['DIGITALOCEAN_TOKEN', 'DIGITALOCEAN_ACCESS_TOKEN', 'DO_API_TOKEN', 'DO_API_KEY',
                  'DO_OAUTH_TOKEN', 'OAUTH_TOKEN']

COMMON_ARGUMENT_SPEC = dict(
    api_token=dict(type='str', no_log=True, aliases=['oauth_token'], fallback=(env_fallback, TOKEN_ENV_VARS)),
    api_url=dict(type='str', default=DEFAULT_API_URL, fallback=(env_fallback, ['DIGITALOCEAN_API_URL'])),
    timeout=dict(type='int', default=30),
    validate_certs=dict(type='bool', default=True),
    allow_insecure_http=dict(type='bool', default=False),
    shared_budget=dict(type='bool', default=True, fallback=(env_fallback, [ENV_SWITCH])),
)

WAIT_ARGUMENT_SPEC = dict(
    wait=dict(type='bool', default=True),
    wait_timeout=dict(type='int', default=600),
)


class DigitalOceanModule:
    """Builds the AnsibleModule, checks the common options before any request, owns the client.

    Subclasses implement ``execute()``, filling ``self.result``; expected failures (API errors,
    refused actions, timeouts) become ``fail_json`` with the API's details and no traceback.
    """

    def __init__(self, argument_spec, **kwargs):
        spec = dict(COMMON_ARGUMENT_SPEC)
        spec.update(WAIT_ARGUMENT_SPEC)
        spec.update(argument_spec)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **kwargs)
        self.params = self.module.params
        self.result = dict(changed=False)
        if REQUESTS_IMPORT_ERROR:
            self.module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        self._check_common_options()
        self.client = DigitalOceanClient(
            self.params['api_url'], self.params['api_token'], timeout=self.params['timeout'],
            validate_certs=self.params['validate_certs'],
            user_agent='oceanops.droplets/%s (ansible-core %s; python %s)' % (
                COLLECTION_VERSION, ANSIBLE_VERSION, platform.python_version()))
        # Forks on this controller with the same token share a request budget and poll rounds.
        self.client.coordinator = coordinator_for(self.params['api_url'], self.params['api_token'],
                                                  shared=self.params['shared_budget'], log=self.module.debug)
        self.waiter = Waiter(self.client)
        self.deadline = self.waiter.deadline_after(self.params['wait_timeout'])
        self.client.deadline = self.deadline

    def _check_common_options(self):
        params = self.params
        if not params['api_token']:
            self.fail('api_token is required: set it, or one of the environment variables %s' % ', '.join(TOKEN_ENV_VARS))
        for option in ('timeout', 'wait_timeout'):
            if params[option] is not None and params[option] <= 0:
                self.fail('%s must be a positive number of seconds, got %s' % (option, params[option]))
        self._check_api_url(params['api_url'])

    def _check_api_url(self, url):
        parts = urlsplit(url or '')
        if parts.scheme not in ('http', 'https') or not parts.hostname:
            self.fail('api_url must be an http(s) URL such as %s, got %r' % (DEFAULT_API_URL, url))
        if parts.path not in ('', '/'):
            self.fail('api_url must not have a path (the module adds /v2/...), got %r' % url)
        if parts.scheme == 'http' and not _is_loopback(parts.hostname) and not self.params['allow_insecure_http']:
            self.fail('api_url %r is plain http to a host that is not loopback: the token would cross the network '
                      'unencrypted. Use https, or set allow_insecure_http=true if you really mean it' % url)

    # -- results ----------------------------------------------------------------------------------
    def fail(self, msg, **extra):
        result = dict(self.result)
        result.update(extra)
        result['changed'] = result.get('changed', False)
        if getattr(self, 'client', None) is not None:  # a failure says what it spent too
            result['api_requests'] = self.client.stats['requests']
        self.module.fail_json(msg=msg, **result)

    def run(self):
        try:
            self.execute()
        except DigitalOceanAPIError as error:
            self.fail(error.message, api_error=error.details())
        except Refused as refusal:
            self.fail(str(refusal))
        except WaitTimeout as timeout:
            self.fail(str(timeout), waited_seconds=round(timeout.waited or 0, 1))
        self.result['api_requests'] = self.client.stats['requests']
        self.module.exit_json(**self.result)

    def execute(self):  # pragma: no cover - abstract
        raise NotImplementedError


def _is_loopback(host):
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
