import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))            # the simulator package
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'contract'))   # spec_loader

from sim_harness import Api  # noqa: E402
from spec_loader import load_api  # noqa: E402


@pytest.fixture(scope='session')
def spec():
    return load_api()


@pytest.fixture
def api(spec):
    """A fresh simulator whose every API answer is validated against the spec."""
    running = Api(contract=spec)
    yield running
    running.close()


@pytest.fixture
def make_api(spec):
    """Start simulators with other settings (limits, tokens); all are closed after the test."""
    started = []

    def start(**options):
        options.setdefault('contract', spec)
        started.append(Api(**options))
        return started[-1]
    yield start
    for running in started:
        running.close()
