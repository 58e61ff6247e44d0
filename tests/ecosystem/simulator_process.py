"""Start the repository's API simulator on a free loopback port for one check, and stop it."""

import json
import os
import subprocess
import sys
import time
import urllib.request


class Simulator(object):
    def __init__(self, root, work_dir, name, *options):
        self.port_file = os.path.join(work_dir, '%s.port' % name)
        if os.path.exists(self.port_file):
            os.remove(self.port_file)
        self.log_path = os.path.join(work_dir, '%s-simulator.log' % name)
        with open(self.log_path, 'w') as log:
            self.process = subprocess.Popen([sys.executable, '-m', 'simulator', '--port', '0', '--port-file', self.port_file,
                                             '--quiet'] + list(options), cwd=root, stdout=log, stderr=subprocess.STDOUT)
        self.url = self._wait_for_port()

    def _wait_for_port(self):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if os.path.exists(self.port_file):
                with open(self.port_file) as handle:
                    port = handle.read().strip()
                if port:
                    return 'http://127.0.0.1:%s' % port
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise SystemExit('the simulator did not start, see %s' % self.log_path)

    def stats(self):
        with urllib.request.urlopen(self.url + '/_sim/stats', timeout=10) as response:
            return json.load(response)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()
