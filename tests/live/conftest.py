"""Fixtures for the live suite's dry path: a simulator process standing in for the real API, the built
and installed collection, and a helper that runs tests/live/run.py as ``make test-live`` would.

Nothing here reaches beyond 127.0.0.1: the upstream is always a simulator started by the test.
"""

import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, 'tests', 'conformance'))
BIN = os.path.dirname(sys.executable)
TAG_LINE = re.compile(r'run tag (oceanops-live-[0-9a-f]{8})')


class Sim:
    """``python3 -m simulator`` on a free loopback port, with helpers to read it (control API and API)."""

    def __init__(self, work, *options):
        self.port_file = str(work / 'sim.port')
        self.log = str(work / 'sim.log')
        with open(self.log, 'w', encoding='utf-8') as log:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                [sys.executable, '-m', 'simulator', '--host', '127.0.0.1', '--port', '0', '--port-file', self.port_file,
                 '--quiet', '--action-seconds', '0.3', '--status-lag', '0.1'] + list(options),
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not (os.path.exists(self.port_file) and open(self.port_file, encoding='utf-8').read().strip()):
            assert self.process.poll() is None and time.monotonic() < deadline, open(self.log, encoding='utf-8').read()
            time.sleep(0.05)
        with open(self.port_file, encoding='utf-8') as handle:
            self.url = 'http://127.0.0.1:%s' % handle.read().strip()

    def request(self, method, path, body=None, token='dry-reader'):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header('Authorization', 'Bearer %s' % token)
        if data is not None:
            request.add_header('Content-Type', 'application/json')
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw.strip() else None

    def stats(self):
        return self.request('GET', '/_sim/stats')

    def droplets(self, tag=None):
        return self.request('GET', '/v2/droplets?per_page=200' + ('&tag_name=%s' % tag if tag else ''))['droplets']

    def seed_bystander(self):
        """A Droplet that is not the run's: the cleanup must leave it alone."""
        return self.request('POST', '/_sim/droplets', {'name': 'bystander-01', 'tags': ['production']})['droplets'][0]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def sim(tmp_path):
    running = Sim(tmp_path)
    yield running
    running.stop()


@pytest.fixture(scope='session')
def collections(tmp_path_factory):
    """The collection built and installed the way a user gets it (what make test-live runs)."""
    work = tmp_path_factory.mktemp('collection')
    galaxy = os.path.join(BIN, 'ansible-galaxy')
    subprocess.run([galaxy, 'collection', 'build', '--force', '--output-path', str(work)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    tarball = [name for name in os.listdir(str(work)) if name.endswith('.tar.gz')][0]
    subprocess.run([galaxy, 'collection', 'install', '--force', '-p', str(work / 'collections'), str(work / tarball)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return str(work / 'collections')


def live_env(upstream, **extra):
    """The environment of a dry live run: opt-in set, a fresh fake token, the simulator as upstream."""
    env = dict(os.environ, OCEANOPS_LIVE='yes', DIGITALOCEAN_TOKEN='dry-%s' % secrets.token_hex(16),
               OCEANOPS_LIVE_UPSTREAM=upstream, OCEANOPS_LIVE_POLL='0.2', PATH=BIN + os.pathsep + os.environ['PATH'])
    for key in ('DIGITALOCEAN_API_URL', 'DIGITALOCEAN_ACCESS_TOKEN', 'DO_API_TOKEN', 'DO_API_KEY', 'DO_OAUTH_TOKEN',
                'OAUTH_TOKEN'):
        env.pop(key, None)
    env.update(extra)
    return env


def run_live(args, env, timeout=240):
    """tests/live/run.py with ``args``; (exit status, combined output)."""
    done = subprocess.run([sys.executable, os.path.join(HERE, 'run.py')] + list(args), env=env, timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    return done.returncode, done.stdout


def records(path):
    with open(path, encoding='utf-8') as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope='session')
def dry_run(tmp_path_factory, collections):
    """One full dry run of the live suite, shared by the tests that check it from every side."""
    work = tmp_path_factory.mktemp('dry')
    sim = Sim(work)
    bystander = sim.seed_bystander()
    env = live_env(sim.url)
    status, output = run_live(['run', '--collections', collections, '--record-dir', str(work / 'records')], env)
    tag = TAG_LINE.search(output).group(1)
    result = dict(sim=sim, status=status, output=output, tag=tag, token=env['DIGITALOCEAN_TOKEN'], bystander=bystander,
                  record=str(work / 'records' / ('%s.jsonl' % tag)), work=work,
                  requests_total=sim.stats()['requests_total'])  # before the tests' own reads
    yield result
    sim.stop()


def replay(record, *options):
    return subprocess.run([sys.executable, os.path.join(ROOT, 'tests', 'conformance', 'replay.py'), record, '--root', ROOT]
                          + list(options), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=120, check=False)
