import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))              # the simulator package
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'simulator'))    # sim_harness

from sim_harness import Api  # noqa: E402


@pytest.fixture
def sim():
    running = Api()
    running.configure(action_seconds={'default': 0.2}, status_lag_seconds=0.05)
    yield running
    running.close()
