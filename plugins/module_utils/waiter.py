# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting on actions and Droplets: one poll loop with a monotonic deadline and the poll schedule."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import DigitalOceanAPIError, MAX_PAGE_SIZE
from ansible_collections.oceanops.droplets.plugins.module_utils.errors import TaskFailure, deleted_while
from ansible_collections.oceanops.droplets.plugins.module_utils.page_sense import PageSense, next_link
from ansible_collections.oceanops.droplets.plugins.module_utils.retry import poll_interval
from ansible_collections.oceanops.droplets.plugins.module_utils.timing import NEW_ACTION_GRACE_SECONDS, POLL_MAX_SECONDS

IN_PROGRESS = 'in-progress'
# Droplets are re-read through a shared GET /v2/droplets only in accounts of at most this many pages.
SHARED_DROPLET_PAGES = 5


class WaitTimeout(TaskFailure):
    """The deadline passed first. ``last`` is the last thing seen (an action, a Droplet, a list)."""

    def __init__(self, message, last=None, waited=None):
        super().__init__(message)
        self.last = last
        self.waited = waited


class Waiter:
    def __init__(self, client, clock=time.monotonic, sleep=time.sleep):
        self.client = client
        self.clock = clock
        self.sleep = sleep
        self.polls = 0
        self.interval = 0.0  # the latest poll interval slept
        self.action_ended_at = None  # when (monotonic) this process saw its latest action end, in shared polls

    def deadline_after(self, seconds):
        return self.clock() + seconds

    def poll(self, fetch, finished, deadline, describe, initial=None, cost=None):
        """Call ``fetch`` on the poll schedule until ``finished(value)``; WaitTimeout at ``deadline``.

        ``initial`` is a value already in hand (e.g. the action a POST returned), so the first
        request is only sent after the first interval instead of at once. ``cost(value)`` is the
        number of requests a fetch took (pages of a list): the next interval is that many times
        longer, so a many-page round spends the token's quota no faster than a one-request poll.
        """
        started = self.clock()
        value = initial
        if value is None:
            value = fetch()
        while not finished(value):
            now = self.clock()
            if now >= deadline:
                waited = now - started
                raise WaitTimeout('Timed out after %.0f s waiting for %s' % (waited, describe(value)), value, waited)
            pages = max(1, cost(value)) if cost else 1
            coordinator = getattr(self.client, 'coordinator', None)
            factor = coordinator.poll_factor() if coordinator is not None else 1.0  # slower after 429s
            interval = poll_interval(now - started) * pages
            self.interval = max(interval, min(interval * factor, POLL_MAX_SECONDS))
            self.sleep(min(self.interval, max(deadline - now, 0.0)))
            self.polls += 1
            value = fetch()
        return value

    # -- one action ---------------------------------------------------------------------------
    def action(self, action, deadline):
        """Wait until ``action`` is completed or errored and return its final state."""
        coordinator = getattr(self.client, 'coordinator', None)
        if coordinator is not None and coordinator.reads is not None and coordinator.crowded():
            return self._one_of_shared(action, deadline)  # other forks wait too: share their list
        path = '/v2/actions/%s' % action['id']
        born = self.clock()

        def fetch():
            try:
                return self.client.get(path, expect='action')
            except DigitalOceanAPIError as error:
                if error.status != 404:
                    raise
                self.fail_if_droplet_gone(action)
                if self.clock() - born < NEW_ACTION_GRACE_SECONDS:
                    return action
                raise

        return self.poll(fetch, lambda current: current.get('status') != IN_PROGRESS, deadline, describe_action,
                         initial=action)

    def _one_of_shared(self, action, deadline):
        state = self._scan_state(True)
        try:
            final = self.actions([action], deadline, state=state)[action['id']]
        except WaitTimeout as timeout:
            last = dict(action, **timeout.last[action['id']])
            raise WaitTimeout('Timed out after %.0f s waiting for %s' % (timeout.waited, describe_action(last)),
                              last, timeout.waited)
        # The end was in a page answered at this time: a Droplet read since shows what followed it,
        # and every fork that learned its end from the same page can use the same read.
        coordinator = self.client.coordinator
        self.action_ended_at = coordinator.now() if state['seen_directly'] else coordinator.answered_at()
        return dict(action, **final)  # a shared page holds ids and statuses only: keep the rest

    def read_droplet(self, droplet_id, deadline=None):
        """The Droplet after this process's action ended: from a page of GET /v2/droplets the waiting
        forks share (read after the action's end was seen), else with its own GET."""
        coordinator = getattr(self.client, 'coordinator', None)
        if coordinator is not None and coordinator.reads is not None and self.action_ended_at is not None:
            max_age = max(coordinator.round_seconds(), self.interval / 2.0)
            droplet = shared_droplet(self.client, droplet_id, max_age, self.action_ended_at, deadline)[0]
            if droplet is not None:
                return droplet
        return self.client.get('/v2/droplets/%s' % droplet_id, expect='droplet')

    # -- many actions -------------------------------------------------------------------------
    def actions(self, actions, deadline, whose='our', state=None):
        """Wait for many actions at once and return {action id: final action}.

        Reads the account-wide list (newest first, 200 a page) instead of one GET per action. A
        round stops at the first page that still shows one of ours in progress, and the next
        round starts at that page: newer actions only push ours to later pages. So a fleet of
        1,000 costs about one request per round until the actions finish, not 1,000.
        When other processes on the token wait too, the pages are read through the shared lease.
        """
        pending = dict((action['id'], action) for action in actions if action.get('status') == IN_PROGRESS)
        final = dict((action['id'], action) for action in actions if action.get('status') != IN_PROGRESS)
        if state is None:
            coordinator = getattr(self.client, 'coordinator', None)
            state = self._scan_state(coordinator is not None and coordinator.crowded())
        state.update(start_page=1, deadline=deadline, started=self.clock())

        def fetch():
            self._scan_round(pending, final, state)
            return pending

        def describe(still):
            return '%d of %s %d actions, still in progress: %s' % (
                len(still), whose, len(actions), ', '.join(describe_action(pending[i]) for i in sorted(still)[:5]))

        try:
            self.poll(fetch, lambda still: not still, deadline, describe, initial=pending if pending else None,
                      cost=lambda still: len(still) if state.get('unusable') else 1)
        except WaitTimeout as timeout:
            final.update(pending)
            timeout.last = final
            raise
        return final

    def _scan_round(self, pending, final, state):
        if not state.get('unusable') and self._scan_list(pending, final, state):
            return
        # Not in the list at all (pruned, or another account view), or a list that stopped making sense:
        # ask for them one by one (a round then costs one request per action: Waiter.poll's cost).
        for action_id in list(pending):
            action = self.read_action(pending[action_id])
            if action.get('status') != IN_PROGRESS:
                final[action_id] = action
                del pending[action_id]
                state['seen_directly'] = True

    def _scan_list(self, pending, final, state):
        """One round over the account's list from ``state['start_page']``: True when the round is over (one of
        ours still runs, or no news yet), False when the list ended, or stopped making sense (then
        ``state['unusable']`` says why, and later rounds ask for each action instead)."""
        page, sense = state['start_page'], PageSense()
        while pending:
            data = self._actions_page(page, state)
            if data is None:  # a shared page from before we began to wait: no news yet, wait for a newer round
                state['start_page'] = page
                return True
            state['unusable'] = sense.check(data, 'actions')
            if state['unusable']:
                return False
            if _take_finished(data.get('actions') or [], pending, final):  # one of ours still runs
                state['start_page'] = page
                return True
            if not next_link(data):
                return False
            if self.clock() >= state['deadline']:  # a list that never ends must not outlast the task
                waited = self.clock() - state['started']
                raise WaitTimeout('Timed out after %.0f s waiting for %d actions still in progress (%s); the account\'s '
                                  'action list went on past page %d' % (waited, len(pending), ', '.join(
                                      describe_action(a) for a in list(pending.values())[:5]), page), waited=waited)
            page += 1
        return False

    def read_action(self, action):
        """``action`` as the API shows it now; DropletGone when it answers 404 because its Droplet is gone."""
        try:
            return self.client.get('/v2/actions/%s' % action['id'], expect='action')
        except DigitalOceanAPIError as error:
            if error.status == 404:
                self.fail_if_droplet_gone(action)
            raise

    def fail_if_droplet_gone(self, action):
        """After a 404 on ``action``: DropletGone if its Droplet answers 404 too (one GET), else nothing."""
        if action.get('resource_type', 'droplet') != 'droplet' or action.get('resource_id') is None:
            return
        try:
            self.client.get('/v2/droplets/%s' % action['resource_id'], expect='droplet')
        except DigitalOceanAPIError as error:
            if error.status != 404:
                raise
            doing = 'waiting for its %s action %s' % (action.get('type'), action['id'])
            raise deleted_while([action['resource_id']], doing)

    def _scan_state(self, shared):
        not_before = self.client.coordinator.now() if shared else 0.0  # pages read since we began to wait
        return dict(shared=shared, not_before=not_before, seen_directly=False)

    def _actions_page(self, page, state):
        """One page of GET /v2/actions, through the shared-poll lease when other processes wait too; None
        for a shared page read before this wait began. Such a page is not read again at once for us: with
        forks starting to wait every moment, that would be a round per fork instead of one per few seconds."""
        def fetch():
            return self.client.get('/v2/actions', params=dict(page=page, per_page=MAX_PAGE_SIZE))
        if not state['shared']:
            return fetch()
        coordinator = self.client.coordinator
        max_age = max(coordinator.round_seconds(), self.interval / 2.0)
        data = coordinator.actions_page(page, fetch, max_age, 0.0, state['deadline'])
        return None if coordinator.read_at() < state['not_before'] else data


def shared_droplet(client, droplet_id, max_age, not_before, deadline=None, kind='droplets'):
    """(the Droplet, the server time of the answer that listed it) from the pages of GET /v2/droplets
    the forks on this token share; (None, None) when they do not list it or the account is too big.

    The page that listed the Droplet last is read first, so a fork whose Droplet is on page 4 does
    not make pages 1 to 3 fresh for nothing. ``kind`` names the set of pages: the re-reads after the
    actions end (``droplets``) are read every round; plans (``plan-droplets``) take older pages, and a
    look before a POST must be newer than its plan's page, so sharing one set would make each re-read
    force a new round of the action list too.
    """
    coordinator = client.coordinator

    def fetch(page):
        data = client.get('/v2/droplets', params=dict(page=page, per_page=MAX_PAGE_SIZE))
        return dict(data, server_time=client.server_time) if isinstance(data, dict) else data
    pages = list(range(1, SHARED_DROPLET_PAGES + 1))
    last_seen = coordinator.page_listing(kind + '-p%d', pages, lambda data: _listed(data, droplet_id))
    for page in ([last_seen] if last_seen else []) + [page for page in pages if page != last_seen]:
        data = coordinator.droplets_page(page, lambda page=page: fetch(page), max_age, not_before, deadline, kind)
        found = _listed(data, droplet_id)
        if found is not None:
            return found, data.get('server_time')
        total = (data.get('meta') or {}).get('total') or 0
        if total > SHARED_DROPLET_PAGES * MAX_PAGE_SIZE:
            break
        if page != last_seen and not ((data.get('links') or {}).get('pages') or {}).get('next'):
            break
    return None, None


def _take_finished(listed, pending, final):
    """Move the pending actions that ``listed`` shows ended into ``final``; True if one of them still runs."""
    running = False
    for action in listed:
        if action.get('id') not in pending:
            continue
        if action.get('status') == IN_PROGRESS:
            running = True
        else:  # over what we had: a shared page keeps ids and statuses only
            final[action['id']] = dict(pending.pop(action['id']), **action)
    return running


def _listed(data, droplet_id):
    return next((droplet for droplet in (data or {}).get('droplets') or []
                 if isinstance(droplet, dict) and droplet.get('id') == droplet_id), None)


def describe_action(action):
    return 'action %s (%s on %s %s), last status %s' % (
        action.get('id'), action.get('type'), action.get('resource_type', 'droplet'), action.get('resource_id'),
        action.get('status'))
