"""Start ``python3 -m simulator`` on a free loopback port for a replay, and stop it (documented CLI only)."""

import os
import subprocess
import sys
import tempfile
import time


class SimulatorProcess:
    """``with SimulatorProcess(root, *options) as sim: sim.url``"""

    def __init__(self, root, *options):
        self.work = tempfile.mkdtemp(prefix='oceanops-conformance-')
        self.port_file = os.path.join(self.work, 'sim.port')
        self.log_path = os.path.join(self.work, 'simulator.log')
        with open(self.log_path, 'w', encoding='utf-8') as log:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                [sys.executable, '-m', 'simulator', '--host', '127.0.0.1', '--port', '0', '--port-file', self.port_file,
                 '--quiet'] + list(options), cwd=root, stdout=log, stderr=subprocess.STDOUT)
        self.url = self._wait_for_port()

    def _wait_for_port(self):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.process.poll() is None:
            if os.path.exists(self.port_file):
                with open(self.port_file, encoding='utf-8') as handle:
                    port = handle.read().strip()
                if port:
                    return 'http://127.0.0.1:%s' % port
            time.sleep(0.05)
        self.stop()
        with open(self.log_path, encoding='utf-8') as log:
            raise OSError('the simulator did not start: %s' % log.read()[-2000:])

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()
