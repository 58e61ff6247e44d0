"""The benchmark scenarios. Each run gets a fresh simulator, so its counters are that run's alone."""

import json
import math
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

import analysis
from lock_probe import LockProbe
from sim import Simulator, limiter_modes
from targets import late_target

# How long one power_off lasts in the fleet scenarios (3, 4, 5), and the status lag everywhere.
FLEET_ACTION_SECONDS = 10.0
STATUS_LAG_SECONDS = 0.5
WAIT_TIMEOUT = 900
HOST_FORKS = 20
CROWD_FORKS = 50
# Scenario 8: this many hosts, split among 1, 2 or 4 controllers on one token.
CONTROLLERS_HOSTS = 200
# Scenario 8's record of requests and 429s over time, in steps of this many seconds.
TIMELINE_STEP = 5.0
BURST_PER_MINUTE = 6
IMPORT_WATCH = ('ansible_collections.oceanops.droplets.plugins.modules.droplet_action', 'ansible.module_utils.basic',
                'ansible_collections.oceanops.droplets.plugins.module_utils.api_client', 'requests', 'urllib3',
                'ansible_collections.oceanops.droplets.plugins.module_utils.droplet_runner')


def simulator_startup_seconds(root, *options, repeats=3):
    """Median seconds from starting ``python3 -m simulator`` to its port file and health answer.

    Moved here from tests/simulator, which asserted it under a second: a wall-clock assert fails on a
    loaded machine, and speed is the benchmark's to measure.
    """
    samples = []
    for unused in range(repeats):
        with tempfile.TemporaryDirectory(prefix='bench-sim-start-') as folder:
            port_file = os.path.join(folder, 'port')
            started = time.monotonic()
            process = subprocess.Popen([sys.executable, '-m', 'simulator', '--port', '0', '--port-file', port_file,
                                        '--quiet'] + list(options), cwd=root, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.STDOUT)
            try:
                while not (os.path.exists(port_file) and open(port_file).read().strip()):
                    if process.poll() is not None or time.monotonic() - started > 30:
                        raise RuntimeError('the simulator did not start')
                    time.sleep(0.005)
                url = 'http://127.0.0.1:%s/_sim/health' % open(port_file).read().strip()
                urllib.request.urlopen(url, timeout=10).read()
                samples.append(time.monotonic() - started)
            finally:
                process.terminate()
                process.wait(10)
    return sorted(samples)[len(samples) // 2]


class Bench:
    def __init__(self, root, ansible, startup_seconds=None, fleet_seconds=FLEET_ACTION_SECONDS,
                 status_lag=STATUS_LAG_SECONDS):
        self.root = root
        self.status_lag = status_lag
        self.ansible = ansible
        self.startup_seconds = startup_seconds  # wall time of a no-op task, set by the start-up scenario
        self.fleet_seconds = fleet_seconds

    # -- plumbing -----------------------------------------------------------------------------
    def measure(self, sim, action_seconds, run):
        """Run ``run()`` (an ansible.playbook result) and add what the simulator saw meanwhile."""
        before = sim.stats()
        seq = sim.last_seq()
        outcome = run()
        after = sim.stats()
        entries = sim.log_since(seq)
        delta = analysis.stats_delta(before, after)
        results = outcome['results']
        record = dict(wall=outcome['wall'], rc=outcome['rc'], output=outcome['output'],
                      hosts=len(results), failed=sum(1 for r in results if r['status'] != 'ok'),
                      changed=sum(1 for r in results if r.get('changed')),
                      module_api_requests=sum(r.get('api_requests') or 0 for r in results),
                      requests=delta['requests_total'], by_endpoint=delta['requests'], posts=delta['posts_total'],
                      status_counts=delta['status_counts'], http_429=delta['status_counts'].get('429', 0),
                      retries=analysis.retries(entries), action_seconds=action_seconds,
                      failures=[r.get('msg') for r in results if r['status'] != 'ok'][:3])
        timing = analysis.action_timing(entries, action_seconds) if action_seconds else None
        if timing:
            record['timing'] = timing
            # Seconds the playbook ran past the last action's end: noticing it, settling, reporting, exiting.
            record['tail_after_last_end'] = outcome['ended'] - timing['last_end']
        return record

    def action_run(self, sim, action_seconds, extra, inventory=None, forks=5, extra_env=None):
        extra = dict(extra, bench_api_url=sim.url, bench_type='power_off', bench_wait_timeout=WAIT_TIMEOUT)
        inventory = inventory or self.ansible.localhost()
        return self.measure(sim, action_seconds,
                            lambda: self.ansible.playbook('action.yml', inventory, extra, forks, extra_env))

    # -- scenarios ----------------------------------------------------------------------------
    def startup(self, repeats=3):
        """Where the time of a no-op task goes: ansible-playbook itself, any module, this module."""
        timings = dict(debug=[], ping=[], noop=[])
        loop = {}
        with Simulator(self.root) as sim:
            droplet_id = sim.seed(1, 'one', 'off')[0]
            inventory = self.ansible.localhost()
            for unused in range(repeats):
                timings['debug'].append(self.ansible.playbook('startup_debug.yml', inventory)['wall'])
                timings['ping'].append(self.ansible.playbook('startup_ping.yml', inventory)['wall'])
                noop = self.action_run(sim, None, dict(droplet_id=droplet_id))
                timings['noop'].append(noop['wall'])
            for count in (1, 11):
                extra = dict(bench_api_url=sim.url, bench_droplet_id=droplet_id, bench_loop=count)
                loop[count] = self.measure(sim, None, lambda: self.ansible.playbook('noop_loop.yml', inventory, extra))
        medians = dict((key, sorted(values)[len(values) // 2]) for key, values in timings.items())
        self.startup_seconds = medians['noop']
        per_run = (loop[11]['wall'] - loop[1]['wall']) / 10.0
        simulator = dict(plain=simulator_startup_seconds(self.root),
                         fleet=simulator_startup_seconds(self.root, '--fleet', 'web=1000:active', '--fleet', 'db=3:off'))
        return dict(name='start-up', medians=medians, samples=timings, per_module_run=per_run,
                    loop_requests=loop[11]['requests'] - loop[1]['requests'], imports=self.import_times(),
                    simulator=simulator)

    def import_times(self):
        """python -X importtime of the module as installed: what importing it costs, by top-level package."""
        env = dict(os.environ, PYTHONPATH=self.ansible.collections)
        started = time.time()
        subprocess.run([sys.executable, '-c', 'pass'], check=True)
        bare = time.time() - started
        started = time.time()
        done = subprocess.run([sys.executable, '-X', 'importtime', '-c',
                               'import ansible_collections.oceanops.droplets.plugins.modules.droplet_action'],
                              env=env, check=True, capture_output=True, text=True)
        with_module = time.time() - started
        # Lines read "import time: self | cumulative | <indent by depth>name". A package's cumulative time
        # counts only where it was first imported, so the watched names are the ones that matter here.
        cumulative = {}
        for line in done.stderr.splitlines():
            parts = line.split('|')
            if len(parts) == 3 and parts[1].strip().isdigit():
                cumulative[parts[2].strip()] = int(parts[1]) / 1e6
        watched = [(name, cumulative[name]) for name in IMPORT_WATCH if name in cumulative]
        module = cumulative.get(IMPORT_WATCH[0], 0.0)
        return dict(python_bare=bare, python_with_module=with_module, module_import=module, imports=watched)

    def noop_one(self):
        """Scenario 1: power_off of a Droplet that is already off."""
        with Simulator(self.root, status_lag=self.status_lag) as sim:
            droplet_id = sim.seed(1, 'one', 'off')[0]
            record = self.action_run(sim, None, dict(droplet_id=droplet_id))
        record.update(scenario=1, name='one Droplet, already off', target_requests=1)
        return [record]

    def one_with_wait(self, lengths=(5, 30, 300)):
        """Scenario 2: power_off with wait on one Droplet, the action lasting T seconds."""
        records = []
        for seconds in lengths:
            with Simulator(self.root, action_seconds=seconds, status_lag=self.status_lag) as sim:
                droplet_id = sim.seed(1, 'one', 'active')[0]
                record = self.action_run(sim, seconds, dict(droplet_id=droplet_id))
            record.update(scenario=2, name='one Droplet, power_off, T = %g s' % seconds, target_late=late_target(seconds))
            if self.startup_seconds is not None:
                record['wall_minus_t_minus_startup'] = record['wall'] - seconds - self.startup_seconds
            records.append(record)
        return records

    def fleet_by_tag(self, sizes=(10, 100, 1000), status='active', lag=None):
        """Scenario 3 (active fleet, power_off by tag) and 5 (status off: a no-op).

        ``lag`` overrides the status lag, to see what a slower status change costs a big fleet.
        """
        records = []
        lag = self.status_lag if lag is None else lag
        for count in sizes:
            with Simulator(self.root, action_seconds=self.fleet_seconds, status_lag=lag) as sim:
                sim.seed(count, 'web', status)
                seconds = self.fleet_seconds if status == 'active' else None
                record = self.action_run(sim, seconds, dict(bench_tag='web'))
            record.update(fleet=count, status_lag=lag)
            suffix = '' if lag == self.status_lag else ', status lag %g s' % lag
            if status == 'active':
                record.update(scenario=3, name='tag web, %d Droplets, power_off%s' % (count, suffix),
                              target_late=late_target(self.fleet_seconds), target_requests=40 if count == 1000 else None)
            else:
                record.update(scenario=5, name='tag web, %d Droplets already off%s' % (count, suffix),
                              target_requests=math.ceil(count / 200.0))
            records.append(record)
        return records

    def burst_429(self):
        """Scenario 6: a burst 429 (per-minute limit met) while polling: is Retry-After honoured, no more?"""
        record_path = os.path.join(self.ansible.work, 'burst-record.jsonl')
        if os.path.exists(record_path):
            os.remove(record_path)
        # A per-minute limit of 6 makes the fifth poll of one 5-second power_off meet the burst limit.
        with Simulator(self.root, action_seconds=5, status_lag=self.status_lag, per_minute=BURST_PER_MINUTE,
                       record=record_path) as sim:
            droplet_id = sim.seed(1, 'one', 'active')[0]
            record = self.action_run(sim, 5, dict(droplet_id=droplet_id))
            entries = sim.log_since(0)
        with open(record_path) as handle:
            lines = [json.loads(line) for line in handle if line.strip()]
        waits = analysis.waits_after_429(entries, lines)
        record.update(scenario=6, name='one Droplet, power_off, T = 5 s, burst limit %d a minute' % BURST_PER_MINUTE,
                      waits_after_429=waits, target_late=None)
        return [record]

    def host_by_host(self, sizes=(10, 100)):
        """Scenario 4: one host per Droplet, one droplet_action task each, forks 20."""
        records = []
        for count in sizes:
            with Simulator(self.root, action_seconds=self.fleet_seconds, status_lag=self.status_lag) as sim:
                ids = sim.seed(count, 'web', 'active')
                hosts = dict(('web-%04d' % (index + 1), dict(droplet_id=droplet_id)) for index, droplet_id in enumerate(ids))
                inventory = self.ansible.inventory(hosts)
                record = self.action_run(sim, self.fleet_seconds, {}, inventory=inventory, forks=HOST_FORKS)
            record.update(scenario=4, fleet=count, name='%d hosts, one task each, forks %d' % (count, HOST_FORKS),
                          target_late=late_target(self.fleet_seconds))
            records.append(record)
        return records

    def host_by_host_crowd(self, sizes=(50, 200), modes=('lenient', 'strict'), forks=CROWD_FORKS, shared=(True, False)):
        """Scenario 7: host by host, forks 50, with and without the shared budget, in each limiter mode.

        strict: the simulator counts refused requests against the window too (what collapsed 50 forks
        before the adaptive schedule). A mode the simulator does not offer yet is recorded as not run.
        """
        offered = limiter_modes(self.root)
        for mode in modes:
            for count in sizes:
                for shared_budget in shared:
                    name = '%d hosts, forks %d, %s limiter, %s' % (
                        count, forks, mode, 'shared budget' if shared_budget else 'no shared directory')
                    if count >= 1000 and not shared_budget:
                        yield dict(scenario=7, name=name, fleet=count, limiter=mode, shared=shared_budget,
                                   not_run='without the shared directory a host costs about 9 to 11 requests '
                                           '(200 hosts); 1,000 would pass the hourly quota of 5,000')
                        continue
                    if (offered and mode not in offered) or (not offered and mode != 'lenient'):
                        yield dict(scenario=7, name=name, fleet=count, limiter=mode, shared=shared_budget,
                                   not_run='this simulator has no --rate-limit-mode %s' % mode)
                        continue
                    record = self._crowd_run(count, forks, mode if offered else None, shared_budget, name)
                    record['limiter'] = mode if offered else 'lenient (the simulator\'s only mode)'
                    yield record  # one at a time, so run.py saves each as it ends

    def _crowd_run(self, count, forks, mode, shared, name):
        env = {} if shared else dict(OCEANOPS_SHARED_BUDGET='false')
        with Simulator(self.root, action_seconds=self.fleet_seconds, status_lag=self.status_lag,
                       rate_limit_mode=mode) as sim:
            ids = sim.seed(count, 'web', 'active')
            hosts = dict(('web-%04d' % (index + 1), dict(droplet_id=droplet_id)) for index, droplet_id in enumerate(ids))
            inventory = self.ansible.inventory(hosts)
            record = self.action_run(sim, self.fleet_seconds, {}, inventory=inventory, forks=forks, extra_env=env)
            if shared:
                # The same play again, every Droplet now off: nothing to send or wait for. Its requests show what a
                # no-op costs in a crowd (a plan from a shared page is confirmed by the task's own read, issue
                # 17); at 1,000 hosts its wall time is what this machine needs to run the module processes at all.
                rerun = self.action_run(sim, None, {}, inventory=inventory, forks=forks, extra_env=env)
                record['noop_rerun'] = dict((key, rerun[key]) for key in (
                    'wall', 'requests', 'by_endpoint', 'failed', 'changed', 'hosts', 'rc', 'http_429'))
        polls = record['by_endpoint'].get('GET /v2/actions', 0)
        # The Droplet re-reads after the actions, shared as pages of the list (counted per host below).
        record['droplet_list_reads'] = record['by_endpoint'].get('GET /v2/droplets', 0)
        record.update(scenario=7, fleet=count, forks=forks, shared=shared, name=name, shared_poll_rounds=polls,
                      per_host_besides_rounds=(record['requests'] - polls) / float(count),
                      target_late=late_target(self.fleet_seconds))
        return record

    def controllers_one_token(self, hosts=CONTROLLERS_HOSTS, counts=(1, 2, 4), modes=('lenient', 'strict'),
                              forks=CROWD_FORKS, passes=1):
        """Scenario 8: 1, 2 and 4 controllers (AWX job slices, execution nodes) started together against one
        simulator with one token, each its own OCEANOPS_SHARED_DIR and slice of the hosts, in each limiter mode;
        all of it ``passes`` times (a result that holds, holds run after run; each pass is compared with its own
        one-controller run).

        They share nothing but the token: each one's shared budget knows only its own forks' requests."""
        offered = limiter_modes(self.root)
        for number in range(1, passes + 1):
            for mode in modes:
                for count in counts:
                    name = '%d hosts, %d controller%s of %d, forks %d each, %s limiter%s' % (
                        hosts, count, '' if count == 1 else 's', hosts // count, forks, mode,
                        ', pass %d' % number if passes > 1 else '')
                    if (offered and mode not in offered) or (not offered and mode != 'lenient'):
                        yield dict(scenario=8, name=name, fleet=hosts, controllers=count, limiter=mode, passed=number,
                                   not_run='this simulator has no --rate-limit-mode %s' % mode)
                        continue
                    log = os.path.join(self.ansible.work, 's8-c%d-%s-p%d.log.jsonl' % (count, mode, number))
                    record = self._controllers_run(hosts, count, forks, mode if offered else None, log)
                    record.update(scenario=8, name=name, fleet=hosts, controllers=count, forks=forks, limiter=mode,
                                  passed=number)
                    yield record

    def _controllers_run(self, hosts, count, forks, mode, log):
        with Simulator(self.root, action_seconds=self.fleet_seconds, status_lag=self.status_lag,
                       rate_limit_mode=mode) as sim:
            ids = sim.seed(hosts, 'web', 'active')
            names = ['web-%04d' % (index + 1) for index in range(hosts)]
            extra = dict(bench_api_url=sim.url, bench_type='power_off', bench_wait_timeout=WAIT_TIMEOUT)
            inventories = [self.ansible.inventory_named('c%dof%d' % (part + 1, count), dict(
                (names[index], dict(droplet_id=ids[index])) for index in range(part, hosts, count)))
                for part in range(count)]

            # Controllers are machines of their own (AWX execution nodes); here they share 2 CPUs, and each
            # ansible-playbook polls its workers' results every 1 ms by default: four of them spinning starved the
            # module processes and the simulator (a shared page's lease held over 20 s). 50 ms, in every run of
            # this scenario, one controller's too.
            env = dict(ANSIBLE_CONFIG=self.ansible.config('controllers.cfg', 'internal_poll_interval = 0.05\n'))

            def run_all():  # every controller its own shared directory (Ansible.start gives each run one)
                started = [self.ansible.start('action.yml', inventory, extra, forks, env) for inventory in inventories]
                outcomes = [self.ansible.finish(run) for run in started]
                return dict(wall=max(o['ended'] for o in outcomes) - min(o['started'] for o in outcomes),
                            started=min(o['started'] for o in outcomes), ended=max(o['ended'] for o in outcomes),
                            rc=max(o['rc'] for o in outcomes), output=outcomes[0]['output'],
                            results=[result for o in outcomes for result in o['results']],
                            per_controller=[dict(wall=o['wall'], rc=o['rc'], hosts=len(o['results'])) for o in outcomes])
            probe = LockProbe(os.path.join(self.ansible.work, 'shared', '*', '*.budget'))
            probe.start()
            try:
                record = self.measure(sim, self.fleet_seconds, run_all)
            finally:
                record_lock = probe.stop()
            record['budget_lock'] = record_lock
            entries = sim.log_since(0)
            record['timeline'] = timeline(entries)
            with open(log, 'w') as handle:  # every request, for a closer look (not in the report)
                for entry in entries:
                    handle.write(json.dumps(dict((key, entry.get(key)) for key in (
                        'seq', 'time', 'method', 'template', 'query', 'status'))) + '\n')
            record['log'] = log
            return record


def timeline(entries, step=TIMELINE_STEP):
    """[requests, 429s] in each ``step`` seconds from the first request: where a run met the limit."""
    api = [entry for entry in entries if entry['path'].startswith('/v2/')]
    if not api:
        return []
    first = api[0]['time']
    buckets = [[0, 0] for unused in range(int((api[-1]['time'] - first) // step) + 1)]
    for entry in api:
        bucket = buckets[int((entry['time'] - first) // step)]
        bucket[0] += 1
        bucket[1] += entry['status'] == 429
    return buckets
