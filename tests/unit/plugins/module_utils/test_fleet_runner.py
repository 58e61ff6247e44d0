# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Many Droplets (a tag or an id list): what is sent, what it costs, and what a partial failure reports."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

import pytest

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import MAX_PAGE_SIZE, DigitalOceanAPIError
from ansible_collections.oceanops.droplets.plugins.module_utils.errors import Refused
from ansible_collections.oceanops.droplets.plugins.module_utils.fleet_runner import FleetRun
from ansible_collections.oceanops.droplets.plugins.module_utils.fleet_selection import IdSelection, TagSelection
from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import (
    PENDING, FakeModule, api_error, droplet)


class FleetApi:
    """An account of Droplets that answers like the API, a page (one request) at a time.

    Actions complete at once; ``refuse`` maps a Droplet id to the error its POST raises.
    """

    def __init__(self, count, status='active', tag='web', refuse=None):
        self.droplets = dict((i, droplet(id=i, name='d%d' % i, status=status, tags=[tag])) for i in range(1, count + 1))
        self.actions = []
        self.snapshots = []
        self.refuse = dict(refuse or {})
        self.requests = []
        self.posts = []
        self.server_time = None  # the server's time of the latest answer (no Date header here)

    # -- what the runners call ------------------------------------------------------------------
    def get(self, path, params=None, expect=None):
        self.requests.append(('GET', path))
        params = params or {}
        if path.startswith('/v2/droplets/') and path.count('/') == 3:
            droplet_id = int(path.rsplit('/', 1)[1])
            if droplet_id not in self.droplets:
                raise DigitalOceanAPIError('404', status=404, method='GET', path=path)
            data = dict(droplet=dict(self.droplets[droplet_id]))
        elif path == '/v2/droplets':
            listed = self._listed(params)
            data = dict(droplets=listed[:params.get('per_page', 20)], meta=dict(total=len(listed)))
        elif path == '/v2/actions':
            size, page = params.get('per_page', 20), params.get('page', 1)
            newest_first = list(reversed(self.actions))
            more = len(newest_first) > page * size
            data = dict(actions=newest_first[(page - 1) * size:page * size], links=dict(pages=dict(next='n') if more else {}))
        elif path.startswith('/v2/droplets/') and path.endswith('/actions'):
            droplet_id = int(path.split('/')[3])
            data = dict(actions=[a for a in reversed(self.actions) if a['resource_id'] == droplet_id][:20])
        else:
            raise AssertionError('unexpected GET %s' % path)
        return data[expect] if expect else data

    def paginate(self, path, key, params=None, limit=None, on_page=None):
        params = dict(params or {})
        if path == '/v2/droplets':
            items = self._listed(params)
        elif path == '/v2/snapshots':
            items = list(self.snapshots)
        elif path == '/v2/actions':
            items = list(reversed(self.actions))
        else:
            raise AssertionError('unexpected listing %s' % path)
        for page in range(max(1, int(math.ceil(len(items) / float(MAX_PAGE_SIZE))))):
            self.requests.append(('GET', '%s page %d' % (path, page + 1)))
            chosen = items[page * MAX_PAGE_SIZE:(page + 1) * MAX_PAGE_SIZE]
            if on_page is not None:
                on_page({key: chosen, 'meta': dict(total=len(items))})
            yield from chosen

    def post(self, path, body, params=None, expect=None):
        self.requests.append(('POST', path))
        self.posts.append((path, body, params))
        if params and params.get('tag_name'):
            targets = [d for d in self.droplets.values() if params['tag_name'] in d['tags']]
            data = dict(actions=[self._act(d, body) for d in targets])
        else:
            droplet_id = int(path.split('/')[3])
            if droplet_id in self.refuse:
                raise self.refuse[droplet_id]
            data = dict(action=self._act(self.droplets[droplet_id], body))
        return data[expect] if expect else data

    # -- the account's behaviour ----------------------------------------------------------------
    def _listed(self, params):
        tag = params.get('tag_name')
        return [d for d in self.droplets.values() if tag is None or tag in d['tags']]

    def _act(self, target, body):
        action = dict(id=5000 + len(self.actions), type=body['type'], status='completed', resource_id=target['id'],
                      started_at='2026-11-25T10:00:05Z')
        self.actions.append(action)
        if body['type'] == 'power_off':
            target['status'] = 'off'
        if body['type'] == 'snapshot':
            self.snapshots.append(dict(id=9000 + len(self.snapshots), name=body['name'], resource_id=target['id']))
        return dict(action, status='in-progress')


def run(api, selection, check_mode=False, **params):
    module = FakeModule(api, check_mode=check_mode, **params)
    FleetRun(module, selection(api)).execute()
    return module.report.as_result()


def ids(*numbers):
    return lambda api: IdSelection(api, list(numbers))


def tag(name='web'):
    return lambda api: TagSelection(api, name)


def test_a_partial_fleet_failure_reports_changed_and_every_action_sent():
    # The review's bug: Droplet 1 was powered off and the task said changed: false.
    api = FleetApi(3, refuse={2: api_error(422, 'Droplet is locked by an administrator.')})
    api.droplets[3]['status'] = 'off'  # not every tagged Droplet needs it: one POST each
    module = FakeModule(api, type='power_off', tag_name='web')
    with pytest.raises(DigitalOceanAPIError):
        FleetRun(module, TagSelection(api, 'web')).execute()
    result = module.report.as_result()
    assert result['changed'] is True
    assert [a['resource_id'] for a in result['actions']] == [1]
    entries = dict((entry['id'], entry) for entry in result['droplets'])
    assert entries[1]['changed'] and not entries[2]['changed'] and not entries[3]['changed']


def test_a_whole_tag_in_the_state_it_wants_is_one_bulk_post():
    api = FleetApi(5)
    result = run(api, tag(), type='power_off', tag_name='web')
    assert [p[2] for p in api.posts] == [dict(tag_name='web')]
    assert result['changed'] and len(result['actions']) == 5


def test_an_id_list_sends_one_post_per_droplet_that_needs_it():
    api = FleetApi(4)
    api.droplets[2]['status'] = 'off'
    result = run(api, ids(1, 2, 3), type='power_off', droplet_ids=[1, 2, 3])
    assert sorted(int(p[0].split('/')[3]) for p in api.posts) == [1, 3]
    assert [e['planned'] for e in result['droplets']] == [['power_off'], [], ['power_off']]


def test_an_unknown_id_is_refused_before_any_post():
    api = FleetApi(2)
    with pytest.raises(Refused) as caught:
        run(api, ids(1, 7), type='power_off', droplet_ids=[1, 7])
    assert 'no Droplet has the id 7' in str(caught.value) and api.posts == []


def test_a_fleet_snapshot_reports_each_droplets_snapshot():
    api = FleetApi(3)
    result = run(api, ids(1, 2, 3), type='snapshot', name='nightly', droplet_ids=[1, 2, 3])
    snapshots = dict((e['id'], e['snapshot']) for e in result['droplets'])
    assert sorted(s['resource_id'] for s in snapshots.values()) == [1, 2, 3]
    assert all(s['name'] == 'nightly' for s in snapshots.values())


def test_check_mode_plans_per_droplet_and_sends_nothing():
    api = FleetApi(3)
    api.droplets[1]['status'] = 'off'
    result = run(api, ids(1, 2, 3), check_mode=True, type='power_off', droplet_ids=[1, 2, 3])
    assert result['changed'] and api.posts == []
    assert [e['changed'] for e in result['droplets']] == [False, True, True]
    assert sorted(result['diff']['after']['droplets']) == ['d2 (2)', 'd3 (3)']


def test_a_thousand_ids_cost_a_post_each_and_few_other_requests():
    api = FleetApi(1000)
    run(api, ids(*range(1, 1001)), type='power_off', droplet_ids=list(range(1, 1001)))
    others = [r for r in api.requests if r[0] != 'POST']
    assert len(api.posts) == 1000
    assert len(others) <= 40, others


def test_a_no_op_rerun_of_a_thousand_ids_lists_the_account_instead_of_a_get_each():
    api = FleetApi(1000, status='off')
    result = run(api, ids(*range(1, 1001)), type='power_off', droplet_ids=list(range(1, 1001)))
    assert result['changed'] is False
    assert len(api.requests) == int(math.ceil(1000 / float(MAX_PAGE_SIZE)))  # the account's pages, nothing else


def test_a_few_ids_in_a_large_account_cost_its_first_page_and_a_get_each():
    api = FleetApi(1000, status='off')
    result = run(api, ids(5, 6, 7), type='power_off', droplet_ids=[5, 6, 7])
    assert result['changed'] is False
    assert api.requests == [('GET', '/v2/droplets page 1')] + [('GET', '/v2/droplets/%d' % i) for i in (5, 6, 7)]


def test_a_droplet_of_a_list_the_api_says_is_already_so_is_read_again_not_failed():
    # Droplet 2 was shut down from inside after the list was read: no action to see, the API says so.
    api = FleetApi(2, refuse={2: api_error(422, 'Droplet is already powered off.')})
    original = api.post

    def post(path, body, params=None, expect=None):
        if path == '/v2/droplets/2/actions':  # the guest went down after our read: no action anywhere
            api.droplets[2]['status'] = 'off'
        return original(path, body, params, expect)
    api.post = post
    result = run(api, ids(1, 2), type='power_off', droplet_ids=[1, 2])
    assert [a['resource_id'] for a in result['actions']] == [1]
    assert dict((e['id'], e['changed']) for e in result['droplets']) == {1: True, 2: False}


def test_a_droplet_of_a_list_refused_for_a_state_it_does_not_show_fails_with_the_refusal():
    api = FleetApi(2, refuse={2: api_error(422, 'Droplet is already powered off.')})
    module = FakeModule(api, type='power_off', droplet_ids=[1, 2])
    with pytest.raises(Exception) as caught:
        FleetRun(module, ids(1, 2)(api)).execute()
    assert getattr(caught.value, 'status', None) == 422


def test_a_busy_droplet_in_a_list_is_waited_for_and_planned_again():
    api = FleetApi(2, refuse={2: api_error(422, PENDING)})
    original = api.get

    def get(path, params=None, expect=None):
        if path == '/v2/droplets/2':  # someone else's power_off on Droplet 2 has ended by the time we look again
            api.droplets[2]['status'] = 'off'
        return original(path, params, expect)
    api.get = get
    result = run(api, ids(1, 2), type='power_off', droplet_ids=[1, 2])
    assert [a['resource_id'] for a in result['actions']] == [1]
    assert dict((e['id'], e['changed']) for e in result['droplets']) == {1: True, 2: False}


class LateSnapshotsApi(FleetApi):
    """Snapshots show in the account's list only some listings after their actions completed."""

    def __init__(self, count, late_listings):
        super().__init__(count)
        self.late_listings = late_listings
        self.listings = 0

    def paginate(self, path, key, params=None, limit=None, on_page=None):
        if path == '/v2/snapshots' and self.posts:
            self.listings += 1
            if self.listings <= self.late_listings:
                for page in range(2):  # an account with 201 to 400 other snapshots, none of ours yet
                    self.requests.append(('GET', '/v2/snapshots page %d' % (page + 1)))
                    if on_page is not None:
                        on_page({key: [], 'meta': dict(total=300)})
                return
        yield from super().paginate(path, key, params, limit, on_page)


def test_a_fleet_snapshot_settle_round_spaces_its_polls_by_every_page_it_read():
    # Each round lists the Droplets (1 page) and the account's snapshots (2 pages): the pause after
    # it is three poll intervals, so the round spends the quota no faster than a one-request poll.
    api = LateSnapshotsApi(3, late_listings=2)
    module = FakeModule(api, type='snapshot', name='nightly', tag_name='web')
    FleetRun(module, TagSelection(api, 'web')).execute()
    assert module.report.as_result()['changed'] and len(api.posts) == 1
    settle_sleeps = module.clock.sleeps[-2:]  # the pauses after the two rounds that found no snapshot yet
    assert settle_sleeps[0] == pytest.approx(3 * 0.5), module.clock.sleeps
