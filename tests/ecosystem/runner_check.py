"""Run demo/demo.yml through ansible-runner the way AWX runs a job, and check its job events.

The token reaches the job as AWX hands over a credential: the custom credential type documented in
docs/docsite/examples/awx_credential_type.yml is rendered (its injectors' env templates, with the
credential's inputs) into the private data directory's env/envvars. The simulator this script starts
accepts only that token, so every task that succeeds proves the injection works. Then:
- every task of the playbook has a runner_on_ok event, and none failed or was unreachable;
- each task's changed flag is what the demo promises, and the stats event agrees with the events;
- the token appears in no job event, no stdout and no artifact but ansible-runner's owner-only record of
  the job's environment (artifacts/<ident>/command, which holds every environment variable of the job).

Usage: python runner_check.py REPO_ROOT WORK_DIR   (ansible-runner, ansible-playbook and the installed
collection must be found through PATH and ANSIBLE_COLLECTIONS_PATH)
"""

import glob
import json
import os
import secrets
import shutil
import subprocess
import sys
import time

import jinja2
import yaml

from simulator_process import Simulator

# What demo/demo.yml promises, task by task: it powers web-01 off, shows a second run changes nothing,
# previews in check mode (changed, but nothing sent), powers it on, enables IPv6 on the web tag.
EXPECTED_CHANGED = {
    'Power off web-01 (sends one action and waits for it)': True,
    'Power off web-01 again (already off, sends nothing)': False,
    'Preview powering web-01 on (check mode, no POST)': True,
    'Power web-01 on': True,
    'Enable IPv6 on every Droplet tagged web (one request by tag)': True,
    'Show what happened': False,
}
IDENT = 'demo'


def render_credential_env(credential_type_file, inputs):
    """Render a credential type's env injectors the way AWX does: Jinja2 over the credential's inputs."""
    with open(credential_type_file) as handle:
        credential_type = yaml.safe_load(handle)
    fields = dict((field['id'], field) for field in credential_type['inputs']['fields'])
    missing = [name for name in credential_type['inputs'].get('required', []) if name not in inputs]
    if missing or set(inputs) - set(fields):
        raise SystemExit('credential inputs do not fit the credential type: %s' % sorted(set(missing) | (set(inputs) - set(fields))))
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return dict((name, environment.from_string(template).render(**inputs))
                for name, template in credential_type['injectors']['env'].items())


def prepare(root, pdd, env):
    shutil.rmtree(pdd, ignore_errors=True)
    for sub in ('project', 'env', 'inventory'):
        os.makedirs(os.path.join(pdd, sub))
    shutil.copy(os.path.join(root, 'demo', 'demo.yml'), os.path.join(pdd, 'project', 'demo.yml'))
    # AWX's own localhost: a local connection with the Python that runs ansible-playbook.
    with open(os.path.join(pdd, 'inventory', 'hosts'), 'w') as handle:
        handle.write('localhost ansible_connection=local ansible_python_interpreter="{{ ansible_playbook_python }}"\n')
    envvars = os.path.join(pdd, 'env', 'envvars')
    with os.fdopen(os.open(envvars, os.O_WRONLY | os.O_CREAT, 0o600), 'w') as handle:
        yaml.safe_dump(env, handle, default_flow_style=False)


def load_events(pdd):
    events = []
    for path in glob.glob(os.path.join(pdd, 'artifacts', IDENT, 'job_events', '*.json')):
        with open(path) as handle:
            events.append(json.load(handle))
    return sorted(events, key=lambda event: event.get('counter', 0))


def check_events(events, task_names):
    problems = []
    by_type = {}
    for event in events:
        by_type.setdefault(event['event'], []).append(event)
    for bad in ('runner_on_failed', 'runner_on_unreachable', 'runner_on_skipped'):
        for event in by_type.get(bad, []):
            if not event['event_data'].get('ignore_errors'):
                problems.append('%s for task %r' % (bad, event['event_data'].get('task')))
    ok_events = dict((event['event_data']['task'], event) for event in by_type.get('runner_on_ok', []))
    changed_total = 0
    for name in task_names:
        event = ok_events.get(name)
        if event is None:
            problems.append('no runner_on_ok for task %r' % name)
            continue
        changed = bool(event['event_data']['res'].get('changed'))
        changed_total += changed
        action = event['event_data'].get('resolved_action') or event['event_data'].get('task_action', '')
        if name in EXPECTED_CHANGED:
            expected = EXPECTED_CHANGED[name]
        elif action.startswith('oceanops.droplets.'):
            problems.append('task %r is new in demo/demo.yml: add what it promises to EXPECTED_CHANGED' % name)
            continue
        else:
            expected = False  # debug, assert and the like report, they change nothing
        if changed != expected:
            problems.append('task %r: changed=%s, expected %s' % (name, changed, expected))
    stats = by_type.get('playbook_on_stats', [])
    if len(stats) != 1:
        problems.append('expected one playbook_on_stats event, got %d' % len(stats))
    else:
        data = stats[0]['event_data']
        if data.get('ok', {}).get('localhost') != len(task_names):
            problems.append('stats ok=%s, expected %d' % (data.get('ok'), len(task_names)))
        if data.get('changed', {}).get('localhost', 0) != changed_total:
            problems.append('stats changed=%s, but %d task events changed' % (data.get('changed'), changed_total))
        if data.get('failures') or data.get('dark'):
            problems.append('stats report failures %s, unreachable %s' % (data.get('failures'), data.get('dark')))
    return problems, changed_total


def files_containing(directory, secret):
    found = []
    for dirpath, _dirs, files in os.walk(directory):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, 'rb') as handle:
                if secret.encode() in handle.read():
                    found.append(os.path.relpath(path, directory))
    return found


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    root, work_dir = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    os.makedirs(work_dir, exist_ok=True)
    token = 'dop_v1_' + secrets.token_hex(32)
    with Simulator(root, work_dir, 'runner', '--demo', '--action-seconds', '0.3', '--status-lag', '0.1',
                   '--token', token) as simulator:
        api_url = simulator.url
        env = render_credential_env(os.path.join(root, 'docs', 'docsite', 'examples', 'awx_credential_type.yml'),
                                    {'api_token': token})
        if token not in env.values():
            raise SystemExit('the credential type injects no variable with the token')
        # Not secrets: where the API is (an AWX job template sets it as an extra environment variable)
        # and where the collection is installed (an execution environment has it built in).
        env.update({'DIGITALOCEAN_API_URL': api_url, 'ANSIBLE_COLLECTIONS_PATH': os.environ['ANSIBLE_COLLECTIONS_PATH'],
                    'ANSIBLE_NOCOLOR': 'true'})
        pdd = os.path.join(work_dir, 'private_data_dir')
        prepare(root, pdd, env)
        started = time.monotonic()
        result = subprocess.run(['ansible-runner', 'run', pdd, '-p', 'demo.yml', '--ident', IDENT],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
        seconds = time.monotonic() - started
        stats = simulator.stats()
    with open(os.path.join(root, 'demo', 'demo.yml')) as handle:
        task_names = [task['name'] for play in yaml.safe_load(handle) for task in play.get('tasks', [])]
    events = load_events(pdd)
    problems, changed_total = check_events(events, task_names)
    if result.returncode != 0:
        problems.append('ansible-runner exited %d' % result.returncode)
    unauthorized = stats.get('status_counts', {}).get('401', 0)
    if unauthorized or not stats.get('requests_total'):
        problems.append('simulator saw %d requests, %d of them without the right token' % (stats.get('requests_total', 0), unauthorized))
    # The token is in the job's environment, so it sits where the environment is recorded: env/envvars (the
    # input AWX writes) and artifacts/<ident>/command, ansible-runner's owner-only record of the command and
    # environment it ran (AWX keeps it inside the job's private data dir). Everywhere else it is a leak.
    command_record = os.path.join(pdd, 'artifacts', IDENT, 'command')
    leaks = [leak for leak in files_containing(os.path.join(pdd, 'artifacts'), token)
             if leak != os.path.join(IDENT, 'command')] + files_containing(os.path.join(pdd, 'project'), token)
    if os.path.exists(command_record) and os.stat(command_record).st_mode & 0o077:
        problems.append('%s is readable by others' % command_record)
    if token.encode() in result.stdout:
        leaks.append('ansible-runner stdout')
    problems += ['token found in %s' % leak for leak in leaks]
    if problems:
        print(result.stdout.decode('utf-8', 'replace')[-4000:])
    for problem in problems:
        print('FAIL runner: ' + problem)
    print('ansible-runner: demo.yml in %.1f s, %d job events, %d tasks ok, %d changed, %d API requests, token in no event or output%s'
          % (seconds, len(events), len(task_names), changed_total, stats.get('requests_total', 0),
             '' if not leaks else ' (LEAKED)'))
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main(sys.argv)
