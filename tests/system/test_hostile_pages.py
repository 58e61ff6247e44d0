"""Pages that stop making sense end the listing at once; a fleet wait falls back to its own actions (issue 19)."""

import pytest

from hostile_api import empty_pages, leaping_total, repeating_pages
from hostile_checks import api, run_checked  # noqa: F401 pylint: disable=unused-import


@pytest.mark.parametrize('pages, reads, words', [
    # Before: GETs of empty pages until the deadline (115 in 5 s).
    (empty_pages(), 1, 'empty'),
    (repeating_pages(), 2, 'repeats'),
    (leaping_total(), 2, 'meta.total'),
], ids=['empty-pages-claiming-a-billion', 'same-items-again', 'total-leaps'])
def test_a_listing_that_stops_making_sense_ends_at_once(api, pages, reads, words):
    api.on('GET', '^/v2/droplets$', pages)
    failed, result, seconds = run_checked(api, droplet_name='web', type='power_off', wait_timeout=3)
    assert failed and words in result['msg'] and 'GET /v2/droplets' in result['msg'], result['msg']
    assert len(api.requests) == reads and api.posts() == []


def test_a_fleet_wait_on_an_unusable_action_list_asks_for_its_own_actions(api):
    # Before: 75 GETs of empty pages of /v2/actions and a timeout, never a GET /v2/actions/{id}.
    droplets = api.seed(count=3, tag='web')
    api.action_seconds = 0.5
    api.on('GET', '^/v2/actions$', empty_pages('actions'), when=lambda request: 'page' in request.query)
    failed, result, seconds = run_checked(api, tag_name='web', type='power_off', wait_timeout=8)
    list_reads = [r for r in api.requests if r.path == '/v2/actions' and 'page' in r.query]
    own_reads = [r for r in api.requests if r.path.startswith('/v2/actions/')]
    assert not failed, '%s (%d reads of the list)' % (result['msg'], len(list_reads))
    assert len(list_reads) == 1
    assert set(r.path for r in own_reads) == set('/v2/actions/%d' % a['id'] for a in result['actions'])
    assert len(result['actions']) == 3 and all(a['status'] == 'completed' for a in result['actions'])
