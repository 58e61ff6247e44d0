# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The token goes to api_url's origin only: no redirect, no foreign next link, no proxy, no .netrc."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import requests

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import (
    DigitalOceanAPIError, check_token)

from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.test_api_client import (
    TOKEN, Reply, make_client)


def page(items, next_link=None, total=None, key='droplets'):
    body = {key: [dict(id=item) for item in items], 'links': {}}
    if next_link is not None:
        body['links'] = dict(pages=dict(next=next_link))
    if total is not None:
        body['meta'] = dict(total=total)
    return Reply(200, body)


def test_the_token_goes_in_a_bearer_header_to_api_url():
    client, session, clock = make_client([Reply(200, dict(account=dict(uuid='u')))])
    client.get('/v2/account')
    assert session.sent[0].headers['Authorization'] == 'Bearer ' + TOKEN
    assert session.sent[0].origin == 'https://api.example.test'


@pytest.mark.parametrize('ending', ['\n', '\r\n', ' ', '\t\n'])
def test_a_token_with_surrounding_whitespace_is_sent_stripped(ending):
    # echo secret | ansible-vault encrypt_string gives a token ending in a newline.
    client, session, clock = make_client([Reply(200, dict(ok=1))], token=TOKEN + ending)
    client.get('/v2/account')
    assert session.sent[0].headers['Authorization'] == 'Bearer ' + TOKEN


@pytest.mark.parametrize('inner', ['dop v1', 'dop\nv1', 'dop\x00v1', 'dop\x7fv1', 'dop\u00e9v1'])
def test_a_token_with_whitespace_or_control_characters_inside_is_refused_without_showing_it(inner):
    with pytest.raises(ValueError) as caught:
        check_token(inner)
    assert 'dop' not in str(caught.value) and 'v1' not in str(caught.value)


def test_a_redirect_is_never_followed_even_to_the_same_host():
    # A 307 on a POST once re-sent a reboot to another Droplet's path.
    moved = Reply(307, headers={'Location': 'https://api.example.test/v2/droplets/2/actions?secret=q'})
    client, session, clock = make_client([moved, Reply(201, dict(action=dict(id=9)))])
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.post('/v2/droplets/1/actions', dict(type='reboot'))
    assert len(session.sent) == 1
    assert caught.value.status == 307 and 'https://api.example.test:443' in caught.value.message
    assert 'secret=q' not in caught.value.message and '/v2/droplets/2' not in caught.value.message


@pytest.mark.parametrize('status', [301, 302, 303, 308])
def test_a_redirect_on_a_get_is_an_error_naming_the_target_origin_only(status):
    moved = Reply(status, headers={'Location': 'http://user:pw@evil.example.test:8443/steal?x=1#f'})
    client, session, clock = make_client([moved, Reply(200, dict(ok=1))])
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.get('/v2/account')
    assert len(session.sent) == 1
    assert 'HTTP %d' % status in caught.value.message and 'http://evil.example.test:8443' in caught.value.message
    assert 'pw' not in caught.value.message and 'steal' not in caught.value.message


def test_a_next_link_without_a_leading_slash_is_resolved_as_a_url_not_appended():
    # 'http://127.0.0.1' + '1:8766/v2/...' used to become http://127.0.0.11:8766 and get the token.
    client, session, clock = make_client([page([1], '1:8766/v2/droplets?page=2'), page([2])],
                                         api_url='http://127.0.0.1')
    with pytest.raises(DigitalOceanAPIError) as caught:
        list(client.paginate('/v2/droplets', 'droplets'))
    assert [sent.origin for sent in session.sent] == ['http://127.0.0.1']
    assert 'outside /v2/' in caught.value.message


@pytest.mark.parametrize('link', [
    'https://evil.example.test/v2/droplets?page=2',
    'http://api.example.test/v2/droplets?page=2',
    'https://api.example.test:8443/v2/droplets?page=2',
    '//evil.example.test/v2/droplets?page=2',
])
def test_a_next_link_to_another_origin_is_never_fetched(link):
    client, session, clock = make_client([page([1], link), page([2])])
    with pytest.raises(DigitalOceanAPIError) as caught:
        list(client.paginate('/v2/droplets', 'droplets'))
    assert len(session.sent) == 1 and 'not to api_url' in caught.value.message


@pytest.mark.parametrize('link', ['/v2/../account', '/v1/droplets?page=2', '/v2/%2e%2e/x', 'page=2', 42])
def test_a_next_link_outside_v2_or_not_a_string_is_an_error(link):
    client, session, clock = make_client([page([1], link), page([2])])
    with pytest.raises(DigitalOceanAPIError):
        list(client.paginate('/v2/droplets', 'droplets'))
    assert len(session.sent) == 1


def test_a_relative_next_link_on_our_origin_is_followed():
    client, session, clock = make_client([page([1], '/v2/droplets?page=2&per_page=1&tag_name=web', total=2),
                                          page([2], total=2)])
    assert [d['id'] for d in client.paginate('/v2/droplets', 'droplets', params=dict(tag_name='web'))] == [1, 2]
    assert session.sent[0].params == dict(tag_name='web', per_page='200')
    assert session.sent[1].params == dict(page='2', per_page='1', tag_name='web')


def test_the_same_page_twice_is_an_error():
    link = 'https://api.example.test/v2/droplets?page=2'
    client, session, clock = make_client([page([1], link), page([2], link), page([3], link)])
    with pytest.raises(DigitalOceanAPIError) as caught:
        list(client.paginate('/v2/droplets', 'droplets'))
    assert len(session.sent) == 2 and 'already sent' in caught.value.message


def test_more_pages_than_meta_total_allows_is_an_error():
    script = [page([n, n + 100], '/v2/droplets?page=%d' % (n + 1), total=4) for n in range(1, 10)]
    client, session, clock = make_client(script)
    with pytest.raises(DigitalOceanAPIError) as caught:
        list(client.paginate('/v2/droplets', 'droplets'))
    assert len(session.sent) == 2 and 'meta.total says 4 items' in caught.value.message


def test_endless_next_links_stop_at_the_deadline():
    # Each page takes a second; new page numbers forever, no meta.total.
    def endless(request):
        number = int(request.url.split('page=')[1].split('&')[0]) if 'page=' in request.url else 1
        return Reply(200, dict(droplets=[dict(id=number)], links=dict(pages=dict(next='/v2/droplets?page=%d' % (number + 1)))),
                     seconds_per_read=0.5)
    client, session, clock = make_client([endless] * 100)
    client.deadline = clock.now + 5
    with pytest.raises(DigitalOceanAPIError) as caught:
        list(client.paginate('/v2/droplets', 'droplets'))
    assert 'deadline' in caught.value.message and len(session.sent) <= 6


def test_a_page_of_the_wrong_shape_is_read_again():
    client, session, clock = make_client([Reply(200, dict(droplets=None)), page([1])])
    assert [d['id'] for d in client.paginate('/v2/droplets', 'droplets')] == [1]
    assert len(session.sent) == 2


def test_plain_http_never_uses_a_proxy_from_the_environment(monkeypatch):
    # The "plain http is fine on loopback" rule sent the token in clear to HTTP_PROXY.
    for name in ('HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'):
        monkeypatch.setenv(name, 'http://127.0.0.1:3128')
    for name in ('NO_PROXY', 'no_proxy'):
        monkeypatch.delenv(name, raising=False)
    client, session, clock = make_client([Reply(200, dict(ok=1))], api_url='http://127.0.0.1:8080')
    client.get('/v2/account')
    assert not session.sent[0].kwargs['proxies']


def test_netrc_never_replaces_the_token(monkeypatch, tmp_path):
    netrc = tmp_path / 'netrc'
    netrc.write_text('machine api.example.test login someone password netrc-password\n')
    netrc.chmod(0o600)
    monkeypatch.setenv('NETRC', str(netrc))
    client, session, clock = make_client([Reply(200, dict(ok=1))])
    client.get('/v2/account')
    assert session.sent[0].headers['Authorization'] == 'Bearer ' + TOKEN


def test_an_https_api_url_keeps_the_environment_proxy(monkeypatch):
    # Through an https proxy tunnel the token stays encrypted; corporate networks need it.
    monkeypatch.setenv('HTTPS_PROXY', 'http://127.0.0.1:3128')
    monkeypatch.delenv('NO_PROXY', raising=False)
    monkeypatch.delenv('no_proxy', raising=False)
    client, session, clock = make_client([Reply(200, dict(ok=1))])
    client.get('/v2/account')
    assert session.sent[0].kwargs['proxies'].get('https') == 'http://127.0.0.1:3128'


def test_the_token_is_removed_from_exception_text_in_every_form():
    # requests once put "Invalid leading whitespace ... header value: 'Bearer <token>\n'" in the message.
    raw = 'Invalid header value %r, %s, quoted %s' % ('Bearer %s\n' % TOKEN, TOKEN, TOKEN.replace('_', '%5F'))
    client, session, clock = make_client([requests.exceptions.ConnectionError(raw)] * 6)
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.get('/v2/account')
    assert TOKEN not in caught.value.message and 'secret_token' not in caught.value.message
    assert 'secret%5Ftoken' not in caught.value.message


def test_an_api_message_that_echoes_the_token_is_redacted():
    client, session, clock = make_client([Reply(401, dict(id='unauthorized', message='bad token ' + TOKEN))])
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.get('/v2/account')
    assert TOKEN not in caught.value.message and TOKEN not in repr(caught.value.details())
