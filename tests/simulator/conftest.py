import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))            # the simulator package
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'contract'))   # spec_loader

from sim_harness import Api, ManualClock  # noqa: E402
from spec_loader import load_api  # noqa: E402


@pytest.fixture(scope='session')
def spec():
    return load_api()


@pytest.fixture
def api(spec):
    """A fresh simulator whose every API answer is validated against the spec. Its account's clock is the test's
    (ManualClock: api.pass_time and wait_action move it), so no window of a simulated action depends on how busy
    the machine is; real time is left to what is real (a delayed answer, a process starting)."""
    running = Api(contract=spec, clock=ManualClock())
    yield running
    running.close()


@pytest.fixture
def make_api(spec):
    """Start simulators with other settings (limits, tokens); all are closed after the test."""
    started = []

    def start(**options):
        options.setdefault('contract', spec)
        options.setdefault('clock', ManualClock())
        started.append(Api(**options))
        return started[-1]
    yield start
    for running in started:
        running.close()
