"""The model test of issue 17: random crowds and world events, every task checked against a lone run.

Each scenario is drawn from a seeded generator: twin Droplets in a start state; maybe someone else's
power action that ends just before a crowd member reads the shared pages (so the page shows the status
from before: the status lags); then up to two events after the page (a guest shutdown with no action,
another tool's quick power action, a deletion); then the task (power_on or power_off) on one twin in
the crowd and on the other alone (the oracle). The result must be the same: failed and why, changed,
the actions sent, the Droplet's state at the end.

The simulator runs in real time (actions, status lag), so this test does too; it asserts no duration.
The tasks run in this process, the crowd's other member in its own: a new process per task would take
longer to start than the shared round (2 s) that some of these cases live in.
"""

import random
import time

from crowd_oracle import crowd, other_tool, outcome, read_shared_pages, wait_for_status
from module_call import run

SEED = 17
SCENARIOS = 12
FLIP = {'active': ('power_off', 'off'), 'off': ('power_on', 'active')}


def draw(rng):
    return dict(start=rng.choice(['active', 'off']), lagging=rng.random() < 0.3,
                after=[rng.choice(['guest', 'other', 'delete']) for unused in range(rng.randint(0, 2))],
                task=rng.choice(['power_on', 'power_off']))


def live_through(sim, twins, scenario, filler):
    """The scenario's world events on both twins, the shared pages read where the scenario says."""
    state = scenario['start']
    if scenario['lagging']:
        sim.configure(status_lag_seconds=2.5)
        for droplet_id in twins:
            other_tool(sim, droplet_id, FLIP[state][0])
        state = FLIP[state][1]
        time.sleep(1.1)  # the API's times have one-second steps: a second after it ended, within the lag
    read_shared_pages(sim, filler)
    sim.configure(status_lag_seconds=0.05)
    wait_for_status(sim, twins, state)
    for event in scenario['after']:
        if event == 'delete':
            for droplet_id in twins:
                sim.call('DELETE', '/v2/droplets/%d' % droplet_id)
            return
        if event == 'guest' and state == 'active':  # shutdown -h now in the guest: no action anywhere
            for droplet_id in twins:
                sim.control('PATCH', 'droplets/%d' % droplet_id, dict(status='off'))
            state = 'off'
        elif event == 'other':
            for droplet_id in twins:
                other_tool(sim, droplet_id, FLIP[state][0])
            state = FLIP[state][1]
            wait_for_status(sim, twins, state)


def test_in_random_crowds_and_events_every_task_ends_as_it_would_alone(sim, tmp_path, monkeypatch):
    sim.configure(rate_limit=dict(per_minute=5000))  # the test's own reads of the world are not the point here
    rng = random.Random(SEED)
    mismatches = []
    for number in range(SCENARIOS):
        scenario = draw(rng)
        filler = sim.seed(count=1)[0]['id']
        twins = [droplet['id'] for droplet in sim.seed(count=2, status=scenario['start'])]
        member = crowd(sim, tmp_path, monkeypatch, name='shared-%d' % number)
        try:
            live_through(sim, twins, scenario, filler)
            args = dict(type=scenario['task'], timeout=5, wait_timeout=20)
            crowded = outcome(sim, twins[0], *run(sim, droplet_id=twins[0], **args))
            lone = outcome(sim, twins[1], *run(sim, droplet_id=twins[1], shared_budget=False, **args))
        finally:
            member.stop()
        if crowded != lone:
            mismatches.append((number, scenario, crowded, lone))
    assert not mismatches, "%d of %d scenarios ended otherwise in the crowd: %r" % (len(mismatches), SCENARIOS, mismatches)
