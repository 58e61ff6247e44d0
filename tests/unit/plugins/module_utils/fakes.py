# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""In-memory stand-ins for the API client, a clock and a requests session, for unit tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib

from ansible_collections.oceanops.droplets.plugins.module_utils._coordination import names
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.shared_reads import Shared
from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import DigitalOceanAPIError
from ansible_collections.oceanops.droplets.plugins.module_utils.base import COMMON_ARGUMENT_SPEC, WAIT_ARGUMENT_SPEC
from ansible_collections.oceanops.droplets.plugins.module_utils.reading import CrowdReads, Read
from ansible_collections.oceanops.droplets.plugins.module_utils.task_report import TaskReport
from ansible_collections.oceanops.droplets.plugins.module_utils.waiter import Waiter
from ansible_collections.oceanops.droplets.plugins.modules import droplet_action


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class FakeClient:
    """Answers GETs from a dict of path -> body (or callable(params) -> body); records every call."""

    timeout = 30  # seconds, as DigitalOceanClient's default

    def __init__(self, routes=None):
        self.routes = dict(routes or {})
        self.calls = []
        self.posts = []
        self.server_time = None
        self.stats = dict(requests=0)

    def get(self, path, params=None, expect=None):
        self.calls.append(('GET', path, params))
        if path not in self.routes:
            raise DigitalOceanAPIError('404 for %s' % path, status=404, method='GET', path=path)
        body = self.routes[path]
        data = body(params) if callable(body) else body
        return data[expect] if expect else data

    def paginate(self, path, key, params=None, limit=None):
        return iter(self.get(path, params).get(key, []))

    def post(self, path, body, params=None, expect=None):
        self.calls.append(('POST', path, body))
        self.posts.append((path, body, params))
        data = self.answer_post(path, body, params)
        return data[expect] if expect else data

    def answer_post(self, path, body, params):
        """What the API answers a POST; the default accepts it as a new in-progress action."""
        droplet_id = int(path.split('/')[3]) if path.count('/') == 4 else None
        return {'action': dict(id=1000 + len(self.posts), status='in-progress', type=body['type'],
                               resource_id=droplet_id, started_at='2026-11-25T10:00:05Z')}


def droplet(**overrides):
    base = dict(id=101, name='web-01', status='active', locked=False, features=[], size_slug='s-1vcpu-1gb',
                disk=25, kernel=None, backup_ids=[], snapshot_ids=[], image=dict(id=1, slug='ubuntu-24-04-x64'))
    base.update(overrides)
    return base


def module_params(**overrides):
    """droplet_action's parameters as Ansible would hand them over: every option's default, then ``overrides``."""
    spec = dict(COMMON_ARGUMENT_SPEC)
    spec.update(WAIT_ARGUMENT_SPEC)
    spec.update(droplet_action.ARGUMENT_SPEC)
    params = dict((name, option.get('default')) for name, option in spec.items())
    params['graceful_timeout'] = droplet_action.DEFAULT_GRACEFUL_TIMEOUT  # resolved by the module's checks
    params.update(overrides)
    return params


class FakeModule:
    """What the runners use of DigitalOceanModule: params, client, waiter, deadline, report, warn."""

    def __init__(self, client, check_mode=False, clock=None, **params):
        clock = clock or FakeClock()
        self.client = client
        self.clock = clock
        self.waiter = waiter_for(client, clock)
        self.deadline = clock.now + 600
        self.params = module_params(**params)
        self.check_mode = check_mode
        self.report = TaskReport(check_mode=check_mode)
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)


class Replies:
    """A route answering each call with the next body of a list; the last one repeats."""

    def __init__(self, *bodies):
        self.bodies = list(bodies)
        self.calls = 0

    def __call__(self, params):
        self.calls += 1
        return self.bodies[min(self.calls, len(self.bodies)) - 1]


def api_error(status, message='', outcome_unknown=False, method='POST', path='/v2/droplets/101/actions'):
    return DigitalOceanAPIError('HTTP %s: %s' % (status, message), status=status, api_message=message,
                                method=method, path=path, outcome_unknown=outcome_unknown)


PENDING = 'Droplet already has a pending event.'


def waiter_for(client, clock):
    """The waiter a task on ``client`` gets: in a crowd when a CrowdCoordinator is set as ``client.crowd``."""
    crowd = getattr(client, 'crowd', None)
    reads = CrowdReads(client, crowd, clock) if crowd is not None else None
    return Waiter(client, reads, clock=clock, sleep=clock.sleep)


def plan_read(server_time, answered_at=None):
    """The Read a plan came from: answered at ``server_time`` (the API's clock); ``answered_at`` (local,
    monotonic) for one from a shared page."""
    return Read(droplet(), server_time, answered_at or 0.0, answered_at or 0.0, answered_at is not None)


class CrowdCoordinator:
    """What the crowd's reading strategy (reading.CrowdReads) uses of the coordinator: shared pages given."""

    def __init__(self, page, droplet_pages=None, answered=1000.0, predates=False, own_pages=()):
        self.page_given = page
        self.own_pages = set(own_pages)  # pages of GET /v2/droplets this process reads itself now (none stored)
        self.predates = predates  # a shared page may not show one of our own earlier actions
        self.droplet_pages = droplet_pages or {}  # page number -> a shared page of GET /v2/droplets
        self.answered = answered
        self.asked = []
        self.not_befores = []
        self.droplet_pages_read = []
        self.peeked = []  # stored pages looked at (any age), in order
        self.kinds = []  # which set of shared pages each read of GET /v2/droplets went to
        self.gate = _Gate()

    def crowded(self):
        return True

    def shares_reads(self):
        return True

    @contextlib.contextmanager
    def claim(self, droplet_id, deadline, hold_for):
        """Free at once; the look may be the shared page unless one of ours changed the Droplet (predates)."""
        yield self.predates

    def round_seconds(self):
        return 2.0

    def page(self, kind, number, fetch, compact, max_age, not_before, deadline=None):
        if kind == names.ACTIONS:
            self.asked.append((number, max_age))
            self.not_befores.append(not_before)
            value = self.page_given
        else:
            self.droplet_pages_read.append((number, max_age))
            self.kinds.append(kind)
            value = self.droplet_pages.get(number) or fetch()
            if number in self.own_pages:
                return Shared(value, self.answered - 0.1, self.answered, True)
        return Shared(value, self.answered - 0.1, self.answered, False)

    def stored_page(self, kind, number):
        self.peeked.append(number)
        return self.droplet_pages.get(number)

    def page_predates_ours(self, droplet_id, sent_at):
        return self.predates

    def changing(self, droplet_ids):
        pass

    def settled(self, droplet_ids):
        pass


class _Gate:
    def poll_factor(self):
        return 1.0


def droplets_page(*droplet_ids, **extra):
    """A shared page of GET /v2/droplets answered at 2026-11-25T10:00:00Z; ``status`` sets every Droplet's."""
    status = extra.pop('status', 'active')
    page = dict(droplets=[droplet(id=droplet_id, status=status) for droplet_id in droplet_ids], links=dict(pages={}),
                meta=dict(total=len(droplet_ids)), server_time=1795600800.0)
    page.update(extra)
    return page
