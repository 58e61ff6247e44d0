# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting on actions and Droplets: one poll loop with a monotonic deadline and the poll schedule."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import DigitalOceanAPIError
from ansible_collections.oceanops.droplets.plugins.module_utils.errors import TaskFailure, deleted_while
from ansible_collections.oceanops.droplets.plugins.module_utils.page_sense import PageSense, next_link
from ansible_collections.oceanops.droplets.plugins.module_utils.reading import OwnReads, Read
from ansible_collections.oceanops.droplets.plugins.module_utils.retry import poll_interval
from ansible_collections.oceanops.droplets.plugins.module_utils.timing import NEW_ACTION_GRACE_SECONDS, POLL_MAX_SECONDS

IN_PROGRESS = 'in-progress'


class WaitTimeout(TaskFailure):
    """The deadline passed first. ``last`` is the last thing seen (an action, a Droplet, a list)."""

    def __init__(self, message, last=None, waited=None):
        super().__init__(message)
        self.last = last
        self.waited = waited


class Waiter:
    """Polls with a deadline. ``reads`` is the task's reading strategy (reading.reads_for): alone, each
    action is polled by its own GET; in a crowd, the pages of GET /v2/actions the forks share."""

    def __init__(self, client, reads=None, clock=time.monotonic, sleep=time.sleep):
        self.client = client
        self.reads = reads or OwnReads(client, clock=clock)
        self.clock = clock
        self.sleep = sleep
        self.polls = 0
        self.interval = 0.0  # the latest poll interval slept

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
            factor = self.reads.poll_factor()  # slower after 429s
            interval = poll_interval(now - started) * pages
            self.interval = max(interval, min(interval * factor, POLL_MAX_SECONDS), self.reads.poll_floor())
            self.sleep(min(self.interval, max(deadline - now, 0.0)))
            self.polls += 1
            value = fetch()
        return value

    # -- one action ---------------------------------------------------------------------------
    def action(self, action, deadline):
        """Wait until ``action`` is completed or errored and return its final state."""
        return self.action_ended(action, deadline).value

    def action_ended(self, action, deadline):
        """``action``'s final state, a Read: ``answered_at`` is when the answer that showed the end came in
        (a Droplet read after it shows what followed)."""
        if self.reads.crowd:
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

        final = self.poll(fetch, lambda current: current.get('status') != IN_PROGRESS, deadline, describe_action,
                          initial=action)
        return Read(final, None, self.clock(), self.clock(), False)

    def _one_of_shared(self, action, deadline):
        state = self._scan_state(True)
        try:
            final = self.actions([action], deadline, state=state)[action['id']]
        except WaitTimeout as timeout:
            last = dict(action, **timeout.last[action['id']])
            raise WaitTimeout('Timed out after %.0f s waiting for %s' % (timeout.waited, describe_action(last)),
                              last, timeout.waited)
        # A shared page holds ids and statuses only: keep the rest. Every fork that learned the end from the
        # same page can use the same Droplet read after it.
        ended = state['answered_at']
        if ended is None or state['seen_directly']:  # ended already when posted, or seen by a GET of our own
            ended = self.clock()
        return Read(dict(action, **final), None, ended, ended, True)

    def read_droplet(self, droplet_id, ended, deadline=None):
        """The Droplet after this process's action ended (``ended``: action_ended's Read): in a crowd, from a
        page of GET /v2/droplets the waiting forks share, read after that end was seen."""
        max_age = max(self.reads.round_seconds(), self.interval / 2.0) if self.reads.crowd else 0.0
        return self.reads.droplet_after(droplet_id, ended, deadline, max_age).value

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
            state = self._scan_state(self.reads.crowd)
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
        # ask for them one by one (a round then costs one request per action: Waiter.poll's cost). Such a
        # round over a thousand actions must not outlast the task: it stops at the deadline (poll then fails).
        for action_id in list(pending):
            if self.clock() >= state['deadline']:
                return
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
        not_before = self.clock() if shared else 0.0  # pages read since we began to wait
        return dict(shared=shared, not_before=not_before, seen_directly=False, answered_at=None)

    def _actions_page(self, page, state):
        """One page of GET /v2/actions, through the shared-poll lease when other processes wait too; None
        for a shared page read before this wait began. Such a page is not read again at once for us: with
        forks starting to wait every moment, that would be a round per fork instead of one per few seconds."""
        max_age = max(self.reads.round_seconds(), self.interval / 2.0) if state['shared'] else 0.0
        read = self.reads.actions_page(page, state['deadline'], max_age, 0.0)
        if read.sent_at < state['not_before']:
            return None
        state['answered_at'] = read.answered_at
        return read.value


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


def describe_action(action):
    return 'action %s (%s on %s %s), last status %s' % (
        action.get('id'), action.get('type'), action.get('resource_type', 'droplet'), action.get('resource_id'),
        action.get('status'))
