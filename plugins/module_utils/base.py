# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The small base every module of the collection shares: options, client, result, failures."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import platform
import traceback

from urllib.parse import unquote, urlsplit

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import (
    COLLECTION_VERSION, DEFAULT_API_URL, REQUESTS_IMPORT_ERROR, DigitalOceanAPIError, DigitalOceanClient, check_token)
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.coordinator import (
    ENV_SWITCH, coordinator_for)
from ansible_collections.oceanops.droplets.plugins.module_utils.errors import TaskFailure
from ansible_collections.oceanops.droplets.plugins.module_utils.reading import reads_for
from ansible_collections.oceanops.droplets.plugins.module_utils.redact import Redactor
from ansible_collections.oceanops.droplets.plugins.module_utils.task_report import TaskReport
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

# Upper bounds: past them a value is a typo, and a huge one would overflow the clock arithmetic.
MAX_TIMEOUT_SECONDS = 3600
MAX_WAIT_TIMEOUT_SECONDS = 86400

WAIT_ARGUMENT_SPEC = dict(
    wait=dict(type='bool', default=True),
    wait_timeout=dict(type='int', default=600),
)


class DigitalOceanModule:
    """Builds the AnsibleModule, checks the common options before any request, owns the client.

    Subclasses implement ``execute()``, recording what happens in ``self.report`` (the one channel
    for results); expected failures (API errors, TaskFailure) become ``fail_json`` with the API's
    details, the report so far and no traceback. ``scopes()`` names the token scopes the task
    needs, so a 403 can say which one is probably missing.
    """

    def __init__(self, argument_spec, **kwargs):
        spec = dict(COMMON_ARGUMENT_SPEC)
        spec.update(WAIT_ARGUMENT_SPEC)
        spec.update(argument_spec)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **kwargs)
        self.params = self.module.params
        self.report = TaskReport(check_mode=self.module.check_mode)
        self.client = None
        # Made first: every failure from here on goes through it.
        self.redact = Redactor(self.params.get('api_token'))
        if REQUESTS_IMPORT_ERROR:
            self.module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        self._check_common_options()
        self.client = DigitalOceanClient(
            self.params['api_url'], self.params['api_token'], timeout=self.params['timeout'],
            validate_certs=self.params['validate_certs'], redactor=self.redact,
            user_agent='oceanops.droplets/%s (ansible-core %s; python %s)' % (
                COLLECTION_VERSION, ANSIBLE_VERSION, platform.python_version()))
        # Forks on this controller with the same token share a request budget and poll rounds: the client
        # gets the gate (each request's turn), the waiter the reading strategy, decided here, once.
        coordinator = coordinator_for(self.params['api_url'], self.params['api_token'],
                                      shared=self.params['shared_budget'], log=self.module.debug, warn=self.module.warn)
        self.client.gate = coordinator.gate
        reads = reads_for(self.client, coordinator)
        self.report.on_accepted = lambda actions: reads.changing(a.get('resource_id') for a in actions)
        self.waiter = Waiter(self.client, reads)
        self.deadline = self.waiter.deadline_after(self.params['wait_timeout'])
        self.client.deadline = self.deadline

    def _check_common_options(self):
        params = self.params
        if not (params['api_token'] or '').strip():
            self.fail('api_token is required: set it, or one of the environment variables %s' % ', '.join(TOKEN_ENV_VARS))
        try:
            cleaned = check_token(params['api_token'])
        except ValueError as refused:
            self.fail(str(refused))
        # Ansible masks only the value it was given (with its newline): the stripped one is masked before
        # it is written back, or the invocation would show it at -vvv.
        self.mask(cleaned)
        params['api_token'] = cleaned
        for option, ceiling in (('timeout', MAX_TIMEOUT_SECONDS), ('wait_timeout', MAX_WAIT_TIMEOUT_SECONDS)):
            value = params[option]
            if value is not None and not 0 < value <= ceiling:
                self.fail('%s must be a positive number of seconds, at most %d, got %s' % (option, ceiling, value))
        self._check_api_url(params['api_url'])

    def _check_api_url(self, url):
        url = url or ''
        parts = urlsplit(url)
        if '@' in parts.netloc:
            userinfo = parts.netloc.rsplit('@', 1)[0]
            secrets = [parts.password, unquote(parts.password or ''), userinfo if parts.password else None]
            if len(parts.username or '') >= 8:  # a token put where a user name goes; a short name is no secret
                secrets += [parts.username, unquote(parts.username), userinfo]
            for secret in secrets:
                self.mask(secret)
            self.fail('api_url must not contain a user name or password (user:password@): the API is authenticated '
                      'by api_token only; got %s' % _without_userinfo(parts))
        if parts.scheme not in ('http', 'https') or not parts.hostname:
            self.fail('api_url must be an http(s) URL such as %s, got %r' % (DEFAULT_API_URL, url))
        if any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7f for char in url):
            self.fail('api_url must not contain whitespace or control characters, got %r' % url)
        if parts.query or parts.fragment or url.endswith(('?', '#')):
            self.fail('api_url must not have a query (?...) or fragment (#...), got %r' % url)
        try:
            parts.port
        except ValueError:
            self.fail('api_url has an invalid port (1 to 65535), got %r' % url)
        if parts.path not in ('', '/'):
            self.fail('api_url must not have a path (the module adds /v2/...), got %r' % url)
        if parts.scheme == 'http' and not _is_loopback(parts.hostname) and not self.params['allow_insecure_http']:
            self.fail('api_url %r is plain http to a host that is not loopback: the token would cross the network '
                      'unencrypted. Use https, or set allow_insecure_http=true if you really mean it' % url)

    def mask(self, secret):
        """Hide ``secret``, a value derived from a secret option, as Ansible hides the option: in the
        result, the failure and the invocation (no_log_values), and in every form the redactor knows."""
        if secret:
            self.redact.add(secret)
            self.module.no_log_values.add(secret)

    # -- results ----------------------------------------------------------------------------------
    @property
    def check_mode(self):
        return self.module.check_mode

    def warn(self, message):
        self.module.warn(message)

    def check_positive_id(self, option):
        """Ansible's int type lets ``true`` through as 1-like; an id must be a real positive integer."""
        value = self.params.get(option)
        if value is not None and (isinstance(value, bool) or value <= 0):
            self.fail('%s must be a positive integer, got %r' % (option, value))

    def scopes(self):
        """The token scopes this task needs (named in the message of a 403)."""
        return ()

    def fail(self, msg, **extra):
        """The one way out on failure: msg and every result value pass through the redactor."""
        result = self.report.as_result()
        result.update(extra)
        if self.client is not None:  # a failure says what it spent too, and what another task's 429 cost it
            result['api_requests'] = self.client.stats['requests']
            if self.client.gate is not None:
                msg += self.client.gate.hold_note()
        self.module.fail_json(msg=self.redact(msg), **self.redact.data(result))

    def run(self):
        try:
            self.execute()
        except DigitalOceanAPIError as error:
            message = error.message
            if error.status == 403 and self.scopes():
                message += '; this task needs a token with the scopes %s' % ', '.join(self.scopes())
            self.fail(message, api_error=error.details())
        except WaitTimeout as timeout:
            self.fail(str(timeout), waited_seconds=round(timeout.waited or 0, 1))
        except TaskFailure as failure:
            self.fail(str(failure))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as error:
            # An answer of a shape nobody foresaw: still one failure, redacted, with the report so far.
            self.fail('Unexpected error: %s: %s' % (type(error).__name__, error), exception=traceback.format_exc())
        result = self.report.as_result()
        result['api_requests'] = self.client.stats['requests']
        self.module.exit_json(**self.redact.data(result))

    def execute(self):  # pragma: no cover - abstract
        raise NotImplementedError


def _without_userinfo(parts):
    """The URL with everything before '@' in its authority cut out, for messages."""
    return '%s://%s%s' % (parts.scheme, parts.netloc.rsplit('@', 1)[1], parts.path)


def _is_loopback(host):
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
