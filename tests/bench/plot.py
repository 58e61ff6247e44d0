"""Draw docs/benchmark.png from build/bench/results.json (runs in the bench virtualenv, with matplotlib).

Usage: plot.py RESULTS.json OUT.png
"""

import json
import math
import sys

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402  pylint: disable=wrong-import-position


def runs_of(results, scenario):
    """The runs of a scenario at the usual status lag (the slow-status sensitivity run is left out)."""
    usual = results.get('status_lag')
    return sorted((run for run in results['runs'] if run['scenario'] == scenario
                   and run.get('status_lag', usual) == usual),
                  key=lambda run: (run.get('fleet') or 0, run['action_seconds'] or 0))


def late(run):
    return (run.get('timing') or {}).get('noticed_after_last_end')


def single_droplet(axis, runs):
    lengths = [run['action_seconds'] for run in runs]
    axis.plot(lengths, [run['requests'] for run in runs], 'o-', label='requests (measured)')
    axis.plot(lengths, [1 + length / 2.0 for length in lengths], ':', color='grey', label='polling every 2 s')
    axis.set_xscale('log')
    axis.set_yscale('log')
    axis.set_xlabel('action length T (s)')
    axis.set_ylabel('requests')
    axis.set_title('2: one Droplet, power_off with wait')
    twin = axis.twinx()
    twin.plot(lengths, [late(run) for run in runs], 's-', color='tab:red', label='end noticed after (s)')
    twin.plot(lengths, [max(2.0, 0.1 * length) for length in lengths], '--', color='tab:red', alpha=0.5,
              label='target max(2 s, 10 % of T)')
    twin.set_ylabel('seconds late', color='tab:red')
    handles = axis.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    axis.legend(handles, [handle.get_label() for handle in handles], fontsize=7, loc='upper left')


def fleets(axis, results):
    series = [(3, 'by tag, power_off', 'o-'), (4, 'host by host, forks 20', 's-'), (5, 'by tag, already off', '^-')]
    for scenario, label, style in series:
        runs = runs_of(results, scenario)
        if runs:
            axis.plot([run['fleet'] for run in runs], [run['requests'] for run in runs], style, label=label)
    sizes = sorted(set(run['fleet'] for run in results['runs'] if run.get('fleet') and run['scenario'] in (3, 4, 5)))
    if sizes:
        axis.plot(sizes, [math.ceil(size / 200.0) for size in sizes], ':', color='grey', label='ceil(N/200)')
        if 1000 in sizes:
            axis.plot([1000], [40], 'x', color='black', markersize=9, label='target for 1,000 by tag (40)')
    axis.set_xscale('log')
    axis.set_yscale('log')
    axis.set_xlabel('Droplets')
    axis.set_ylabel('requests')
    axis.set_title('3/4/5: a fleet of N Droplets')
    axis.legend(fontsize=7)


def fleet_time(axis, results):
    for scenario, label, style in [(3, 'by tag', 'o-'), (4, 'host by host, forks 20', 's-')]:
        runs = runs_of(results, scenario)
        if not runs:
            continue
        sizes = [run['fleet'] for run in runs]
        walls = [run['wall'] for run in runs]
        axis.plot(sizes, walls, style, label=label)
        for size, wall, run in zip(sizes, walls, runs):
            axis.annotate('%d x 429' % run['http_429'], (size, wall), textcoords='offset points', xytext=(4, 4),
                          fontsize=7)
    axis.axhline(results['fleet_action_seconds'], color='grey', linestyle=':', label='action length T')
    axis.set_xscale('log')
    axis.set_yscale('log')
    axis.set_xlabel('Droplets')
    axis.set_ylabel('wall time (s)')
    axis.set_title('3 vs 4: wall time (labels: 429 answers met)')
    axis.legend(fontsize=7)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0]) as handle:
        results = json.load(handle)
    figure, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    single = runs_of(results, 2)
    if single:
        single_droplet(axes[0], single)
    fleets(axes[1], results)
    fleet_time(axes[2], results)
    figure.suptitle('oceanops.droplets against the simulator (250/min, 5,000/h): make bench, %s' % results['started'])
    figure.tight_layout()
    figure.savefig(argv[1], dpi=110)


if __name__ == '__main__':
    sys.exit(main())
