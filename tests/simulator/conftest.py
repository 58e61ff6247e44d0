import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'contract'))

from sim_harness import Api  # noqa: E402


@pytest.fixture
def api():
    running = Api()
    yield running
    running.close()
