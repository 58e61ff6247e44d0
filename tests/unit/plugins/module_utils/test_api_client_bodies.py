# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bodies: read within ``timeout``, capped after decompression, of the shape the caller expects."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gzip
import threading
import zlib

import pytest
import requests

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import DigitalOceanAPIError
from ansible_collections.oceanops.droplets.plugins.module_utils.http_body import MAX_BODY_BYTES

from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.test_api_client import (
    ACTION, DROPLET, Reply, make_client)

ZEROS_40_MIB = gzip.compress(b'0' * (40 * 1024 * 1024), 9)


def test_get_with_expect_returns_the_object():
    client, session, clock = make_client([DROPLET])
    assert client.get('/v2/droplets/1', expect='droplet') == dict(id=1)


def test_get_without_expect_returns_the_whole_body():
    client, session, clock = make_client([Reply(200, dict(droplet=dict(id=1), links={}))])
    assert client.get('/v2/droplets/1') == dict(droplet=dict(id=1), links={})


MALFORMED_ACTION = [
    Reply(201, raw=b''), Reply(201, []), Reply(201, dict(action=None)), Reply(201, dict(action=dict(status='x'))),
    Reply(201, dict(action=dict(id=True))), Reply(201, dict(action=[])), Reply(204),
]


@pytest.mark.parametrize('reply', MALFORMED_ACTION, ids=['empty', 'list', 'null', 'no-id', 'bool-id', 'list-action', '204'])
def test_a_post_answered_with_a_malformed_2xx_is_outcome_unknown(reply):
    # {"action": null} and friends gave KeyError/TypeError and changed: false after the API acted.
    client, session, clock = make_client([reply, ACTION])
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.post('/v2/droplets/1/actions', dict(type='reboot'), expect='action')
    assert caught.value.outcome_unknown and caught.value.status in (201, 204)
    assert 'cannot be used' in caught.value.message and len(session.sent) == 1


@pytest.mark.parametrize('reply', MALFORMED_ACTION, ids=['empty', 'list', 'null', 'no-id', 'bool-id', 'list-action', '204'])
def test_a_get_answered_with_a_malformed_2xx_is_read_again(reply):
    client, session, clock = make_client([reply, Reply(200, dict(action=dict(id=7, status='completed')))])
    assert client.get('/v2/actions/7', expect='action')['status'] == 'completed'
    assert len(session.sent) == 2


@pytest.mark.parametrize('body', [dict(actions=None), dict(actions=[1]), dict(actions=[dict(type='x')]), dict(actions={})])
def test_a_list_must_hold_objects_with_ids(body):
    client, session, clock = make_client([Reply(200, body), Reply(200, dict(actions=[dict(id=1)]))])
    assert client.get('/v2/droplets/1/actions', expect='actions') == [dict(id=1)]


def test_a_policy_needs_no_id_a_size_list_no_ids_and_policies_are_a_map():
    client, session, clock = make_client([Reply(200, dict(policy=dict(plan='weekly'))),
                                          Reply(200, dict(sizes=[dict(slug='s-1vcpu-1gb')])),
                                          Reply(200, dict(policies={'1': dict(droplet_id=1)}))])
    assert client.get('/v2/droplets/1/backups/policy', expect='policy') == dict(plan='weekly')
    assert client.get('/v2/sizes', expect='sizes') == [dict(slug='s-1vcpu-1gb')]
    assert client.get('/v2/droplets/backups/policies', expect='policies') == {'1': dict(droplet_id=1)}


@pytest.mark.parametrize('raw, headers', [
    (b'[' * 100000 + b']' * 100000, {}),
    (b'{"droplet": {"id": 1}}', {'Content-Type': 'text/html'}),
    (b'\xff\xfe', {}),
])
def test_an_unreadable_body_is_an_error_not_a_crash(raw, headers):
    client, session, clock = make_client([Reply(200, raw=raw, headers=headers)] * 6)
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.get('/v2/droplets/1', expect='droplet')
    assert 'cannot be used' in caught.value.message


def test_a_gzip_bomb_stops_at_the_limit():
    bomb = Reply(200, raw=ZEROS_40_MIB, headers={'Content-Encoding': 'gzip', 'Content-Type': 'application/json'})
    client, session, clock = make_client([bomb, DROPLET])
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.get('/v2/droplets/1')
    assert 'larger than the %d-byte limit' % MAX_BODY_BYTES in caught.value.message
    assert len(session.sent) == 1  # not retried: the same answer would come back


def test_a_declared_length_over_the_limit_is_refused_before_reading():
    client, session, clock = make_client([Reply(200, raw=b'{}', headers={'Content-Length': str(MAX_BODY_BYTES + 1)})])
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.get('/v2/account')
    assert 'declares' in caught.value.message


@pytest.mark.parametrize('encoding, compress', [('gzip', gzip.compress), ('deflate', zlib.compress)])
def test_compressed_bodies_are_read(encoding, compress):
    client, session, clock = make_client([Reply(200, raw=compress(b'{"droplet": {"id": 5}}'),
                                                headers={'Content-Encoding': encoding})])
    assert client.get('/v2/droplets/5', expect='droplet') == dict(id=5)


@pytest.mark.parametrize('size', [1024 * 1024 - 40, 2 * 1024 * 1024, 3 * 1024 * 1024 + 7])
def test_a_large_honest_gzip_body_is_read_whole(size):
    # Decompression goes in 1 MiB steps: a body of several steps (or exactly two) is read whole.
    body = b'{"droplet": {"id": 5, "pad": "' + b'ab' * ((size - 40) // 2) + b'"}}'
    client, session, clock = make_client([Reply(200, raw=gzip.compress(body), headers={'Content-Encoding': 'gzip'}, chunk=999)])
    assert client.get('/v2/droplets/5', expect='droplet')['id'] == 5


# mtime=0: gzip's header holds a time, and the test ids must be the same in every xdist worker.
CUT_GZIP = gzip.compress(b'{"a": 1}', mtime=0)[:-9]


@pytest.mark.parametrize('encoding, raw', [('br', b'xx'), ('gzip', CUT_GZIP), ('gzip', b'nope')])
def test_an_unknown_or_broken_encoding_is_an_error(encoding, raw):
    client, session, clock = make_client([Reply(200, raw=raw, headers={'Content-Encoding': encoding})])
    with pytest.raises(DigitalOceanAPIError):
        client.get('/v2/account')


def test_a_body_dribbled_byte_by_byte_fails_after_timeout():
    # timeout bounded each read, not the body: one byte a second never timed out.
    dribble = Reply(200, dict(droplet=dict(id=1, name='x' * 50)), chunk=1, seconds_per_read=1.0)
    client, session, clock = make_client([dribble], timeout=3)
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.post('/v2/droplets', dict(name='x'))
    assert 'whole response' in caught.value.message and 'within 3 s' in caught.value.message
    assert caught.value.outcome_unknown and clock.now - 1000.0 <= 4.0


def test_an_exchange_that_hangs_is_abandoned_after_timeout():
    release = threading.Event()

    def hang(request):
        release.wait(10)
        return DROPLET
    client, session, clock = make_client([hang], timeout=1, max_attempts=1)
    try:
        with pytest.raises(DigitalOceanAPIError) as caught:
            client.get('/v2/droplets/1')
    finally:
        release.set()
    assert 'within 1 s' in caught.value.message


@pytest.mark.parametrize('failure, cause', [
    (requests.exceptions.SSLError('certificate verify failed'), 'TLS'),
    (requests.exceptions.InvalidHeader('Invalid leading whitespace'), 'header value'),
    (requests.exceptions.InvalidURL('Failed to parse: port 99999'), 'port'),
    (requests.exceptions.InvalidSchema('No connection adapters'), 'scheme'),
])
def test_errors_no_retry_can_mend_fail_at_once_naming_the_cause(failure, cause):
    client, session, clock = make_client([failure] * 6)
    with pytest.raises(DigitalOceanAPIError) as caught:
        client.get('/v2/droplets/1')
    assert len(session.sent) == 1 and cause in caught.value.message and not caught.value.outcome_unknown
