"""Runs ansible-playbook the way a user does (installed collection, local connection) and times it."""

import json
import os
import secrets
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOKS = os.path.join(HERE, 'playbooks')


class Ansible:
    def __init__(self, work, collections):
        self.work = work
        self.collections = collections
        # A fresh random token: the simulator accepts any, and it is never printed.
        self.token = 'bench-' + secrets.token_hex(8)
        self.runs = 0

    def inventory(self, hosts):
        """A YAML-free inventory: {name: hostvars}; every host is the controller (connection local)."""
        path = os.path.join(self.work, 'inventory-%d.json' % len(hosts))
        data = {'all': {'hosts': hosts, 'vars': {'ansible_connection': 'local',
                                                 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}
        with open(path, 'w') as handle:
            json.dump(data, handle)
        return path

    def localhost(self):
        return self.inventory({'localhost': {}})

    def env(self, results_file, forks, extra_env=None):
        env = dict(os.environ)
        env.update(extra_env or {})
        env.update(ANSIBLE_COLLECTIONS_PATH=self.collections, ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, 'callback'),
                   ANSIBLE_CALLBACKS_ENABLED='bench_results', BENCH_RESULTS_FILE=results_file,
                   ANSIBLE_FORKS=str(forks), ANSIBLE_HOST_KEY_CHECKING='False', ANSIBLE_RETRY_FILES_ENABLED='False',
                   ANSIBLE_NOCOLOR='1', DIGITALOCEAN_TOKEN=self.token, ANSIBLE_LOCAL_TEMP=os.path.join(self.work, 'tmp'))
        # Our own settings only: a user's ansible.cfg would change what is measured (a scenario may name its own).
        env['ANSIBLE_CONFIG'] = (extra_env or {}).get('ANSIBLE_CONFIG') or self.config('ansible.cfg', '')
        return env

    def config(self, name, defaults):
        """An ansible.cfg of ours in the work directory: [defaults] and the lines ``defaults``."""
        path = os.path.join(self.work, name)
        if not os.path.exists(path):
            with open(path, 'w') as handle:
                handle.write('[defaults]\n' + defaults)
        return path

    def inventory_named(self, name, hosts):
        """inventory() under its own name: slices of one size (scenario 8) must not share a file."""
        path = self.inventory(hosts)
        named = os.path.join(self.work, 'inventory-%s.json' % name)
        os.replace(path, named)
        return named

    def playbook(self, name, inventory, extra_vars=None, forks=5, extra_env=None):
        """Run playbooks/NAME; returns wall time, exit code, the per-host results and the output's path."""
        return self.finish(self.start(name, inventory, extra_vars, forks, extra_env))

    def start(self, name, inventory, extra_vars=None, forks=5, extra_env=None):
        """Start playbooks/NAME without waiting for it (finish() waits): several controllers run together."""
        self.runs += 1
        stem = '%02d-%s' % (self.runs, name.replace('.yml', ''))
        results_file = os.path.join(self.work, stem + '.results.jsonl')
        output = os.path.join(self.work, stem + '.out')
        if os.path.exists(results_file):  # left by an earlier bench in the same directory
            os.remove(results_file)
        # Each run its own shared directory (budget and poll rounds), unless the scenario says otherwise.
        extra_env = dict(extra_env or {})
        extra_env.setdefault('OCEANOPS_SHARED_DIR', os.path.join(self.work, 'shared', stem))
        os.makedirs(os.path.dirname(extra_env['OCEANOPS_SHARED_DIR']), exist_ok=True)
        command = ['ansible-playbook', '-i', inventory, os.path.join(PLAYBOOKS, name)]
        if extra_vars:
            command += ['-e', json.dumps(extra_vars)]
        out = open(output, 'w')
        started = time.time()
        process = subprocess.Popen(command, env=self.env(results_file, forks, extra_env), stdout=out,
                                   stderr=subprocess.STDOUT, cwd=self.work)
        return dict(process=process, out=out, started=started, results_file=results_file, output=output)

    @staticmethod
    def finish(run):
        """Wait for a run start() began; its wall time, exit code, per-host results and output's path."""
        code = run['process'].wait()
        ended = time.time()
        run['out'].close()
        results = []
        if os.path.exists(run['results_file']):
            with open(run['results_file']) as handle:
                results = [json.loads(line) for line in handle if line.strip()]
        return dict(wall=ended - run['started'], started=run['started'], ended=ended, rc=code, results=results,
                    output=run['output'])
