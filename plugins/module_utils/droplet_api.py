# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Droplet lookups and action starts that every runner and the info module share."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime, timezone

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import DigitalOceanAPIError
from ansible_collections.oceanops.droplets.plugins.module_utils.action_types import ACTION_TYPES
from ansible_collections.oceanops.droplets.plugins.module_utils.errors import OutcomeUnknown, Refused, deleted_while
from ansible_collections.oceanops.droplets.plugins.module_utils.reading import own_read
from ansible_collections.oceanops.droplets.plugins.module_utils.retry import poll_interval
from ansible_collections.oceanops.droplets.plugins.module_utils.timing import RECONCILE_WINDOW_SECONDS, STATUS_LAG_GRACE_SECONDS
from ansible_collections.oceanops.droplets.plugins.module_utils.waiter import IN_PROGRESS, WaitTimeout

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


def start_action(client, waiter, droplet_id, body, deadline, report, marker=None, plan=None, seen=()):
    """POST one action so that, in effect, it is sent at most once; record it in ``report`` when accepted.

    Without a ``marker`` the Droplet's newest actions are read first: one in progress is someone
    else's (raise Busy, so the runner waits and plans again instead of sending blind). When the
    POST's outcome is unknown (5xx, timeout, dropped connection, unreadable body) the Droplet's
    list is watched for RECONCILE_WINDOW_SECONDS for a new action of our type; only if none appears
    is the POST sent once more, and never a third time. ``plan`` (a Read, for types with an "already
    done" rule, before anything of ours was sent): an action someone else started since the plan's read
    may have reached the state already, so Busy is raised to plan again (``finished`` holds them; ids in
    ``seen`` were planned again for already). A plan from a shared page (``plan.shared``) also needs the
    shared look before the POST to be newer than that page, or it could miss what happened between.
    A 422 refusing the action for the Droplet's state raises StateRefused; a 404, Refused (not found).
    Look and POST happen under the Droplet's claim (Coordinator.claim): our other processes wait, so two of
    them never both send from plans made before either's action.
    """
    with waiter.reads.claim(droplet_id, deadline) as own_look:
        return _look_and_post(client, waiter, droplet_id, body, deadline, report, marker, (plan, seen, own_look))


def _look_and_post(client, waiter, droplet_id, body, deadline, report, marker, plan):
    """start_action's work; ``plan`` is (the plan's Read or None, seen, own_look)."""
    path = droplet_path(droplet_id) + '/actions'
    for attempt in (1, 2):
        if marker is None or attempt == 2:
            late, marker = _look_before(client, waiter, droplet_id, body['type'], deadline, marker, plan)
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


def _look_before(client, waiter, droplet_id, action_type, deadline, marker, plan):
    """(our late action found, or None; the marker) from a look at the Droplet's actions before a POST.
    Busy if someone else's action runs, or ran since the plan's read (or, for a plan from a shared page,
    ended so shortly before it that the page may show the status from before: STATUS_LAG_GRACE_SECONDS).
    The look is the Droplet's own list before a resend, and when ``own_look`` says one of our processes
    changed the Droplet lately (a shared page may predate that); else look_before_post's."""
    plan, seen, own_look = plan
    plan_read_at = plan.server_time if plan is not None else None
    from_shared_page = plan is not None and plan.shared
    if marker is not None or own_look:  # before a resend, a shared page may predate the late apply
        before = listed = recent_actions(client, droplet_id)
    else:
        before, listed = look_before_post(client, waiter.reads, droplet_id, deadline, since=plan_read_at,
                                          not_before=plan.answered_at if from_shared_page else 0.0)
    late = _new_of_type(before, action_type, marker) if marker is not None else None
    if late is not None:
        return late, marker
    running = [action for action in before if action.get('status') == IN_PROGRESS]
    if running:
        raise Busy(droplet_id, running)
    lag = STATUS_LAG_GRACE_SECONDS if from_shared_page else 0.0
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


def look_before_post(client, reads, droplet_id, deadline, since=None, not_before=0.0):
    """(the Droplet's actions, every action listed) as they are just before a POST.

    Alone: the Droplet's newest actions, one request. In a crowd of processes on one token: the account's
    newest page as another process read it lately (reads.newest_actions); it lists this Droplet's running
    action, if any, among the newest, and what it lists is what existed before our POST.
    That page must reach back to ``since`` (the plan's read): if every action on it is newer and more
    follow, the Droplet's own list is read instead. ``not_before``: the shared page must be read after
    this (local monotonic time), e.g. after the page the plan came from.
    """
    page = reads.newest_actions(deadline, not_before)
    if page is not None:
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
    """Wait for someone else's actions on the Droplet to end; return the Droplet (a Read) once their effect
    shows.

    ``busy.running`` are the in-progress actions seen; empty when only a 422 "pending event" told us.
    Then the list is read again, and if it still shows nothing running the task pauses for a poll
    interval (the API keeps refusing, so it must not be hammered) before the caller plans again.
    ``busy.finished`` are actions that ended since the plan: only their effect is waited for.
    """
    running = busy.running
    if busy.finished:  # nothing to wait for: a read to plan from, so a Droplet gone fails as a plan's read does
        read = own_read(client, waiter.clock, lambda: find_droplet(client, droplet_id))
        return after_status_lag(client, waiter, read, busy.finished, deadline)
    if not running:
        running = [action for action in recent_actions(client, droplet_id) if action.get('status') == IN_PROGRESS]
    doing = 'waiting for its pending event'
    if not running:
        now = waiter.clock()
        if now >= deadline:
            raise WaitTimeout('Timed out after %.0f s: Droplet %s still answers 422 "pending event" and shows no '
                              'running action' % (now - busy_since, droplet_id), waited=now - busy_since)
        waiter.sleep(min(max(1.0, poll_interval(now - busy_since)), deadline - now))
        return own_read(client, waiter.clock, lambda: read_droplet(client, droplet_id, doing))
    finished = waiter.actions(running, deadline, whose="someone else's")
    doing = "waiting for someone else's action"
    read = own_read(client, waiter.clock, lambda: read_droplet(client, droplet_id, doing))
    return after_status_lag(client, waiter, read, finished.values(), deadline)


def after_refusal(client, waiter, droplet_id, deadline):
    """The Droplet (a Read) to plan again from after the API refused an action for its state: read it (not
    found fails as a lone task does), and if a status-changing action ended in the last
    STATUS_LAG_GRACE_SECONDS before that read, wait for the status to show it, as after someone else's action."""
    read = own_read(client, waiter.clock, lambda: find_droplet(client, droplet_id))
    if read.server_time is None:
        return read
    lagging = [action for action in recent_actions(client, droplet_id)
               if _lagging(action, read.server_time - STATUS_LAG_GRACE_SECONDS)]
    return after_status_lag(client, waiter, read, lagging, deadline)


def after_status_lag(client, waiter, read, finished, deadline):
    """The Droplet (a Read; ``read`` is the latest) once its status shows the newest completed power action
    of ``finished``: the status lags such an action by a moment, and deciding on the stale status would
    report a power_on after someone else's power_off as "already done"."""
    completed = sorted((action for action in finished if action.get('status') == 'completed'
                        and getattr(ACTION_TYPES.get(action.get('type')), 'status_after', None)),
                       key=lambda action: action['id'])
    if not completed:
        return read
    wanted = ACTION_TYPES[completed[-1]['type']].status_after  # the newest action decides
    if read.value.get('status') == wanted:
        return read
    doing, droplet_id = "waiting for someone else's action", read.value['id']
    try:
        return waiter.poll(lambda: own_read(client, waiter.clock, lambda: read_droplet(client, droplet_id, doing)),
                           lambda current: current.value.get('status') == wanted,
                           min(deadline, waiter.deadline_after(STATUS_LAG_GRACE_SECONDS)),
                           lambda current: 'Droplet %s to show status %s' % (droplet_id, wanted), initial=read)
    except WaitTimeout as timeout:
        return timeout.last  # e.g. a shutdown the guest ignored: decide on what the API shows
