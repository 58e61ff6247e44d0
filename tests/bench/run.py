"""make bench: run the scenarios and write every measurement to a JSON file (report.py turns it into the table).

Usage: run.py --root REPO --work DIR --collections DIR --results FILE [--only s1 s2 ...] [--full]
"""

import argparse
import json
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ansible_run import Ansible  # noqa: E402  pylint: disable=wrong-import-position
from scenarios import Bench  # noqa: E402  pylint: disable=wrong-import-position

SCENARIOS = ('startup', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's8')
SLOW_STATUS_LAG = 5.0
TITLES = dict(s1='1: one Droplet already off', s2='2: one Droplet, power_off with wait, action of T s',
              s3='3: a tagged fleet, power_off by tag', s4='4: the fleet host by host, forks 20',
              s5='5: a tagged fleet already off', s6='6: a burst 429 while waiting: Retry-After honoured, no more',
              s7='7: host by host, forks 50, with and without the shared budget, each limiter mode',
              s8='8: several controllers on one token, each its own shared directory, each limiter mode')


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--root', required=True, help='the repository (where python3 -m simulator runs)')
    parser.add_argument('--simulator-root', help='run the simulator package from here instead (a frozen copy)')
    parser.add_argument('--work', required=True, help='directory for inventories, outputs and logs')
    parser.add_argument('--collections', required=True, help='the private collections path with the installed collection')
    parser.add_argument('--results', required=True)
    parser.add_argument('--only', nargs='+', choices=SCENARIOS, help='run only these scenarios')
    parser.add_argument('--full', action='store_true', help='add the 1,000-host run of scenario 4')
    parser.add_argument('--lengths', nargs='+', type=float, default=[5, 30, 300], help='T values of scenario 2')
    parser.add_argument('--status-lag', type=float, default=0.5, help='seconds the status lags an action (default 0.5)')
    parser.add_argument('--fleets', nargs='+', type=int, default=[10, 100, 1000], help='fleet sizes of 3 and 5')
    parser.add_argument('--crowd-sizes', nargs='+', type=int, default=[50, 200], help='host counts of scenario 7')
    parser.add_argument('--rate-limit-modes', nargs='+', default=['lenient', 'strict'], choices=['lenient', 'strict'],
                        help='simulator limiter modes of scenarios 7 and 8 (strict: refused requests count too)')
    parser.add_argument('--crowd-variants', nargs='+', default=['shared', 'local'], choices=['shared', 'local'],
                        help='scenario 7 with the shared budget, without the shared directory (local), or both')
    parser.add_argument('--passes', type=int, default=1, help='scenario 8: run it all this many times')
    parser.add_argument('--controllers', nargs='+', type=int, default=[1, 2, 4],
                        help='controller counts of scenario 8 (200 hosts split among them)')
    return parser.parse_args(argv)


def say(text):
    print('[%s] %s' % (time.strftime('%H:%M:%S'), text), flush=True)


def summary(record):
    if record.get('not_run'):
        return 'not run: %s' % record['not_run']
    parts = ['%d requests' % record['requests'], '%d x 429' % record['http_429'], 'wall %.1f s' % record['wall']]
    if record.get('timing') and record['timing'].get('noticed_after_last_end') is not None:
        parts.append('last end noticed +%.2f s' % record['timing']['noticed_after_last_end'])
    if 'shared_poll_rounds' in record:
        parts.append('%.2f requests a host + %d GET /v2/actions' % (record['per_host_besides_rounds'],
                                                                    record['shared_poll_rounds']))
    if record['failed'] or record['rc'] or not record['hosts']:
        parts.append('FAILED hosts %d (rc %d)' % (record['failed'], record['rc']))
    return ', '.join(parts)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    chosen = set(args.only or SCENARIOS)
    for name in ('root', 'work', 'collections', 'results'):
        setattr(args, name, os.path.abspath(getattr(args, name)))
    os.makedirs(os.path.join(args.work, 'tmp'), exist_ok=True)
    bench = Bench(os.path.abspath(args.simulator_root or args.root), Ansible(args.work, args.collections),
                  status_lag=args.status_lag)
    results = dict(started=time.strftime('%Y-%m-%d %H:%M:%S'), python=platform.python_version(),
                   cpus=os.cpu_count(), full=args.full, fleet_action_seconds=bench.fleet_seconds,
                   status_lag=bench.status_lag, load='%.2f %.2f %.2f' % os.getloadavg(), runs=[])

    def save():
        with open(args.results, 'w') as handle:
            json.dump(results, handle, indent=1, default=str)

    if 'startup' in chosen or 's2' in chosen:  # scenario 2 subtracts the start-up time
        say('start-up: debug, ping and no-op playbooks, python -X importtime')
        results['startup'] = bench.startup()
        say('start-up: no-op task %.2f s' % results['startup']['medians']['noop'])
        save()
    plan = [('s1', bench.noop_one, {}), ('s2', bench.one_with_wait, dict(lengths=args.lengths)),
            ('s3', bench.fleet_by_tag, dict(sizes=args.fleets)),
            # The same largest fleet when the status takes longer to change (how much the settling costs).
            ('s3', bench.fleet_by_tag, dict(sizes=[max(args.fleets)], lag=SLOW_STATUS_LAG)),
            ('s4', bench.host_by_host, dict(sizes=[10, 100] + ([1000] if args.full else []))),
            ('s5', bench.fleet_by_tag, dict(sizes=args.fleets, status='off')), ('s6', bench.burst_429, {}),
            ('s7', bench.host_by_host_crowd, dict(sizes=args.crowd_sizes + ([1000] if args.full else []),
                                                  modes=args.rate_limit_modes,
                                                  shared=[variant == 'shared' for variant in args.crowd_variants])),
            ('s8', bench.controllers_one_token, dict(counts=args.controllers, modes=args.rate_limit_modes,
                                                     passes=args.passes))]
    for key, function, options in plan:
        if key not in chosen:
            continue
        say(TITLES[key])
        for record in function(**options):
            say('  %s: %s' % (record['name'], summary(record)))
            results['runs'].append(record)
            save()
    results['ended'] = time.strftime('%Y-%m-%d %H:%M:%S')
    save()


if __name__ == '__main__':
    main()
