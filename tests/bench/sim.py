"""A simulator process for one benchmark run, and the /_sim control calls the runner needs."""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request


class Simulator:
    """``python3 -m simulator`` on a free loopback port, with the real rate limits unless told otherwise."""

    def __init__(self, root, action_seconds=2.0, status_lag=0.5, per_minute=250, per_hour=5000, record=None,
                 rate_limit_mode=None):
        self.root = root
        self.options = ['--action-seconds', str(action_seconds), '--status-lag', str(status_lag),
                        '--rate-limit-minute', str(per_minute), '--rate-limit-hour', str(per_hour), '--quiet']
        if rate_limit_mode:  # strict: refused requests count against the window too (see limiter_modes)
            self.options += ['--rate-limit-mode', rate_limit_mode]
        if record:
            self.options += ['--record', record]
        self.process = None
        self.url = None
        self._dir = None

    def __enter__(self):
        self._dir = tempfile.TemporaryDirectory(prefix='bench-sim-')
        port_file = os.path.join(self._dir.name, 'port')
        self._log = open(os.path.join(self._dir.name, 'simulator.log'), 'w')
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'simulator', '--host', '127.0.0.1', '--port', '0', '--port-file', port_file]
            + self.options, cwd=self.root, stdout=self._log, stderr=subprocess.STDOUT)
        for unused in range(100):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        else:
            self.__exit__(None, None, None)
            raise RuntimeError('the simulator did not write its port file')
        if self.process.poll() is not None:
            raise RuntimeError('the simulator exited: %s' % open(self._log.name).read())
        self.url = 'http://127.0.0.1:%s' % open(port_file).read().strip()
        self.control('GET', '/_sim/health')
        return self

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        self._dir.cleanup()

    def control(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read() or b'{}')

    def seed(self, count, tag, status):
        """Droplets named TAG-0001... with the tag, like ``--fleet TAG=COUNT:STATUS``; returns their ids."""
        made = self.control('POST', '/_sim/droplets', dict(count=count, tag=tag, name_prefix='%s-' % tag, status=status))
        return [droplet['id'] for droplet in made['droplets']]

    def stats(self):
        return self.control('GET', '/_sim/stats')

    def log_since(self, seq):
        return self.control('GET', '/_sim/log?since=%d' % seq)['entries']

    def last_seq(self):
        entries = self.control('GET', '/_sim/log')['entries']
        return entries[-1]['seq'] if entries else 0


def limiter_modes(root):
    """The --rate-limit-mode values this simulator accepts (its --help), or () if it has no such option."""
    done = subprocess.run([sys.executable, '-m', 'simulator', '--help'], cwd=root, capture_output=True, text=True,
                          check=False)
    match = re.search(r'--rate-limit-mode\s+\{([a-z,]+)\}', done.stdout)
    if match:
        return tuple(match.group(1).split(','))
    return ('strict', 'lenient') if '--rate-limit-mode' in done.stdout else ()
