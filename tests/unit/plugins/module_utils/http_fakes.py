# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real requests.Session whose transport is a script: what requests itself does (auth, proxies
from the environment, .netrc, redirects) still happens, only the network is replaced."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from urllib.parse import parse_qsl, urlsplit


class Reply:
    """One scripted answer. ``chunk``: bytes per read; ``seconds_per_read``: fake time each read takes."""

    def __init__(self, status, body=None, headers=None, raw=None, chunk=None, seconds_per_read=0.0):
        self.status = status
        self.headers = dict(headers or {})
        self.content = raw if raw is not None else (json.dumps(body).encode() if body is not None else b'')
        self.chunk = chunk
        self.seconds_per_read = seconds_per_read


class FakeRaw:
    """The part of urllib3's HTTPResponse the client reads: read1/read without decoding, close."""

    def __init__(self, content, chunk, clock, seconds_per_read):
        self._content = content
        self._chunk = chunk
        self._clock = clock
        self._seconds_per_read = seconds_per_read
        self.reads = 0
        self.closed = False

    def read1(self, amt=None, decode_content=None):
        assert decode_content is False, 'the client decompresses itself, within its limit'
        size = min(amt, self._chunk or amt)
        data, self._content = self._content[:size], self._content[size:]
        self.reads += 1
        if self._clock is not None and self._seconds_per_read:
            self._clock.now += self._seconds_per_read
        return data

    def read(self, amt=None, decode_content=None):
        return self.read1(amt or len(self._content) or 1, False)

    def close(self):
        self.closed = True


class Sent:
    def __init__(self, request, kwargs):
        self.method = request.method
        self.url = request.url
        parts = urlsplit(request.url)
        self.origin = '%s://%s' % (parts.scheme, parts.netloc)
        self.path = parts.path
        self.params = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.headers = dict(request.headers)
        self.body = json.loads(request.body) if request.body else None
        self.kwargs = kwargs


class ScriptedAdapter(BaseAdapter):
    """Pops one Reply (or exception, or callable(request) -> either) per request; records each."""

    def __init__(self, script, clock=None):
        super(ScriptedAdapter, self).__init__()
        self.script = list(script)
        self.clock = clock
        self.sent = []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.sent.append(Sent(request, dict(stream=stream, timeout=timeout, verify=verify, proxies=proxies)))
        if not self.script:
            raise AssertionError('no scripted reply left for %s %s' % (request.method, request.url))
        outcome = self.script.pop(0)
        if callable(outcome) and not isinstance(outcome, Exception):
            outcome = outcome(request)
        if isinstance(outcome, Exception):
            raise outcome
        response = requests.Response()
        response.status_code = outcome.status
        response.headers = CaseInsensitiveDict(outcome.headers)
        response.raw = FakeRaw(outcome.content, outcome.chunk, self.clock, outcome.seconds_per_read)
        response.url = request.url
        response.request = request
        response.reason = 'scripted'
        return response

    def close(self):
        pass


def scripted_session(script, clock=None):
    session = requests.Session()
    adapter = ScriptedAdapter(script, clock)
    session.mount('http://', adapter)
    session.mount('https://', adapter)
    return session, adapter
