"""Starting the simulator as users do (issue 12): from any directory, over HTTPS, with a clear word when the port is taken.

pydo, DigitalOcean's own Python SDK, runs unmodified against ``--tls``: it refuses a bearer token
over plain http, so this is the test that other SDKs can use the simulator.
"""

import os
import socket
import ssl
import subprocess
import sys

import pytest
import requests

from sim_harness import ROOT, SimProcess

TOKEN = {'Authorization': 'Bearer process-test'}
SCRIPT = os.path.join(ROOT, 'simulator')


def without_pythonpath():
    """The environment of a user's shell: nothing puts the repository on the import path."""
    return dict((key, value) for key, value in os.environ.items() if key != 'PYTHONPATH')


def test_it_starts_by_path_from_any_directory(tmp_path):
    sim = SimProcess(tmp_path, '--quiet', command=[sys.executable, SCRIPT], cwd=str(tmp_path), env=without_pythonpath())
    try:
        assert requests.get(sim.base + '/v2/regions', headers=TOKEN, timeout=5).status_code == 200
    finally:
        assert sim.stop() == 0


def test_it_still_starts_as_a_module_from_the_root(tmp_path):
    sim = SimProcess(tmp_path, '--quiet')
    try:
        assert requests.get(sim.base + '/_sim/health', timeout=5).json() == {'ok': True}
    finally:
        assert sim.stop() == 0


@pytest.mark.parametrize('how', ['path', 'module'])
def test_a_taken_port_is_one_clear_line_and_a_non_zero_exit(how):
    holder = socket.socket()
    holder.bind(('127.0.0.1', 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    command = [sys.executable, SCRIPT] if how == 'path' else [sys.executable, '-m', 'simulator']
    try:
        finished = subprocess.run(command + ['--port', str(port)], cwd=ROOT if how == 'module' else '/',
                                  env=without_pythonpath(), capture_output=True, text=True, timeout=10, check=False)
    finally:
        holder.close()
    assert finished.returncode != 0
    assert 'Traceback' not in finished.stderr
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1 and str(port) in lines[0] and 'in use' in lines[0], finished.stderr


def tls_sim(tmp_path, *options):
    sim = SimProcess(tmp_path, '--quiet', '--tls', *options, scheme='https')
    return sim, sim.cert_path()


def test_tls_generates_a_certificate_and_prints_its_path(tmp_path):
    sim, cert = tls_sim(tmp_path)
    try:
        assert sim.base.startswith('https://127.0.0.1:') and os.path.isfile(cert)
        assert 'listening on https://127.0.0.1:' in sim.output()
        assert requests.get(sim.base + '/v2/account', headers=TOKEN, verify=cert, timeout=5).status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(sim.base + '/v2/account', headers=TOKEN, timeout=5)  # not trusted by default
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(sim.base.replace('https:', 'http:') + '/v2/account', headers=TOKEN, timeout=5)
        assert requests.get(sim.base + '/v2/account', headers=TOKEN, verify=cert, timeout=5).status_code == 200
    finally:
        assert sim.stop() == 0
    # a plain-http client on the TLS port is one line in the output, not a traceback
    assert 'Traceback' not in sim.output() and 'TLS handshake failed' in sim.output()


def test_tls_takes_a_given_certificate_and_key(tmp_path):
    (tmp_path / 'one').mkdir()
    first, cert = tls_sim(tmp_path / 'one')
    key = os.path.join(os.path.dirname(cert), 'key.pem')
    first.stop()
    (tmp_path / 'two').mkdir()
    sim = SimProcess(tmp_path / 'two', '--quiet', '--tls-cert', cert, '--tls-key', key, scheme='https')
    try:
        assert sim.cert_path() == cert
        assert requests.get(sim.base + '/v2/account', headers=TOKEN, verify=cert, timeout=5).status_code == 200
    finally:
        sim.stop()


def test_tls_with_a_missing_key_file_is_one_clear_line(tmp_path):
    finished = subprocess.run([sys.executable, SCRIPT, '--port', '0', '--tls-cert', str(tmp_path / 'no.pem'),
                               '--tls-key', str(tmp_path / 'no-key.pem')], env=without_pythonpath(),
                              capture_output=True, text=True, timeout=10, check=False)
    assert finished.returncode == 1 and 'Traceback' not in finished.stderr  # 1: refused by the simulator, not argparse
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1 and 'no.pem' in lines[0], finished.stderr


def test_pydo_runs_unmodified_against_the_tls_simulator(tmp_path):
    pydo = pytest.importorskip('pydo', reason='pydo is in tests/requirements/tools.txt; the harness venv has it')
    sim, cert = tls_sim(tmp_path, '--fleet', 'web=3', '--action-seconds', '0.05', '--status-lag', '0.01')
    try:
        client = pydo.Client(token='pydo-test-token', endpoint=sim.base, connection_verify=cert)
        web = client.droplets.list(tag_name='web')
        assert web['meta']['total'] == 3
        first = web['droplets'][0]['id']
        posted = client.droplet_actions.post(droplet_id=first, body={'type': 'power_off'})['action']
        assert posted['type'] == 'power_off' and posted['resource_id'] == first
        fetched = client.droplet_actions.get(droplet_id=first, action_id=posted['id'])['action']
        assert fetched['id'] == posted['id']
        while fetched['status'] == 'in-progress':  # a by-tag request meets no pending event
            fetched = client.droplet_actions.get(droplet_id=first, action_id=posted['id'])['action']
        assert fetched['status'] == 'completed'
        tagged = client.droplet_actions.post_by_tag(tag_name='web', body={'type': 'enable_ipv6'})['actions']
        assert sorted(a['resource_id'] for a in tagged) == sorted(d['id'] for d in web['droplets'])
        listed = client.actions.list(per_page=50)
        assert listed['meta']['total'] >= 1 and any(a['id'] == posted['id'] for a in listed['actions'])
    finally:
        sim.stop()


def test_the_certificate_names_the_loopback_address(tmp_path):
    sim, cert = tls_sim(tmp_path)
    try:
        port = int(sim.base.rsplit(':', 1)[1])
        context = ssl.create_default_context(cafile=cert)
        with socket.create_connection(('127.0.0.1', port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname='127.0.0.1') as wrapped:
                assert wrapped.version().startswith('TLS')
    finally:
        sim.stop()
