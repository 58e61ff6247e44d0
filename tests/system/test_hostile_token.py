"""The token goes only to api_url's origin and shows nowhere, whatever the API or the input does."""

import json

import pytest

from hostile_api import HostileAPI, next_link, redirect
from hostile_checks import api, run_checked, trap  # noqa: F401 pylint: disable=unused-import
from module_call import TOKEN, run


def test_a_token_ending_in_a_newline_works_and_never_shows(api):
    # The vault-encrypted "echo secret" token ended in '\n': six retries, then the token in the message.
    droplet = api.seed()[0]
    failed, result, seconds = run_checked(api, droplet_id=droplet['id'], type='power_off', api_token=TOKEN + '\n')
    assert not failed, result['msg']
    assert result['changed'] and len(api.posts()) == 1
    assert api.authorizations() == {'Bearer ' + TOKEN}


@pytest.mark.parametrize('token', [TOKEN[:10] + ' ' + TOKEN[10:], TOKEN[:10] + '\n' + TOKEN[10:], TOKEN + '\x00'], ids=['space', 'newline', 'nul'])
def test_a_token_with_inner_whitespace_is_refused_without_a_request(api, token):
    failed, result, seconds = run_checked(api, droplet_id=1, type='power_off', api_token=token)
    assert failed and 'api_token contains whitespace' in result['msg']
    assert api.requests == []
    assert TOKEN[10:] not in json.dumps(result)


@pytest.mark.parametrize('link', [
    lambda api, trap: '%s/v2/droplets?page=2' % trap.base,
    lambda api, trap: '//%s:%d/v2/droplets?page=2' % (trap.host, trap.port),
    lambda api, trap: '@%s:%d/v2/droplets?page=2' % (trap.host, trap.port),
], ids=['absolute', 'scheme-relative', 'userinfo-trick'])
def test_a_next_link_to_another_origin_is_never_followed(api, trap, link):
    api.on('GET', '^/v2/droplets$', next_link(lambda _api, request: link(api, trap)))
    failed, result, seconds = run_checked(api, droplet_name='web', type='power_off')
    assert failed and 'links.pages.next' in result['msg']
    assert trap.requests == [] and api.posts() == []


def test_a_next_link_outside_v2_is_never_followed(api):
    api.on('GET', '^/v2/droplets$', next_link(lambda _api, request: '/v2/../secrets?page=2'))
    failed, result, seconds = run_checked(api, droplet_name='web', type='power_off')
    assert failed and 'outside /v2/' in result['msg']
    assert [request.path for request in api.requests] == ['/v2/droplets']


def test_a_redirected_post_is_not_sent_again_anywhere(api, trap):
    # A 307 on the POST once re-sent a reboot to another Droplet's path.
    droplet = api.seed()[0]
    other = api.seed()[0]
    api.on('POST', '/actions$', redirect(307, '/v2/droplets/%d/actions?x=secret-query' % other['id']))
    failed, result, seconds = run_checked(api, droplet_id=droplet['id'], type='reboot')
    assert failed and 'HTTP 307' in result['msg'] and 'redirect' in result['msg']
    assert 'secret-query' not in result['msg'] and '/v2/droplets/%d' % other['id'] not in result['msg']
    assert [request.path for request in api.posts()] == ['/v2/droplets/%d/actions' % droplet['id']]
    assert api.actions == {}


def test_a_redirect_to_another_host_names_only_its_origin(api, trap):
    droplet = api.seed()[0]
    api.on('GET', '^/v2/droplets/', redirect(302, '%s/v2/droplets/1?token=abc#frag' % trap.base))
    failed, result, seconds = run_checked(api, droplet_id=droplet['id'], type='power_off')
    assert failed and 'http://127.0.0.2:%d' % trap.port in result['msg'] and 'token=abc' not in result['msg']
    assert trap.requests == [] and len(api.requests) == 1


def test_plain_http_on_loopback_never_goes_through_a_proxy(api, monkeypatch):
    # With HTTP_PROXY set, the token went in clear to the proxy.
    proxy = HostileAPI()
    try:
        for name in ('HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'):
            monkeypatch.setenv(name, proxy.base)
        for name in ('NO_PROXY', 'no_proxy'):
            monkeypatch.delenv(name, raising=False)
        droplet = api.seed()[0]
        failed, result, seconds = run_checked(api, droplet_id=droplet['id'], type='power_off')
        assert not failed, result['msg']
        assert proxy.requests == [] and len(api.posts()) == 1
    finally:
        proxy.close()


def test_a_netrc_entry_never_replaces_the_token(api, monkeypatch, tmp_path):
    netrc = tmp_path / 'netrc'
    netrc.write_text('machine 127.0.0.1 login someone password netrc-password\n')
    netrc.chmod(0o600)
    monkeypatch.setenv('NETRC', str(netrc))
    droplet = api.seed()[0]
    failed, result, seconds = run_checked(api, droplet_id=droplet['id'], type='power_off')
    assert not failed and api.authorizations() == {'Bearer ' + TOKEN}


@pytest.mark.parametrize('url, fragment', [
    ('http://someone:hunter22secret@127.0.0.1:{port}', 'user name or password'),
    ('http://127.0.0.1:{port}/?page=1', 'query'),
    ('http://127.0.0.1:{port}#x', 'fragment'),
    ('http://127.0.0.1:99999', 'invalid port'),
])
def test_an_api_url_with_userinfo_query_or_fragment_is_refused_before_any_request(api, url, fragment):
    failed, result = run(api, droplet_id=1, type='power_off', api_url=url.format(port=api.port))
    assert failed and fragment in result['msg']
    assert 'hunter22secret' not in json.dumps(result) and TOKEN not in json.dumps(result)
    assert api.requests == []
