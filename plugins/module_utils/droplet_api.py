# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Droplet lookups and action starts that every runner and the info module share."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime, timezone

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import MAX_PAGE_SIZE, DigitalOceanAPIError
from ansible_collections.oceanops.droplets.plugins.module_utils.action_types import ACTION_TYPES
from ansible_collections.oceanops.droplets.plugins.module_utils.errors import OutcomeUnknown, Refused, deleted_while
from ansible_collections.oceanops.droplets.plugins.module_utils.retry import poll_interval
from ansible_collections.oceanops.droplets.plugins.module_utils.timing import (
    RECONCILE_WINDOW_SECONDS, SHARED_PLAN_MAX_AGE, STATUS_LAG_GRACE_SECONDS)
from ansible_collections.oceanops.droplets.plugins.module_utils.waiter import IN_PROGRESS, WaitTimeout, shared_droplet

PENDING_EVENT = 'pending event'
# What the API's 422 says when the Droplet is already in the state asked for (see docs/simulator.md's ledger).
STATE_REFUSAL = 'already'
# How many of a Droplet's newest actions are read before a POST: what existed then is never ours.
RECENT_ACTIONS = 20


class StateRefused(Exception):
    """A 422 refusing the action for the Droplet's state ("Droplet is already powered off."): the plan was made
    from a state that is gone (a guest shutdown, someone else's quick action, a status that lagged). Not a
    failure the first time: the runner reads the Droplet again and plans once more (``after_refusal``)."""

    def __init__(self, droplet_id, error):
        super().__init__(error.message)
        self.droplet_id = droplet_id
        self.error = error


class Busy(Exception):
    """Another action is running on the Droplet: seen in its action list, or met as 422 "pending event".

    Not a failure: the runner waits for ``running`` (someone else's actions), reads the Droplet
    again and plans again. ``running`` is empty when only the 422 told us.
    """

    def __init__(self, droplet_id, running, finished=()):
        super().__init__('Droplet %s has an action in progress' % droplet_id)
        self.droplet_id = droplet_id
        self.running = running
        self.finished = list(finished)  # someone else's actions that ended after our plan read the Droplet


def droplet_path(droplet_id):
    return '/v2/droplets/%s' % droplet_id


def not_found(droplet_id, error):
    return 'Droplet %s was not found (HTTP 404, request_id %s)' % (droplet_id, error.request_id)


def find_droplet(client, droplet_id=None, droplet_name=None):
    """The one Droplet the user means, by id or by exact name (the API's name filter, not a scan)."""
    if droplet_id is not None:
        try:
            return client.get(droplet_path(droplet_id), expect='droplet')
        except DigitalOceanAPIError as error:
            if error.status == 404:
                raise Refused(not_found(droplet_id, error))
            raise
    matches = list(client.paginate('/v2/droplets', 'droplets', params=dict(name=droplet_name)))
    if not matches:
        raise Refused('No Droplet is named %r' % droplet_name)
    if len(matches) > 1:
        raise Refused('droplet_name %r is ambiguous: %d Droplets have it (ids %s); use droplet_id'
                      % (droplet_name, len(matches), ', '.join(str(d['id']) for d in matches)))
    return matches[0]


def read_for_plan(client, droplet_id=None, droplet_name=None, deadline=None, shared=True):
    """(the Droplet to plan from, the server time of that read or None, the local (monotonic) time a shared
    page's answer was in, else 0.0): start_action takes the last two as ``plan_read_at`` and ``look_after``.

    Alone: find_droplet, one request. In a crowd of processes on one token, a Droplet given by id
    comes from the pages of GET /v2/droplets they share (at most SHARED_PLAN_MAX_AGE old): a
    thousand forks then cost a few page reads instead of a thousand GETs. That read may be older;
    start_action compares it with the actions since (``plan_read_at``) and plans again if need be;
    so ``shared`` is False for types without an "already done" rule, which it does not compare.
    """
    coordinator = getattr(client, 'coordinator', None)
    if shared and droplet_id is not None and coordinator is not None and coordinator.crowded():
        droplet, read_at = shared_droplet(client, droplet_id, SHARED_PLAN_MAX_AGE, 0.0, deadline, 'plan-droplets')
        # Not a page from before one of our own actions on it showed (an earlier task of this play).
        if droplet is not None and read_at is not None and not coordinator.page_predates_ours(
                droplet_id, coordinator.read_at()):
            return droplet, read_at, coordinator.answered_at()
    droplet = find_droplet(client, droplet_id, droplet_name)
    return droplet, getattr(client, 'server_time', None), 0.0


def read_droplet(client, droplet_id, doing):
    """The Droplet as it is now; DropletGone (naming ``doing``) when it was deleted meanwhile."""
    try:
        return client.get(droplet_path(droplet_id), expect='droplet')
    except DigitalOceanAPIError as error:
        if error.status == 404:
            raise deleted_while([droplet_id], doing)
        raise


def recent_actions(client, droplet_id):
    """The Droplet's newest actions, newest first (one request)."""
    return client.get(droplet_path(droplet_id) + '/actions', params=dict(per_page=RECENT_ACTIONS), expect='actions')


def is_pending_event(error):
    return error.status == 422 and PENDING_EVENT in (error.api_message or '').lower()


def is_state_refusal(error):
    """A 422 saying the Droplet already is as asked ("already powered off", "already powered on", "already this
    size"): the state changed since the plan's read."""
    message = (error.api_message or '').lower()
    return error.status == 422 and not is_pending_event(error) and STATE_REFUSAL in message


class ActionMarker:
    """What existed before our POST, so that nothing older is ever taken for the action we sent.

    Built from a list of actions read just before the POST (a Droplet's newest, or the account's
    newest page for a fleet): an action is new when it is not in that list and did not start before
    the newest one listed. The API's times have one-second steps; an older action from that same
    second is in the list, so it is still not taken for ours.
    """

    def __init__(self, actions):
        self.ids = set(action.get('id') for action in actions)
        stamps = [epoch(action.get('started_at')) for action in actions]
        self.since = max([stamp for stamp in stamps if stamp is not None] or [None]) if stamps else None

    def is_new(self, action):
        if action.get('id') in self.ids:
            return False
        if self.since is None:
            return True
        started = epoch(action.get('started_at'))
        return started is not None and started >= self.since


def epoch(stamp):
    try:
        return datetime.strptime(stamp, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


def start_action(client, waiter, droplet_id, body, deadline, report, marker=None, plan_read_at=None, seen=(),
                 look_after=0.0):
    """POST one action so that, in effect, it is sent at most once; record it in ``report`` when accepted.

    Without a ``marker`` the Droplet's newest actions are read first: one in progress is someone
    else's (raise Busy, so the runner waits and plans again instead of sending blind). When the
    POST's outcome is unknown (5xx, timeout, dropped connection, unreadable body) the Droplet's
    list is watched for RECONCILE_WINDOW_SECONDS for a new action of our type; only if none appears
    is the POST sent once more, and never a third time. ``plan_read_at`` (epoch seconds, for types
    with an "already done" rule): an action someone else started since the plan read the Droplet may
    have reached the state already, so Busy is raised to plan again (``finished`` holds them; ids in
    ``seen`` were planned again for already). ``look_after``: the local time a shared page the plan came
    from was answered; a shared look before the POST must be newer, or it could miss what happened between.
    A 422 refusing the action for the Droplet's state raises StateRefused; a 404, Refused (not found).
    Look and POST happen under the Droplet's claim (Coordinator.claim): our other processes wait, so two of
    them never both send from plans made before either's action.
    """
    coordinator = getattr(client, 'coordinator', None)
    if coordinator is None:
        return _look_and_post(client, waiter, droplet_id, body, deadline, report, marker,
                              (plan_read_at, seen, look_after, True))
    with coordinator.claim(droplet_id, deadline) as own_look:
        return _look_and_post(client, waiter, droplet_id, body, deadline, report, marker,
                              (plan_read_at, seen, look_after, own_look))


def _look_and_post(client, waiter, droplet_id, body, deadline, report, marker, plan):
    """start_action's work; ``plan`` is (plan_read_at, seen, look_after, own_look)."""
    path = droplet_path(droplet_id) + '/actions'
    for attempt in (1, 2):
        if marker is None or attempt == 2:
            late, marker = _look_before(client, droplet_id, body['type'], deadline, marker, plan)
            if late is not None:  # our first POST was applied after the window after all
                report.accepted(late)
                return late
        try:
            action = client.post(path, body, expect='action')
        except DigitalOceanAPIError as error:
            _raise_unless_unknown(error, droplet_id)
            action = look_for_ours(client, waiter, droplet_id, body['type'], marker, deadline)
            if action is None:
                if attempt == 2 or waiter.clock() >= deadline:
                    raise OutcomeUnknown(
                        'The %s request for Droplet %s got no usable answer (%s) and no %s action appeared within '
                        '%.0f s; it was not sent again, so that it cannot run twice. Check the Droplet before you '
                        'run the task again' % (body['type'], droplet_id, error.message, body['type'],
                                                RECONCILE_WINDOW_SECONDS))
                continue
        report.accepted(action)
        return action


def _look_before(client, droplet_id, action_type, deadline, marker, plan):
    """(our late action found, or None; the marker) from a look at the Droplet's actions before a POST.
    Busy if someone else's action runs, or ran since the plan's read (or, for a plan from a shared page,
    ended so shortly before it that the page may show the status from before: STATUS_LAG_GRACE_SECONDS).
    The look is the Droplet's own list before a resend, and when ``own_look`` says one of our processes
    changed the Droplet lately (a shared page may predate that); else look_before_post's."""
    plan_read_at, seen, look_after, own_look = plan
    if marker is not None or own_look:  # before a resend, a shared page may predate the late apply
        before = listed = recent_actions(client, droplet_id)
    else:
        before, listed = look_before_post(client, droplet_id, deadline, since=plan_read_at, not_before=look_after)
    late = _new_of_type(before, action_type, marker) if marker is not None else None
    if late is not None:
        return late, marker
    running = [action for action in before if action.get('status') == IN_PROGRESS]
    if running:
        raise Busy(droplet_id, running)
    lag = STATUS_LAG_GRACE_SECONDS if look_after else 0.0
    since_plan = [a for a in before if plan_read_at is not None and a.get('id') not in seen
                  and (_since(a, plan_read_at) or _lagging(a, plan_read_at - lag))]
    if since_plan:
        raise Busy(droplet_id, [], finished=since_plan)
    return None, marker or ActionMarker(listed)


def _raise_unless_unknown(error, droplet_id):
    """A POST's error: Busy, StateRefused or Refused for what a new plan or the user must handle; returns only
    when the outcome is unknown (the action may have been applied)."""
    if is_pending_event(error):
        raise Busy(droplet_id, [])
    if is_state_refusal(error):
        raise StateRefused(droplet_id, error)
    if error.status == 404:
        raise Refused(not_found(droplet_id, error))
    if not error.outcome_unknown:
        raise error


def look_before_post(client, droplet_id, deadline, since=None, not_before=0.0):
    """(the Droplet's actions, every action listed) as they are just before a POST.

    Alone: the Droplet's newest actions, one request. In a crowd of processes on one token: the
    account's newest page as another process read it at most one shared round ago (2 to 5 s, by the size
    of the crowd: Coordinator.round_seconds); it lists this Droplet's running action, if any, among the
    newest, and what it lists is what existed before our POST.
    That page must reach back to ``since`` (the plan's read): if every action on it is newer and more
    follow, the Droplet's own list is read instead. ``not_before``: the shared page must be read after
    this (local monotonic time), e.g. after the page the plan came from.
    """
    coordinator = getattr(client, 'coordinator', None)
    if coordinator is not None and coordinator.crowded():
        page = coordinator.actions_page(
            1, lambda: client.get('/v2/actions', params=dict(page=1, per_page=MAX_PAGE_SIZE)),
            coordinator.round_seconds(), not_before, deadline)
        listed = page.get('actions') or []
        if since is None or _reaches_back(page, since):
            return [action for action in listed if action.get('resource_id') == droplet_id], listed
    before = recent_actions(client, droplet_id)
    return before, before


def _reaches_back(page, since):
    """True if the page (newest first) lists every action started at or after ``since``."""
    if not ((page.get('links') or {}).get('pages') or {}).get('next'):
        return True
    return any((epoch(action.get('started_at')) or since) < since for action in page.get('actions') or [])


def _since(action, read_at):
    """Started, or ended, after the read the plan was made from: that read may not show its effect."""
    started, completed = epoch(action.get('started_at')), epoch(action.get('completed_at'))
    return (started or 0) >= read_at or (completed is not None and completed > read_at)


def _lagging(action, since):
    """A completed action that changes the status and ended after ``since``: the status may not show it yet."""
    completed = epoch(action.get('completed_at'))
    return (action.get('status') == 'completed' and completed is not None and completed > since
            and getattr(ACTION_TYPES.get(action.get('type')), 'status_after', None) is not None)


def _new_of_type(actions, action_type, marker):
    return next((a for a in actions if a.get('type') == action_type and marker.is_new(a)), None)


def look_for_ours(client, waiter, droplet_id, action_type, marker, deadline):
    """A new action of ``action_type`` on the Droplet (see ActionMarker), within the window; or None."""
    window_end = min(deadline, waiter.deadline_after(RECONCILE_WINDOW_SECONDS))
    try:
        found = waiter.poll(lambda: recent_actions(client, droplet_id),
                            lambda actions: _new_of_type(actions, action_type, marker) is not None, window_end,
                            lambda actions: 'our %s action to show on Droplet %s' % (action_type, droplet_id))
    except WaitTimeout:
        return None
    return _new_of_type(found, action_type, marker)


def wait_out_others(client, waiter, droplet_id, busy, deadline, busy_since):
    """Wait for someone else's actions on the Droplet to end; return the Droplet once their effect shows.

    ``busy.running`` are the in-progress actions seen; empty when only a 422 "pending event" told us.
    Then the list is read again, and if it still shows nothing running the task pauses for a poll
    interval (the API keeps refusing, so it must not be hammered) before the caller plans again.
    ``busy.finished`` are actions that ended since the plan: only their effect is waited for.
    """
    running = busy.running
    if busy.finished:  # nothing to wait for: a read to plan from, so a Droplet gone fails as a plan's read does
        return after_status_lag(client, waiter, find_droplet(client, droplet_id), busy.finished, deadline)
    if not running:
        running = [action for action in recent_actions(client, droplet_id) if action.get('status') == IN_PROGRESS]
    if not running:
        now = waiter.clock()
        if now >= deadline:
            raise WaitTimeout('Timed out after %.0f s: Droplet %s still answers 422 "pending event" and shows no '
                              'running action' % (now - busy_since, droplet_id), waited=now - busy_since)
        waiter.sleep(min(max(1.0, poll_interval(now - busy_since)), deadline - now))
        return read_droplet(client, droplet_id, 'waiting for its pending event')
    finished = waiter.actions(running, deadline, whose="someone else's")
    droplet = read_droplet(client, droplet_id, "waiting for someone else's action")
    return after_status_lag(client, waiter, droplet, finished.values(), deadline)


def after_refusal(client, waiter, droplet_id, deadline):
    """The Droplet to plan again from after the API refused an action for its state: read it (not found fails
    as a lone task does), and if a status-changing action ended in the last STATUS_LAG_GRACE_SECONDS, wait
    for the status to show it, as after waiting for someone else's action."""
    droplet = find_droplet(client, droplet_id)
    now = getattr(client, 'server_time', None)
    if now is None:
        return droplet
    lagging = [action for action in recent_actions(client, droplet_id)
               if _lagging(action, now - STATUS_LAG_GRACE_SECONDS)]
    return after_status_lag(client, waiter, droplet, lagging, deadline)


def after_status_lag(client, waiter, droplet, finished, deadline):
    """The Droplet's status lags a completed power action by a moment: deciding on the stale status
    would report a power_on after someone else's power_off as "already done"."""
    completed = sorted((action for action in finished if action.get('status') == 'completed'
                        and getattr(ACTION_TYPES.get(action.get('type')), 'status_after', None)),
                       key=lambda action: action['id'])
    if not completed:
        return droplet
    wanted = ACTION_TYPES[completed[-1]['type']].status_after  # the newest action decides
    if droplet.get('status') == wanted:
        return droplet
    try:
        return waiter.poll(lambda: read_droplet(client, droplet['id'], "waiting for someone else's action"),
                           lambda current: current.get('status') == wanted,
                           min(deadline, waiter.deadline_after(STATUS_LAG_GRACE_SECONDS)),
                           lambda current: 'Droplet %s to show status %s' % (current['id'], wanted), initial=droplet)
    except WaitTimeout as timeout:
        return timeout.last  # e.g. a shutdown the guest ignored: decide on what the API shows
