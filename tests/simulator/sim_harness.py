"""Run a simulator for a test: in-process on a free loopback port, or as a ``python3 -m simulator`` process.

``Api(contract=spec)`` validates every API answer the test receives against the OpenAPI spec
(the request too when the API accepted it), so no test can read a body the spec would reject.
"""

import os
import subprocess
import sys
import time

import requests

from simulator.server import Simulator, serve
from simulator.state import Config, Store

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class ManualClock:
    """A clock that stands still until the test moves it: an action ends, a status follows, only when told,
    however slow the machine is (real time would let a loaded machine miss a 0.3 s window)."""

    def __init__(self, start=None):
        self.now = time.time() if start is None else start

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class Api:
    """A running simulator and a requests session with a token, for one test."""

    def __init__(self, per_minute=250, per_hour=5000, tokens=(), contract=None, action_seconds=0.2, status_lag=0.1,
                 clock=None, **simulator_options):
        # clock: the account's clock (actions, status lag, timestamps); a ManualClock makes time a test's to move.
        self.clock = clock or time.time
        store = Store(Config(action_seconds=action_seconds, status_lag=status_lag), clock=self.clock)
        self.sim = Simulator(store, tokens=tokens, per_minute=per_minute, per_hour=per_hour, **simulator_options)
        self.server = serve(self.sim)
        self.base = 'http://127.0.0.1:%d' % self.server.server_address[1]
        self.session = requests.Session()
        self.session.headers['Authorization'] = 'Bearer test-token'
        self.contract = contract
        self.checked = 0  # answers validated against the spec

    def call(self, method, path, **kwargs):
        """One API request; with a contract, its exchange is validated before the test sees it."""
        response = self.session.request(method, self.base + path, timeout=10, **kwargs)
        json_answer = 'json' in response.headers.get('Content-Type', 'application/json')
        if self.contract is not None and json_answer and method != 'HEAD':  # the spec defines no HEAD operation
            self.validate(method, path, kwargs, response)
        return response

    def validate(self, method, path, kwargs, response):
        from spec_loader import check_exchange  # pylint: disable=import-outside-toplevel
        query = dict((key, str(value)) for key, value in (kwargs.get('params') or {}).items())
        check_exchange(self.contract, {
            'method': method, 'path': path, 'query': query, 'request_body': kwargs.get('json'),
            'status': response.status_code, 'response_headers': dict(response.headers),
            'response_body': response.json() if response.content else None})
        self.checked += 1

    def control(self, method, name, body=None):
        response = requests.request(method, self.base + '/_sim/' + name, json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def configure(self, **settings):
        return self.control('POST', 'config', settings)

    def faults(self, *faults, **random_faults):
        return self.control('POST', 'faults', dict(faults=list(faults), **random_faults))

    def stats(self):
        return self.control('GET', 'stats')

    def seed(self, **spec):
        return self.control('POST', 'droplets', spec)['droplets']

    def pass_time(self, seconds):
        """Let ``seconds`` pass on the account's clock: moved at once if it is a ManualClock, else slept through."""
        if isinstance(self.clock, ManualClock):
            self.clock.advance(seconds)
        else:
            time.sleep(seconds)

    def wait_action(self, action_id, limit=5.0):
        """The action once it is no longer in progress (``limit``: seconds of the account's clock)."""
        waited = 0.0
        while True:
            action = self.call('GET', '/v2/actions/%d' % action_id).json()['action']
            if action['status'] != 'in-progress':
                return action
            assert waited < limit, 'action %d still in progress after %s s' % (action_id, limit)
            self.pass_time(0.03)
            waited += 0.03

    def close(self):
        self.session.close()
        self.server.shutdown()
        self.server.server_close()


class SimProcess:
    """``python3 -m simulator`` with the given options on a free port; ``startup_seconds`` is measured.

    ``command`` and ``cwd`` start it another way (e.g. by path from elsewhere); ``scheme`` is https with --tls.
    """

    def __init__(self, tmp_path, *options, command=None, cwd=ROOT, scheme='http', env=None):
        self.port_file = str(tmp_path / 'sim.port')
        self.log_path = str(tmp_path / 'sim.log')
        started = time.monotonic()
        command = command or [sys.executable, '-m', 'simulator']
        with open(self.log_path, 'w') as log:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                command + ['--port', '0', '--port-file', self.port_file] + list(options),
                cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        while not self.ready():
            if self.process.poll() is not None or time.monotonic() - started > 10:
                self.stop()
                raise RuntimeError('the simulator did not start: %s' % self.output())
            time.sleep(0.005)
        self.startup_seconds = time.monotonic() - started
        with open(self.port_file) as handle:
            self.base = '%s://127.0.0.1:%s' % (scheme, handle.read().strip())

    def ready(self):
        return os.path.exists(self.port_file) and 'listening on' in self.output()

    def cert_path(self):
        """The certificate file the simulator says it serves (the line ``TLS certificate: PATH``)."""
        for line in self.output().splitlines():
            if line.startswith('TLS certificate: '):
                return line[len('TLS certificate: '):].strip()
        raise AssertionError('no TLS certificate line in: %s' % self.output())

    def output(self):
        with open(self.log_path) as handle:
            return handle.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        return self.process.returncode
