"""Bodies: bounded memory whatever their size or compression, and no crash on a malformed 2xx."""

import pytest

from hostile_api import acted_then_malformed, answer, gzip_bomb, gzipped, malformed
import hostile_api
from hostile_checks import api, run_checked, run_in_subprocess  # noqa: F401 pylint: disable=unused-import

PEAK_RSS_LIMIT_MIB = 200


def test_a_gzip_bomb_fails_fast_in_bounded_memory(api):
    # A 1 MB gzip body that inflates to 1 GB took 3.15 GB of memory.
    droplet = api.seed()[0]
    api.on('GET', '^/v2/droplets/', gzip_bomb(1 << 30))
    failed, result, seconds, peak_mib = run_in_subprocess(api, droplet_id=droplet['id'], type='power_off')
    print('gzip bomb: %.1f s, peak RSS %.0f MiB, %d bytes of gzip' % (seconds, peak_mib, len(hostile_api._BOMBS[1 << 30])))
    assert failed and 'larger than the 33554432-byte limit' in result['msg']
    assert peak_mib < PEAK_RSS_LIMIT_MIB and len(api.requests) == 1 and api.posts() == []


def test_a_huge_plain_body_without_a_length_is_cut_at_the_limit(api):
    droplet = api.seed()[0]
    huge = b'{"droplet": {"id": 1, "pad": "' + b'x' * (64 << 20) + b'"}}'

    api.on('GET', '^/v2/droplets/', answer(200, raw=huge, length=False))
    failed, result, seconds, peak_mib = run_in_subprocess(api, droplet_id=droplet['id'], type='power_off')
    print('64 MiB body: %.1f s, peak RSS %.0f MiB' % (seconds, peak_mib))
    assert failed and 'limit' in result['msg'] and peak_mib < PEAK_RSS_LIMIT_MIB


def test_an_honest_gzipped_api_still_works(api):
    droplet = api.seed()[0]
    api.on('GET', '^/v2/droplets/%d$' % droplet['id'], gzipped(dict(droplet=droplet)), times=1)
    failed, result, seconds = run_checked(api, droplet_id=droplet['id'], type='power_off')
    assert not failed, result['msg']
    assert len(api.posts()) == 1


@pytest.mark.parametrize('raw, content_type', [
    (b'', 'application/json'), (b'[]', 'application/json'), (b'{"droplet": null}', 'application/json'),
    (b'{"droplet": {"name": "no-id"}}', 'application/json'), (b'{"droplet": {"id": 1}}', 'text/html'),
    (b'<html>captive portal</html>', 'text/html'), (b'[' * 50000, 'application/json'),
], ids=['empty', 'list', 'null', 'no-id', 'wrong-content-type', 'html', 'deep'])
def test_a_malformed_2xx_on_a_read_is_a_clear_failure_without_a_post(api, raw, content_type):
    droplet = api.seed()[0]
    api.on('GET', '^/v2/droplets/', malformed(raw, content_type=content_type))
    failed, result, seconds = run_checked(api, droplet_id=droplet['id'], type='power_off', wait_timeout=2)
    assert failed and api.posts() == []


@pytest.mark.parametrize('raw', [b'', b'[]', b'{"action": null}', b'{"action": {"status": "in-progress"}}'],
                         ids=['empty', 'list', 'null', 'no-id'])
def test_a_malformed_2xx_on_the_post_never_gives_a_second_action(api, raw):
    # The API acted, the body was unusable: KeyError/TypeError reached the user.
    droplet = api.seed()[0]
    api.on('POST', '/actions$', acted_then_malformed(raw))
    failed, result, seconds = run_checked(api, droplet_id=droplet['id'], type='power_off', wait_timeout=2)
    assert len(api.actions) == 1
