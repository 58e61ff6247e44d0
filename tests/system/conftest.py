"""The system suite runs the real module against simulators in real time, on purpose: what it checks is
time itself (wait_timeout and timeout as deadlines, the poll schedule, pacing under the rate limit, 429
waits, leases and locks between processes), so its simulators keep the wall clock. Where a task must find
an action still running, the action lasts seconds, not tenths, so a loaded machine cannot miss it. The
simulator suite (tests/simulator) checks the simulator alone and moves a ManualClock instead.
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))              # the simulator package
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'simulator'))    # sim_harness

from sim_harness import Api  # noqa: E402


@pytest.fixture(autouse=True)
def own_shared_directory(tmp_path, monkeypatch):
    """Each test its own shared directory (a test that sets one itself overrides it). With the suite's tests side
    by side (pytest-xdist), a simulator's port is soon another test's, and what one test's module runs left in a
    common directory under the same token and URL, by a worker process still alive, made the next test's run a
    crowd member planning from those pages: a redirect test once saw no redirect at all."""
    monkeypatch.setenv('OCEANOPS_SHARED_DIR', str(tmp_path / 'oceanops-shared'))


@pytest.fixture
def sim():
    running = Api()
    running.configure(action_seconds={'default': 0.2}, status_lag_seconds=0.05)
    yield running
    running.close()
