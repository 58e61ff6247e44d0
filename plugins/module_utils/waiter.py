# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting on actions and Droplets: one poll loop with a monotonic deadline and the poll schedule."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import DigitalOceanAPIError, MAX_PAGE_SIZE
from ansible_collections.oceanops.droplets.plugins.module_utils.errors import TaskFailure
from ansible_collections.oceanops.droplets.plugins.module_utils.retry import poll_interval

IN_PROGRESS = 'in-progress'
# An action just created may briefly answer 404 while the API catches up; tolerate that this long.
NEW_ACTION_GRACE_SECONDS = 10.0


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
            self.sleep(min(poll_interval(now - started) * pages, max(deadline - now, 0.0)))
            self.polls += 1
            value = fetch()
        return value

    # -- one action ---------------------------------------------------------------------------
    def action(self, action, deadline):
        """Wait until ``action`` is completed or errored and return its final state."""
        path = '/v2/actions/%s' % action['id']
        born = self.clock()

        def fetch():
            try:
                return self.client.get(path, expect='action')
            except DigitalOceanAPIError as error:
                if error.status == 404 and self.clock() - born < NEW_ACTION_GRACE_SECONDS:
                    return action
                raise

        return self.poll(fetch, lambda current: current.get('status') != IN_PROGRESS, deadline, describe_action,
                         initial=action)

    # -- many actions -------------------------------------------------------------------------
    def actions(self, actions, deadline, whose='our'):
        """Wait for many actions at once and return {action id: final action}.

        Reads the account-wide list (newest first, 200 a page) instead of one GET per action. A
        round stops at the first page that still shows one of ours in progress, and the next
        round starts at that page: newer actions only push ours to later pages. So a fleet of
        1,000 costs about one request per round until the actions finish, not 1,000.
        """
        pending = dict((action['id'], action) for action in actions if action.get('status') == IN_PROGRESS)
        final = dict((action['id'], action) for action in actions if action.get('status') != IN_PROGRESS)
        state = dict(start_page=1)

        def fetch():
            self._scan_round(pending, final, state)
            return pending

        def describe(still):
            return '%d of %s %d actions, still in progress: %s' % (
                len(still), whose, len(actions), ', '.join(describe_action(pending[i]) for i in sorted(still)[:5]))

        try:
            self.poll(fetch, lambda still: not still, deadline, describe, initial=pending if pending else None)
        except WaitTimeout as timeout:
            final.update(pending)
            timeout.last = final
            raise
        return final

    def _scan_round(self, pending, final, state):
        page = state['start_page']
        while pending:
            data = self.client.get('/v2/actions', params=dict(page=page, per_page=MAX_PAGE_SIZE))
            listed = data.get('actions') or []
            blocked = False
            for action in listed:
                if action['id'] not in pending:
                    continue
                if action.get('status') == IN_PROGRESS:
                    blocked = True
                else:
                    final[action['id']] = action
                    del pending[action['id']]
            if blocked:
                state['start_page'] = page
                return
            if not ((data.get('links') or {}).get('pages') or {}).get('next'):
                break
            page += 1
        # Not in the list at all (pruned, or another account view): ask for them one by one.
        for action_id in list(pending):
            action = self.client.get('/v2/actions/%s' % action_id, expect='action')
            if action.get('status') != IN_PROGRESS:
                final[action_id] = action
                del pending[action_id]


def describe_action(action):
    return 'action %s (%s on %s %s), last status %s' % (
        action.get('id'), action.get('type'), action.get('resource_type', 'droplet'), action.get('resource_id'),
        action.get('status'))
