"""What keeps the live suite safe: the opt-in gate (nothing sent without it), the cleanup's tag
guard, the proxy's refusal of plain http off loopback, and the redaction itself."""

import os
import subprocess

import pytest

from conftest import ROOT, live_env, run_live
from recording_proxy import parse_upstream
from redact import IPV4_MARK, IPV6_MARK, TOKEN_MARK, find_addresses, redact

LIVE_SH = os.path.join(ROOT, 'tests', 'harness', 'live.sh')


@pytest.mark.parametrize('unset', ['OCEANOPS_LIVE', 'DIGITALOCEAN_TOKEN'])
def test_without_both_opt_ins_nothing_is_sent(sim, tmp_path, unset):
    env = live_env(sim.url)
    env.pop(unset)
    status, output = run_live(['run', '--collections', str(tmp_path), '--record-dir', str(tmp_path / 'rec')], env)
    assert status == 2
    assert 'live suite not run' in output and unset in output
    assert sim.stats()['requests_total'] == 0
    assert not os.path.exists(str(tmp_path / 'rec'))


def test_make_test_live_stops_before_anything_without_the_opt_in(sim):
    env = live_env(sim.url)
    del env['OCEANOPS_LIVE']
    done = subprocess.run(['bash', LIVE_SH, 'run'], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=30, check=False)
    assert done.returncode == 2
    assert 'OCEANOPS_LIVE=yes' in done.stdout and 'Nothing was sent' in done.stdout
    assert sim.stats()['requests_total'] == 0


@pytest.mark.parametrize('tag', ['production', 'oceanops-live-', 'oceanops-live-12345678-x', 'web'])
def test_cleanup_deletes_only_tags_the_live_suite_makes(sim, tmp_path, tag):
    sim.seed_bystander()
    status, output = run_live(['cleanup', '--tag', tag, '--record-dir', str(tmp_path)], live_env(sim.url))
    assert status == 2
    assert 'refusing to delete' in output
    assert sim.stats()['requests_total'] == 0
    assert len(sim.droplets()) == 1


def test_cleanup_deletes_a_crashed_runs_droplets(sim, tmp_path):
    tag = 'oceanops-live-0123abcd'
    sim.request('POST', '/_sim/droplets', {'tag': tag, 'count': 2})
    bystander = sim.seed_bystander()
    status, output = run_live(['cleanup', '--tag', tag, '--record-dir', str(tmp_path)], live_env(sim.url))
    assert status == 0, output
    assert [d['id'] for d in sim.droplets()] == [bystander['id']]
    assert os.path.exists(str(tmp_path / ('%s-cleanup.jsonl' % tag)))


def test_cleanup_of_a_tag_that_is_gone_is_not_an_error(sim, tmp_path):
    status, output = run_live(['cleanup', '--tag', 'oceanops-live-deadbeef', '--record-dir', str(tmp_path)],
                              live_env(sim.url))
    assert status == 0, output
    assert 'nothing to delete' in output


@pytest.mark.parametrize('url', ['http://api.digitalocean.com', 'http://10.0.0.5:8080', 'ftp://127.0.0.1',
                                 'https://api.digitalocean.com/v2'])
def test_the_proxy_refuses_an_upstream_that_would_leak_the_token(url):
    with pytest.raises(ValueError):
        parse_upstream(url)


def test_the_proxy_accepts_https_and_loopback_http():
    assert parse_upstream('https://api.digitalocean.com') == ('https', 'api.digitalocean.com', 443)
    assert parse_upstream('http://127.0.0.1:8080') == ('http', '127.0.0.1', 8080)


def test_redaction_removes_the_token_addresses_and_token_shapes():
    secret = 'run-secret-42'
    value = {'networks': {'v4': [{'ip_address': '203.0.113.7', 'netmask': '255.255.255.0'}],
                          'v6': [{'ip_address': '2604:a880:800:10::1f', 'gateway': '2604:A880:0800:0010:0000:0000:0000:0001'}]},
             'href': 'http://127.0.0.1:8080/v2/actions/1', 'note': 'token run-secret-42 or dop_v1_' + 'ab' * 32,
             '10.1.2.3': 'a key too'}
    redacted = redact(value, [secret])
    text = repr(redacted)
    assert find_addresses(text) == [] and secret not in text and 'dop_v1_' not in text
    assert redacted['networks']['v4'][0]['ip_address'] == IPV4_MARK
    assert redacted['networks']['v6'][0]['ip_address'] == IPV6_MARK
    assert redacted['note'] == 'token %s or %s' % (TOKEN_MARK, TOKEN_MARK)
    assert redacted['href'] == 'http://%s:8080/v2/actions/1' % IPV4_MARK


def test_redaction_leaves_timestamps_versions_and_slugs_alone():
    value = {'created_at': '2026-11-28T22:35:20Z', 'version': '2016.07.13-DigitalOcean_loader', 'slug': 's-1vcpu-1gb',
             'time': '10:20:30', 'ids': [1, 2, 3], 'name': 'web-01.example.com'}
    assert redact(value, ['unused-secret']) == value
    assert find_addresses(repr(value)) == []
