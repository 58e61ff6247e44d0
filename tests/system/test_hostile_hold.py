"""A 429 hold another task left in the shared budget: one probe, then what the API asks (issue 19)."""

from hostile_api import rate_limited
from hostile_checks import api, run_checked  # noqa: F401 pylint: disable=unused-import


def test_a_task_after_another_tasks_huge_retry_after_probes_and_says_what_the_hold_cost(api, tmp_path, monkeypatch):
    # Before: the second task slept the other task's hold (20 s here, up to 120 s), met a 429 and failed
    # without a word about that hold.
    monkeypatch.setenv('OCEANOPS_SHARED_DIR', str(tmp_path / 'shared'))
    droplet = api.seed()[0]
    api.on('GET', '^/v2/droplets/', rate_limited('20'), times=1)
    failed, first, seconds = run_checked(api, droplet_id=droplet['id'], type='power_off', wait_timeout=3)
    assert failed and 'HTTP 429' in first['msg']

    api.on('GET', '^/v2/droplets/', rate_limited('999999'), times=1)
    failed, second, seconds = run_checked(api, droplet_id=droplet['id'], type='power_off', wait_timeout=30)
    assert failed and 'HTTP 429' in second['msg'] and 'would pass the task deadline' in second['msg']
    assert 'hold set by another task' in second['msg'] and 'spent 0.0 s waiting on it' in second['msg'], second['msg']
    assert second['api_requests'] == 1 and api.posts() == []
