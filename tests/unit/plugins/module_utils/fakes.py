# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""In-memory stand-ins for the API client, a clock and a requests session, for unit tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import DigitalOceanAPIError


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class FakeClient:
    """Answers GETs from a dict of path -> body (or callable(params) -> body); records every call."""

    def __init__(self, routes=None):
        self.routes = dict(routes or {})
        self.calls = []
        self.posts = []
        self.server_time = None
        self.stats = dict(requests=0)

    def get(self, path, params=None):
        self.calls.append(('GET', path, params))
        if path not in self.routes:
            raise DigitalOceanAPIError('404 for %s' % path, status=404, method='GET', path=path)
        body = self.routes[path]
        return body(params) if callable(body) else body

    def paginate(self, path, key, params=None, limit=None):
        return iter(self.get(path, params).get(key, []))

    def post(self, path, body, params=None):
        self.calls.append(('POST', path, body))
        self.posts.append((path, body, params))
        return {'action': dict(id=len(self.posts), status='in-progress', type=body['type'])}


class FakeResponse:
    def __init__(self, status, body=None, headers=None, raw=None):
        self.status_code = status
        self.headers = dict(headers or {})
        self.content = raw if raw is not None else (json.dumps(body).encode() if body is not None else b'')

    def json(self):
        return json.loads(self.content.decode())


class FakeSession:
    """A requests.Session stand-in: each call pops the next scripted response or exception."""

    def __init__(self, script):
        self.script = list(script)
        self.headers = {}
        self.sent = []

    def request(self, method, url, params=None, json=None, timeout=None, verify=None):
        self.sent.append((method, url, params, json))
        outcome = self.script.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def droplet(**overrides):
    base = dict(id=101, name='web-01', status='active', locked=False, features=[], size_slug='s-1vcpu-1gb',
                disk=25, kernel=None, backup_ids=[], snapshot_ids=[], image=dict(id=1, slug='ubuntu-24-04-x64'))
    base.update(overrides)
    return base
