# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import DigitalOceanAPIError
from ansible_collections.oceanops.droplets.plugins.module_utils.waiter import WaitTimeout, Waiter
from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClock


class ActionsApi:
    """Actions that end at ``ends_at`` (fake clock); lists /v2/actions newest first, 200 a page."""

    def __init__(self, clock, count, ends_at, errored=()):
        self.clock = clock
        self.ids = list(range(1, count + 1))
        self.ends_at = ends_at
        self.errored = set(errored)
        self.requests = 0

    def action(self, action_id):
        status = 'in-progress'
        if self.clock.now >= self.ends_at:
            status = 'errored' if action_id in self.errored else 'completed'
        return dict(id=action_id, status=status, type='power_off', resource_id=1000 + action_id)

    server_time = None  # the server's time of the latest answer (no Date header here)

    def get(self, path, params=None, expect=None):
        self.requests += 1
        if path.startswith('/v2/actions/'):
            found = dict(action=self.action(int(path.rsplit('/', 1)[1])))
            return found[expect] if expect else found
        newest_first = sorted(self.ids, reverse=True)
        page, per_page = params['page'], params['per_page']
        chunk = newest_first[(page - 1) * per_page:page * per_page]
        has_next = page * per_page < len(newest_first)
        return dict(actions=[self.action(i) for i in chunk], links=dict(pages=dict(next='n') if has_next else {}))


def test_one_action_is_polled_on_the_schedule_until_it_ends():
    clock = FakeClock()
    api = ActionsApi(clock, 1, clock.now + 30)
    final = Waiter(api, clock=clock, sleep=clock.sleep).action(api.action(1), clock.now + 600)
    assert final['status'] == 'completed'
    assert clock.now - (api.ends_at) <= 3.0  # noticed within max(2 s, 10 %) of the end
    assert api.requests < 25


def test_timeout_names_the_action_and_time_waited():
    clock = FakeClock()
    api = ActionsApi(clock, 1, clock.now + 10 ** 6)
    with pytest.raises(WaitTimeout) as caught:
        Waiter(api, clock=clock, sleep=clock.sleep).action(api.action(1), clock.now + 20)
    assert 'action 1 (power_off' in str(caught.value) and 'in-progress' in str(caught.value)
    assert caught.value.waited == pytest.approx(20, abs=0.01)


def test_a_new_action_may_briefly_answer_404():
    clock = FakeClock()
    calls = []

    class Api:
        def get(self, path, params=None, expect=None):
            calls.append(path)
            if len(calls) < 3:
                raise DigitalOceanAPIError('404', status=404)
            return dict(id=1, status='completed') if expect else dict(action=dict(id=1, status='completed'))
    final = Waiter(Api(), clock=clock, sleep=clock.sleep).action(dict(id=1, status='in-progress'), clock.now + 60)
    assert final['status'] == 'completed' and len(calls) == 3


def test_fleet_of_a_thousand_costs_about_one_request_per_round():
    clock = FakeClock()
    api = ActionsApi(clock, 1000, clock.now + 30, errored={500})
    actions = [api.action(i) for i in api.ids]
    waiter = Waiter(api, clock=clock, sleep=clock.sleep)
    finals = waiter.actions(actions, clock.now + 600)
    assert len(finals) == 1000
    assert finals[500]['status'] == 'errored'
    assert sum(1 for a in finals.values() if a['status'] == 'completed') == 999
    # one request per round before the end, then the five pages of 200 once
    assert api.requests <= waiter.polls + 5
    assert api.requests <= 30


def test_fleet_timeout_reports_every_action():
    clock = FakeClock()
    api = ActionsApi(clock, 10, clock.now + 10 ** 6)
    with pytest.raises(WaitTimeout) as caught:
        Waiter(api, clock=clock, sleep=clock.sleep).actions([api.action(i) for i in api.ids], clock.now + 5)
    assert len(caught.value.last) == 10
    assert '10 of our 10 actions' in str(caught.value)


def test_a_poll_round_of_many_pages_waits_longer_so_the_request_rate_stays_the_same():
    clock = FakeClock()
    reads = []

    def fetch():
        reads.append(clock.now)
        return clock.now

    started = clock.now
    waiter = Waiter(None, clock=clock, sleep=clock.sleep)
    waiter.poll(fetch, lambda value: value - started >= 10, started + 60, str, cost=lambda value: 5)
    gaps = [later - earlier for earlier, later in zip(reads, reads[1:])]
    # each gap is five one-page intervals: 5 pages a round cost what one page every interval would
    assert gaps[0] == pytest.approx(5 * 0.5)
    assert all(gap >= 5 * 0.5 for gap in gaps)
    assert len(reads) <= 5


def test_a_many_page_poll_still_ends_at_the_deadline():
    clock = FakeClock()
    waiter = Waiter(None, clock=clock, sleep=clock.sleep)
    with pytest.raises(WaitTimeout) as caught:
        waiter.poll(lambda: 'lagging', lambda value: False, clock.now + 7, str, cost=lambda value: 5)
    assert caught.value.waited == pytest.approx(7, abs=0.01)


def test_a_round_of_one_request_per_action_stops_at_the_deadline():
    # The account's list does not show our actions (pruned, another view): each is asked for on its own. A
    # round over 1,000 such actions must not run on past the deadline (each request here takes 1 s).
    clock = FakeClock()
    asked = []

    class Api:
        server_time = None

        def get(self, path, params=None, expect=None):
            clock.now += 1.0
            if path == '/v2/actions':
                return dict(actions=[], links=dict(pages={}))
            asked.append(path)
            action = dict(id=int(path.rsplit('/', 1)[1]), status='in-progress')
            return action if expect else dict(action=action)

    deadline = clock.now + 5
    with pytest.raises(WaitTimeout) as caught:
        Waiter(Api(), clock=clock, sleep=clock.sleep).actions(
            [dict(id=i, status='in-progress') for i in range(1, 1001)], deadline)
    assert len(asked) <= 5 and clock.now <= deadline + 1.0
    assert len(caught.value.last) == 1000  # every action is in the report, with the status last seen
