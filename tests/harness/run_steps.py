"""make test and make check: run the harness steps, side by side where they can be, and time each one.

A step starts once the steps it needs have passed and its lane is free. Steps in one lane run one after
another: the ansible-test steps share ansible-test's own virtualenvs under ~/.ansible/test, which two
ansible-test runs must not build at once. Steps in different lanes run at the same time, each in its
own copy of the tree (OCEANOPS_COPY_SUFFIX) and, where it starts one, with its own simulator on its own
port. Each step's output goes to build/steps/<step>.log and is printed once the step ends (in full when
it failed). The summary gives each step's wall time; build/test-times.json keeps them.

Usage: python3 run_steps.py test|check [--list]
"""

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HARNESS = os.path.join(ROOT, 'tests', 'harness')
BUILD = os.path.join(ROOT, 'build')
LOGS = os.path.join(BUILD, 'steps')
TAIL_LINES = 40  # printed of a passing step's log: enough for its summary lines


# What each kind of step's log says about how many tests ran, for the summary: the count of matching lines,
# the number in the last match, or the sum of the numbers (ansible-test units runs pytest twice).
TEST_COUNTS = (
    ('sanity tests', re.compile(r'^Running sanity test "'), 'lines'),
    ('integration targets', re.compile(r'^Running (\S+) integration test role'), 'lines'),
    ('tests', re.compile(r'^\S+: (\d+) tests, none skipped'), 'number'),
    ('checks', re.compile(r'^ecosystem: (\d+) passed'), 'number'),
    ('tests', re.compile(r'^=* ?(\d+) passed'), 'sum'),
)


def count_tests(lines):
    """'N <what>' from a step's log, or '' when it says nothing countable."""
    for label, pattern, how in TEST_COUNTS:
        found = [match for match in (pattern.search(line) for line in lines) if match]
        if found:
            numbers = [int(match.group(1)) for match in found] if how != 'lines' else []
            total = {'lines': len(found), 'number': numbers[-1] if numbers else 0, 'sum': sum(numbers)}[how]
            return '%d %s' % (total, label)
    return ''


class Step:
    def __init__(self, name, command, lane, needs=(), env=None):
        self.name, self.command, self.lane, self.needs = name, command, lane, tuple(needs)
        self.env = dict(env or {})
        self.env.setdefault('OCEANOPS_COPY_SUFFIX', name)
        self.state = 'waiting'  # then running, passed, failed or skipped (a step it needs failed)
        self.seconds = None
        self.counted = ''  # how many tests its log says ran


def harness(script, *args):
    return [os.path.join(HARNESS, script)] + list(args)


def suite(directory, **env):
    """A pytest suite as its own step (pytest_suites.sh runs one run per directory)."""
    return dict(env, PYTEST_SUITES=directory)


# The integration targets in shards that run side by side (about equal times measured); a target named
# in no shard joins the last one, so a new target always runs.
INTEGRATION_SHARDS = (
    ('droplet_action_state', 'droplet_action_busy', 'simulator_smoke'),
    ('droplet_action_power', 'droplet_action_info', 'droplet_action_failures', 'droplet_action_tag'),
)


def integration_targets():
    """The targets ansible-test runs: those with an aliases file."""
    folder = os.path.join(ROOT, 'tests', 'integration', 'targets')
    return sorted(name for name in os.listdir(folder) if os.path.isfile(os.path.join(folder, name, 'aliases')))


def integration_shards():
    every = integration_targets()
    shards = [[name for name in shard if name in every] for shard in INTEGRATION_SHARDS]
    named = set(name for shard in shards for name in shard)
    shards[-1].extend(name for name in every if name not in named)
    return [shard for shard in shards if shard]


def test_steps():
    """make test: every suite. Lane 'ansible-test' is sequential; the others run beside it."""
    tools = ('venv',)
    shards = [Step('integration-%d' % number, harness('integration.sh', *targets), 'integration-%d' % number,
                   tools) for number, targets in enumerate(integration_shards(), 1)]
    return [
        Step('venv', harness('ensure_venvs.sh', 'tools'), 'venv'),
        Step('eco-venv', harness('ensure_venvs.sh', 'eco'), 'eco'),
    ] + shards + [
        Step('sanity', harness('ansible_test.sh', 'sanity'), 'ansible-test', tools),
        Step('target-pythons', harness('target_pythons.sh'), 'ansible-test', ('sanity',)),
        Step('units', harness('ansible_test.sh', 'units'), 'ansible-test', ('target-pythons',)),
        Step('system', harness('pytest_suites.sh'), 'system', tools, suite('tests/system', PYTEST_WORKERS='6')),
        Step('simulator', harness('pytest_suites.sh'), 'suites', tools, suite('tests/simulator', PYTEST_WORKERS='2')),
        Step('live', harness('pytest_suites.sh'), 'suites', ('simulator',), suite('tests/live')),
        Step('contract', harness('pytest_suites.sh'), 'suites', [shard.name for shard in shards] + ['live'],
             suite('tests/contract')),
        Step('ecosystem', harness('ecosystem.sh'), 'eco', ('eco-venv',)),
    ]


def check_steps():
    """make check: the inner loop (sanity's fast tests, units, the simulator suite, touched system tests)."""
    tools = ('venv',)
    return [
        Step('venv', harness('ensure_venvs.sh', 'tools'), 'venv'),
        Step('sanity-fast', harness('ansible_test.sh', 'sanity-fast'), 'ansible-test', tools),
        Step('units', harness('ansible_test.sh', 'units'), 'ansible-test', ('sanity-fast',)),
        Step('simulator', harness('pytest_suites.sh'), 'suites', tools, suite('tests/simulator', PYTEST_WORKERS='2')),
        Step('system-touched', harness('system_touched.sh'), 'system', tools),
    ]


class Runner:
    def __init__(self, steps):
        self.steps = steps
        self.by_name = dict((step.name, step) for step in steps)
        self.lock = threading.Condition()
        self.busy_lanes = set()

    def ready(self, step):
        if step.state != 'waiting' or step.lane in self.busy_lanes:
            return False
        return all(self.by_name[name].state == 'passed' for name in step.needs)

    def skip_blocked(self):
        for step in self.steps:
            if step.state == 'waiting' and any(self.by_name[name].state in ('failed', 'skipped')
                                               for name in step.needs):
                step.state = 'skipped'

    def run(self):
        os.makedirs(LOGS, exist_ok=True)
        started = time.monotonic()
        threads = []
        with self.lock:
            while any(step.state in ('waiting', 'running') for step in self.steps):
                self.skip_blocked()
                for step in [s for s in self.steps if self.ready(s)]:
                    step.state = 'running'
                    self.busy_lanes.add(step.lane)
                    threads.append(threading.Thread(target=self.execute, args=(step,)))
                    threads[-1].start()
                    print('== started %s (%.0f s)' % (step.name, time.monotonic() - started), flush=True)
                self.lock.wait(1.0)
        for thread in threads:
            thread.join()
        return time.monotonic() - started

    def execute(self, step):
        log_path = os.path.join(LOGS, step.name + '.log')
        began = time.monotonic()
        with open(log_path, 'wb') as log:
            status = subprocess.call(step.command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, env=dict(os.environ, **step.env))
        with self.lock:
            step.seconds = time.monotonic() - began
            step.state = 'passed' if status == 0 else 'failed'
            self.busy_lanes.discard(step.lane)
            show_log(step, log_path)
            self.lock.notify_all()


def show_log(step, log_path):
    with open(log_path, 'rb') as handle:
        lines = handle.read().decode('utf-8', 'replace').splitlines()
    step.counted = count_tests(lines)
    shown = lines if step.state == 'failed' else lines[-TAIL_LINES:]
    cut = '' if len(shown) == len(lines) else ', last %d lines' % len(shown)
    print('== %s %s in %.0f s (log: %s%s)' % (step.name, step.state, step.seconds, os.path.relpath(log_path, ROOT), cut))
    print('\n'.join(shown), flush=True)


def summary(target, steps, wall):
    print('== make %s: step times (wall clock, steps overlap)' % target)
    for step in steps:
        seconds = '%6.0f s' % step.seconds if step.seconds is not None else '       -'
        print('  %-8s %-16s %s  %s' % (step.state, step.name, seconds, step.counted))
    print('  total wall time %.0f s (%.1f min)' % (wall, wall / 60.0))
    record = dict(target=target, wall_seconds=round(wall, 1),
                  steps=[dict(name=s.name, state=s.state, lane=s.lane, tests=s.counted,
                              seconds=None if s.seconds is None else round(s.seconds, 1)) for s in steps])
    with open(os.path.join(BUILD, '%s-times.json' % target), 'w') as handle:
        json.dump(record, handle, indent=2)
    counts = dict((state, sum(1 for s in steps if s.state == state)) for state in ('passed', 'failed', 'skipped'))
    skipped = ', %d skipped' % counts['skipped'] if counts['skipped'] else ''  # not run: a step they need failed
    print('steps: %d passed, %d failed%s' % (counts['passed'], counts['failed'], skipped))
    return counts['passed'] == len(steps)


def main(argv):
    target = argv[1] if len(argv) > 1 else 'test'
    steps = {'test': test_steps, 'check': check_steps}[target]()
    if '--list' in argv:
        for step in steps:
            print('%-16s lane %-13s needs %s' % (step.name, step.lane, ', '.join(step.needs) or '-'))
        return 0
    if target == 'test':  # the contract step reads every record there: none may be left from an older run
        shutil.rmtree(os.path.join(BUILD, 'integration-records'), ignore_errors=True)
    wall = Runner(steps).run()
    return 0 if summary(target, steps, wall) else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
