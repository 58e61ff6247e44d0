"""A seeded random soak: faults on a share of requests, and never a duplicated action."""

import os
import random

import pytest

from module_call import run

# 100 runs at 15 % make about as many faults as 200 at 8 % did, in half the requests: the module paces
# itself under DigitalOcean's 250 a minute (shared budget), so requests, not runs, set the soak's time.
RUNS = int(os.environ.get('SOAK_RUNS', '100'))
FAULT_RATE = float(os.environ.get('SOAK_FAULT_RATE', '0.15'))
# The runs are split into chunks, each with its own simulator, Droplet and seeds, so that the suite's
# workers (pytest-xdist) run them side by side: a run's time is mostly the module waiting out its own
# retry backoff, real time that no chunk can shorten for another. Together they make the RUNS runs.
CHUNKS = 4
# The causes a failure message may name: an HTTP status, a transport error, a timeout, or an errored action.
CAUSES = ('HTTP ', 'Could not reach', 'did not answer', 'not JSON', 'Timed out', 'ended errored', 'failed:')


@pytest.mark.parametrize('chunk', range(CHUNKS))
def test_random_faults_never_duplicate_an_action(sim, chunk):
    runs = RUNS // CHUNKS + (1 if chunk < RUNS % CHUNKS else 0)
    # Lift the per-minute limit: this soak is about faults; 250/min would make it wait out real 429s.
    sim.configure(action_seconds={'default': 0.05}, status_lag_seconds=0.02,
                  rate_limit={'per_minute': 100000, 'per_hour': 100000})
    droplet = sim.seed(count=1)[0]
    sim.faults(random={'rate': FAULT_RATE, 'seed': 20261125 + chunk,
                       'kinds': ['status', 'reset_before', 'reset_after', 'truncate', 'non_json']})
    rng = random.Random(7 + chunk)
    outcomes = {'changed': 0, 'unchanged': 0, 'failed': 0}
    for number in range(runs):
        wanted = rng.choice(['power_off', 'power_on'])
        before = sim.stats()['actions'].get(str(droplet['id']), {})
        failed, result = run(sim, droplet_id=droplet['id'], type=wanted, timeout=1, wait_timeout=60)
        after = sim.stats()['actions'].get(str(droplet['id']), {})
        new_actions = sum(after.values()) - sum(before.values())
        assert new_actions <= 1, 'run %d (%s) created %d actions' % (number, wanted, new_actions)
        if failed:
            outcomes['failed'] += 1
            assert any(cause in result['msg'] for cause in CAUSES), 'run %d failed without a cause: %s' % (
                number, result['msg'])
        elif result['changed']:
            outcomes['changed'] += 1
            assert new_actions == 1 and after.get(wanted, 0) == before.get(wanted, 0) + 1
        else:
            outcomes['unchanged'] += 1
            assert new_actions == 0
    assert sum(outcomes.values()) == runs
    assert outcomes['changed'] > runs // 4  # the soak really exercised changes, not only no-ops
    print('soak outcomes: %s, faults seen: %s' % (outcomes, sim.stats()['status_counts']))
