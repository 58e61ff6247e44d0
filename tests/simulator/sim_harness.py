"""Start a simulator in-process on a free loopback port, for the simulator tests."""

import requests

from simulator.server import Simulator, serve
from simulator.state import Config, Store


class Api:
    """A running simulator and a requests session with a token, for one test."""

    def __init__(self, per_minute=250, per_hour=5000, tokens=()):
        self.sim = Simulator(Store(Config(action_seconds=0.2, status_lag=0.1)), tokens=tokens, per_minute=per_minute,
                             per_hour=per_hour)
        self.sim.defaults = {'action_seconds': 0.2, 'status_lag': 0.1}
        self.server = serve(self.sim)
        self.base = 'http://127.0.0.1:%d' % self.server.server_address[1]
        self.session = requests.Session()
        self.session.headers['Authorization'] = 'Bearer test-token'

    def call(self, method, path, **kwargs):
        return self.session.request(method, self.base + path, timeout=10, **kwargs)

    def control(self, method, name, body=None):
        response = requests.request(method, self.base + '/_sim/' + name, json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def configure(self, **settings):
        return self.control('POST', 'config', settings)

    def faults(self, *faults, **random_faults):
        return self.control('POST', 'faults', dict(faults=list(faults), **random_faults))

    def stats(self):
        return self.control('GET', 'stats')

    def seed(self, **spec):
        return requests.post(self.base + '/_sim/droplets', json=spec, timeout=10).json()['droplets']

    def close(self):
        self.server.shutdown()
        self.server.server_close()
