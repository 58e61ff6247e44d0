"""Turn build/bench/results.json into docs/benchmark.md: how to read it, targets vs measured, all runs.

Usage: report.py RESULTS.json OUT.md [GUIDE.rst]
       report.py --crowd-only RESULTS.json OUT.md [GUIDE.rst]   (rewrites only the scenario 7 sections)
       report.py --controllers-only RESULTS.json OUT.md [BEFORE.json]   (only scenario 8's; BEFORE.json: the
           same scenario measured on code without the token share, shown beside it)

With GUIDE.rst, the summary table between its two GUIDE_MARKS lines is rewritten too (the docsite's
scaling guide), so the published numbers are always the last benchmark's.
"""

import json
import re
import sys

import targets

ENDPOINT_SHORT = {
    'GET /v2/droplets/{droplet_id}': 'GET droplet',
    'GET /v2/droplets': 'GET droplets list',
    'POST /v2/droplets/{droplet_id}/actions': 'POST action',
    'POST /v2/droplets/actions': 'POST action by tag',
    'GET /v2/actions/{action_id}': 'GET action',
    'GET /v2/actions': 'GET actions list',
    'GET /v2/droplets/{droplet_id}/actions': 'GET droplet actions',
}


def seconds(value, digits=1):
    return '-' if value is None else '%.*f' % (digits, value)


def endpoints(record):
    items = sorted(record['by_endpoint'].items(), key=lambda item: -item[1])
    return ', '.join('%s %d' % (ENDPOINT_SHORT.get(key, key), count) for key, count in items) or 'none'


def noticed(timing):
    """The last end's lateness; with one action per host also each action's own (median, max)."""
    text = seconds(timing.get('noticed_after_last_end'), 2)
    if timing.get('actions', 0) > 1 and timing.get('late_max') is not None and timing['late_max'] - timing['late_median'] > 1:
        text += ' (each action: median %.2f, max %.2f)' % (timing['late_median'], timing['late_max'])
    return text


def run_rows(runs):
    runs = [run for run in runs if not run.get('not_run')]
    rows = ['| # | run | requests (simulator) | by endpoint | module says | 429s | retries | failed hosts '
            '| wall s | action time s | last end noticed after s | exit after last end s |',
            '| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |']
    for run in runs:
        timing = run.get('timing') or {}
        failed = '%d of %d' % (run['failed'], run['hosts']) if run['hosts'] else 'no result (rc %d)' % run['rc']
        rows.append('| %s | %s | %d | %s | %d | %d | %d | %s | %s | %s | %s | %s |' % (
            run['scenario'], run['name'], run['requests'], endpoints(run), run['module_api_requests'], run['http_429'],
            run['retries'], failed, seconds(run['wall']), seconds(timing.get('action_span')),
            noticed(timing), seconds(run.get('tail_after_last_end'), 2)))
    return rows


def startup_section(startup):
    if not startup:
        return []
    medians, imports = startup['medians'], startup['imports']
    lines = ['## Module start-up', '',
             'Median of three runs each, one host, connection local:', '',
             '| what runs | wall s | adds s |', '| --- | ---: | ---: |',
             '| ansible-playbook with one `debug` task (no module is executed) | %.2f | %.2f |'
             % (medians['debug'], medians['debug']),
             '| ... with `ansible.builtin.ping` instead (any module: AnsiballZ payload, a Python process) | %.2f | %.2f |'
             % (medians['ping'], medians['ping'] - medians['debug']),
             '| ... with the no-op `droplet_action` (scenario 1: one GET) | %.2f | %.2f |'
             % (medians['noop'], medians['noop'] - medians['ping']),
             '',
             'Within one play, each further no-op `droplet_action` run (a loop of 11 against a loop of 1) costs '
             '%.2f s and %d request(s) per run.' % (startup['per_module_run'], round(startup['loop_requests'] / 10.0)),
             '',
             '`python -X importtime` of the installed module: a bare `python -c pass` takes %.3f s, importing the '
             'module %.3f s more, of which (cumulative, each counted where first imported):'
             % (imports['python_bare'], imports['module_import']), '']
    lines += ['- `%s`: %.3f s' % (name, value) for name, value in imports['imports'][1:]]
    share = medians['debug'] / medians['noop'] if medians['noop'] else 0
    requests_import = dict(imports['imports']).get('requests')
    lines += ['', 'So %.0f %% of a no-op task is ansible-playbook itself (interpreter, ansible\'s imports, inventory, '
              'play setup). Running any module adds %.2f s (building the AnsiballZ payload, a new Python process, '
              '`ansible.module_utils.basic`, which ping imports too). This module adds %.2f s on top: its own '
              'imports (`requests` alone %s s) and its one request.'
              % (100 * share, medians['ping'] - medians['debug'], medians['noop'] - medians['ping'],
                 seconds(requests_import, 3)), '']
    simulator = startup.get('simulator')
    if simulator:
        lines += ['The simulator (`python3 -m simulator`, median of three) answers its first request %.2f s after it is '
                  'started, %.2f s with a seeded fleet of 1,003 Droplets.' % (simulator['plain'], simulator['fleet']), '']
    return lines


def render(results):
    runs = results['runs']
    startup = results.get('startup')
    lines = ['# Benchmark', '',
             'Written by `make bench` (tests/harness/bench.sh, scenarios in tests/bench/) on %s; Python %s, %s CPUs. '
             'Raw numbers: `build/bench/results.json`; per-run playbook output: `build/bench/*.out`.'
             % (results['started'], results['python'], results['cpus']), '',
             '![requests and lateness per scenario](benchmark.png)', '',
             '## How to read this', '',
             '- Every run starts a fresh simulator on a free loopback port with the real limits (250 requests a minute, '
             '5,000 an hour), actions lasting T seconds and Droplet status changing %g s after an action ends. '
             'The fleet scenarios use T = %g s.' % (results.get('status_lag', 0.5), results['fleet_action_seconds']),
             '- The module runs the way users run it: the collection built and installed with ansible-galaxy into a '
             'private collections path, `ansible-playbook` from the tool virtualenv, connection local.',
             '- **requests** is what the simulator counted (`/_sim/stats`) during the run, by endpoint; **module says** '
             'is the sum of the modules\' own `api_requests`, as a cross-check.',
             '- **429s** are the rate-limited answers (`status_counts`); **retries** are 429 or 5xx answers after which '
             'the same request came again (read from the simulator\'s request log).',
             '- **wall** is the whole `ansible-playbook` run, start-up included (see below). **action time** is from '
             'the first action\'s POST to the last action\'s end (POST time + T).',
             '- **last end noticed after** is the time from the last action\'s end to the first API response that '
             'showed it ended: how late the module noticed. **exit after last end** adds seeing the new status '
             '(the status lag), reporting, and ansible-playbook exiting.',
             '- Targets are measured and reported here, never asserted as tests: timing depends on the machine.',
             '']
    if not results.get('full') and any(run['scenario'] == 4 for run in runs):
        lines += ['Scenario 4 ran 10 and 100 hosts; the 1,000-host run needs `BENCH_FULL=1 make bench` (it takes '
                  'many minutes and, one module run per host, well over the per-minute limit).', '']
    lines += ['## Targets vs measured', '', '| target | measured | met |', '| --- | --- | --- |']
    lines += ['| %s | %s | %s |' % row for row in targets.check(results)]
    lines += ['', '## All runs', ''] + run_rows(runs) + ['']
    lines += startup_section(startup)
    lines += crowd_section(results)
    lines += controllers_section(results)
    lines += targets.notes(results)
    return '\n'.join(lines).rstrip() + '\n'


GUIDE_MARKS = ('.. benchmark-table-start', '.. benchmark-table-end')
CROWD_GUIDE_MARKS = ('.. crowd-table-start', '.. crowd-table-end')
CROWD_MARKS = ('<!-- scenario-7-start -->', '<!-- scenario-7-end -->')
CROWD_COMMAND = ('BENCH_ONLY=s7 BENCH_CROWD_SIZES="50 200" BENCH_RATE_LIMIT_MODES="lenient strict" make bench')


def section_start(results, scenario, marks, title, description, command):
    """The runs of ``scenario`` and the first lines of its section (none if it did not run): the mark, the title,
    what ran (``description``, with T for %g), when and where, the command and any note of the results."""
    runs = [run for run in results['runs'] if run['scenario'] == scenario]
    if not runs:
        return runs, []
    lines = [marks[0], '## ' + title, '',
             (description + ' Measured on %s (%s CPUs%s).') % (
                 results['fleet_action_seconds'], results['started'], results['cpus'],
                 ', load average %s at the start' % results['load'] if results.get('load') else ''), '',
             'Command: %s.' % command, '']
    if results.get('note'):  # e.g. runs merged from two passes: which code measured what
        lines += [results['note'], '']
    return runs, lines


def crowd_section(results):
    """Scenario 7: host by host at forks 50, shared budget or not, each limiter mode (issue 13)."""
    runs, lines = section_start(
        results, 7, CROWD_MARKS, 'Host by host at forks 50: the shared budget (scenario 7)',
        'One `droplet_action` power_off with wait per host (T = %g s), forks 50, every host on the controller '
        '(connection local), one token. **shared budget**: the default (`shared_budget: true`; each run its own '
        '`OCEANOPS_SHARED_DIR`). **no shared directory**: `OCEANOPS_SHARED_BUDGET=false`, the adaptive schedule '
        'alone. **strict** limiter: the simulator counts refused requests against the minute too '
        '(`--rate-limit-mode strict`); **lenient**: only admitted ones.',
        '`%s` (`BENCH_FULL=1` adds 1,000 hosts)' % CROWD_COMMAND)
    if not runs:
        return []
    if all(run['scenario'] == 7 for run in results['runs']):
        lines += ['This section comes from a run of scenario 7 alone; the rest of this page is from the last full '
                  '`make bench` and may predate the shared budget.', '']
    lines += ['**other requests a host** counts everything but the shared rounds of GET /v2/actions, the shared '
              'Droplet re-reads (pages of GET /v2/droplets, also shown apart) included.', '',
              '| run | limiter | requests | GET /v2/actions (shared rounds) | GET /v2/droplets (shared re-reads) '
              '| other requests a host | 429s | failed hosts | wall s | last end noticed after s '
              '| each end noticed after s (median / max) |',
              '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |']
    for run in runs:
        if run.get('not_run'):
            lines.append('| %s | %s | not run: %s | | | | | | | | |' % (run['name'], run['limiter'], run['not_run']))
            continue
        timing = run.get('timing') or {}
        lines.append('| %s | %s | %d | %d | %d | %.2f | %d | %d of %d | %.1f | %s | %s / %s |' % (
            run['name'], run['limiter'], run['requests'], run['shared_poll_rounds'], run.get('droplet_list_reads', 0),
            run['per_host_besides_rounds'],
            run['http_429'], run['failed'], run['hosts'], run['wall'], seconds(timing.get('noticed_after_last_end'), 2),
            seconds(timing.get('late_median')), seconds(timing.get('late_max'))))
    lines += ['', 'Against the targets of issues 13 and 17:', '', '| target | measured | met |', '| --- | --- | --- |']
    lines += ['| %s | %s | %s |' % row for row in targets.crowd_rows(results)]
    return lines + ['', CROWD_MARKS[1], '']


CONTROLLERS_MARKS = ('<!-- scenario-8-start -->', '<!-- scenario-8-end -->')
CONTROLLERS_COMMAND = 'BENCH_ONLY=s8 make bench'


def controllers_table(runs):
    rows = ['| run | limiter | requests | x one controller | 429s | refused | failed hosts | wall s | budget lock held | '
            'by endpoint |', '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |']
    alone = targets.one_controller_runs(runs)
    for run in runs:
        if run.get('not_run'):
            rows.append('| %s | %s | not run: %s | | | | | | | |' % (run['name'], run['limiter'], run['not_run']))
            continue
        one = alone.get((run['limiter'], run.get('passed', 1)))
        factor = '-' if one is None else '%.2f' % (run['requests'] / float(max(1, one['requests'])))
        rows.append('| %s | %s | %d | %s | %d | %.1f %% | %d of %d | %.1f | %s | %s |' % (
            run['name'], run['limiter'], run['requests'], factor, run['http_429'],
            100.0 * run['http_429'] / max(1, run['requests']), run['failed'], run['hosts'], run['wall'],
            lock_held(run.get('budget_lock')), endpoints(run)))
    return rows


def lock_held(probed):
    """The budget lock probe (lock_probe.py): the share of probes that found a controller's lock held, and how
    long those waited for it (median / max ms); '-' for a run from before the probe."""
    if not probed or not probed.get('probes'):
        return '-'
    if not probed.get('max_ms'):
        return '0 of %d' % probed['probes']
    return '%.1f %% (%.0f / %.0f ms)' % (100 * probed['busy'], probed['median_ms'], probed['max_ms'])


def controllers_section(results, before=None):
    """Scenario 8: 1, 2 and 4 controllers on one token, each its own shared directory (issue 17, point 5)."""
    runs, lines = section_start(
        results, 8, CONTROLLERS_MARKS, 'Several controllers on one token (scenario 8)',
        'One `droplet_action` power_off with wait per host (T = %g s), 200 hosts split among 1, 2 or 4 '
        '`ansible-playbook` processes started together (AWX job slices or execution nodes), forks 50 each, each '
        'its own `OCEANOPS_SHARED_DIR`: they share only the token and the simulator. **budget lock held**: how '
        'often a probe found a controller\'s budget lock taken (each budget file tried every 0.2 s, '
        '`tests/bench/lock_probe.py`), and how long those probes waited for it (median / max).',
        '`%s`' % CONTROLLERS_COMMAND)
    if not runs:
        return []
    lines += controllers_table(runs)
    before_runs = [run for run in (before or {}).get('runs', []) if run['scenario'] == 8]
    if before_runs:
        lines += ['', 'Before: the same scenario on %s, on code where each controller\'s budget assumed the whole '
                  'token (no estimate of the others\' rate):' % before['started'], '']
        lines += controllers_table(before_runs)
    lines += ['', 'Against the targets of issue 17 (point 5):', '', '| target | measured | met |', '| --- | --- | --- |']
    rows = targets.controllers_rows(results)
    lines += ['| %s | %s | %s |' % row for row in rows]
    passes = max(run.get('passed', 1) for run in runs)
    if passes > 1:
        missed = [row[0] for row in rows if row[2] != 'yes']
        lines += ['', '%d passes (`BENCH_S8_PASSES=%d`): %s.' % (
            passes, passes, 'every target met in every pass' if not missed else '%d of %d targets missed' % (
                len(missed), len(rows)))]
    return lines + ['', CONTROLLERS_MARKS[1], '']


def replace_crowd_section(text, results):
    """The scenario 7 section of an existing report replaced (or added) from a run of scenario 7 alone."""
    return replace_section(text, crowd_section(results), CROWD_MARKS)


def replace_section(text, section_lines, marks):
    """The section between ``marks`` replaced by ``section_lines`` (or added at the end)."""
    section = '\n'.join(section_lines)
    start, end = (re.escape(mark) for mark in marks)
    pattern = re.compile(r'%s.*?%s\n*' % (start, end), re.S)
    if pattern.search(text):
        return pattern.sub(lambda match: section, text, count=1)
    return text.rstrip() + '\n\n' + section


def guide_table(results):
    """An RST list-table of the main runs: what a user pays in requests and in lateness."""
    rows = [('Run', 'API requests', '429 answers', 'Wall time (s)', 'Action end noticed after (s)')]
    for run in results['runs']:
        if run['scenario'] not in (1, 2, 3, 4, 5) or run.get('status_lag', results.get('status_lag')) != results.get('status_lag'):
            continue
        timing = run.get('timing') or {}
        # "-" alone would read as a nested bullet list in RST
        noticed_after = timing.get('noticed_after_last_end')
        rows.append((run['name'], str(run['requests']), str(run['http_429']), seconds(run['wall']),
                     'no action' if noticed_after is None else seconds(noticed_after, 2)))
    lines = ['Measured by ``make bench`` on %s (Python %s, %s CPUs), against the simulator with the real limits;'
             % (results['started'], results['python'], results['cpus']),
             'actions of the fleet runs last %g s. Wall time includes ``ansible-playbook`` start-up (about one second).'
             % results['fleet_action_seconds'], '', '.. list-table::', '   :header-rows: 1', '']
    for row in rows:
        lines.append('   * - %s' % row[0])
        lines += ['     - %s' % cell for cell in row[1:]]
    return lines


def crowd_guide_table(results):
    """An RST list-table of scenario 7 for the scaling guide's pattern section."""
    lines = ['Measured by ``make bench`` scenario 7 on %s (%s CPUs, load average %s), power_off with wait of %g s'
             % (results['started'], results['cpus'], results.get('load', 'not recorded'), results['fleet_action_seconds']),
             'per host, forks 50:', '', '.. list-table::', '   :header-rows: 1', '',
             '   * - Run', '     - API requests', '     - Shared rounds (actions + Droplets)', '     - 429 answers',
             '     - Failed hosts', '     - Wall time (s)']
    for run in results['runs']:
        if run['scenario'] != 7:
            continue
        if run.get('not_run'):
            lines += ['   * - %s' % run['name'], '     - not run: %s' % run['not_run']] + ['     - n/a'] * 4
            continue
        lines += ['   * - %s' % run['name'], '     - %d' % run['requests'],
                  '     - %d + %d' % (run['shared_poll_rounds'], run.get('droplet_list_reads', 0)),
                  '     - %d' % run['http_429'], '     - %d of %d' % (run['failed'], run['hosts']),
                  '     - %.0f' % run['wall']]
    return lines


def replace_between_marks(text, new_lines, marks=GUIDE_MARKS):
    start, end = (re.escape(mark) for mark in marks)
    pattern = re.compile(r'(%s\n).*?(\n%s)' % (start, end), re.S)
    if not pattern.search(text):
        raise SystemExit('the guide has no %s ... %s section' % marks)
    return pattern.sub(lambda match: match.group(1) + '\n' + '\n'.join(new_lines) + '\n' + match.group(2), text, count=1)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == '--controllers-only':  # report.py --controllers-only RESULTS.json REPORT.md [BEFORE.json]
        with open(argv[1]) as handle:
            results = json.load(handle)
        before = None
        if len(argv) > 3:
            with open(argv[3]) as handle:
                before = json.load(handle)
        with open(argv[2]) as handle:
            text = handle.read()
        with open(argv[2], 'w') as handle:
            handle.write(replace_section(text, controllers_section(results, before), CONTROLLERS_MARKS))
        return 0
    if argv and argv[0] == '--crowd-only':  # report.py --crowd-only RESULTS.json REPORT.md: only scenario 7
        with open(argv[1]) as handle:
            results = json.load(handle)
        with open(argv[2]) as handle:
            text = handle.read()
        with open(argv[2], 'w') as handle:
            handle.write(replace_crowd_section(text, results))
        if len(argv) > 3:
            write_guide(argv[3], crowd_guide_table(results), CROWD_GUIDE_MARKS)
        return 0
    with open(argv[0]) as handle:
        results = json.load(handle)
    with open(argv[1], 'w') as handle:
        handle.write(render(results))
    if len(argv) > 2:
        write_guide(argv[2], guide_table(results), GUIDE_MARKS)
        if any(run['scenario'] == 7 for run in results['runs']):
            write_guide(argv[2], crowd_guide_table(results), CROWD_GUIDE_MARKS)


def write_guide(path, lines, marks):
    with open(path) as handle:
        guide = handle.read()
    with open(path, 'w') as handle:
        handle.write(replace_between_marks(guide, lines, marks))


if __name__ == '__main__':
    sys.exit(main())
