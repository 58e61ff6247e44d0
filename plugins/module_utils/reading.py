# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a task reads: its own requests (alone), or pages its crowd shares. Decided once, when the task starts.

Every read returns a Read: the value, and when it was answered, on the two clocks that matter. The
server's time (its Date header) is compared with the API's action times; the local monotonic time with
other local times (shared pages are stamped on it: every process on the machine has the same one, and it
never steps back). ``shared`` says the value may come from a page another process read: older than a
read of our own, so whatever depends on it is confirmed first (see design.md, "A crowd").

The waiter and the Droplet functions are handed the strategy (``reads_for``); nothing else decides it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import contextlib
import itertools
import time

from ansible_collections.oceanops.droplets.plugins.module_utils._coordination import names
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.shared_reads import (
    compact_actions_page, compact_droplets_page)
from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import MAX_PAGE_SIZE
from ansible_collections.oceanops.droplets.plugins.module_utils.timing import SHARED_PLAN_MAX_AGE, claim_hold_seconds

# Droplets are re-read through a shared GET /v2/droplets only in accounts of at most this many pages.
SHARED_DROPLET_PAGES = 5

Read = collections.namedtuple('Read', 'value server_time sent_at answered_at shared')


def own_read(client, clock, fetch):
    """A Read of ``fetch()``, one request of ours: ``client.server_time`` is this thread's latest answer's."""
    sent = clock()
    value = fetch()
    return Read(value, client.server_time, sent, clock(), False)


class OwnReads:
    """Alone: every read is a request of this process. ``coordinator`` (may be None) still claims Droplets and
    notes our changes: a process that started alone may meet one that came later on the same Droplet."""

    crowd = False

    def __init__(self, client, coordinator=None, clock=time.monotonic):
        self.client = client
        self.coordinator = coordinator
        self.clock = clock

    def own(self, fetch):
        return own_read(self.client, self.clock, fetch)

    def poll_factor(self):
        """How much slower than its schedule a poll waits (after 429s)."""
        return 1.0 if self.coordinator is None else self.coordinator.gate.poll_factor()

    def poll_floor(self):
        """The shortest poll interval: a task that started alone and waits on its own polls no more often than a
        crowd's shared round once other processes share the token (the first fork of a play starts alone: its
        own polls cost the crowd's POSTs their turns). Its reads stay its own."""
        return 0.0 if self.coordinator is None else self.coordinator.gate.poll_floor()

    def droplet_for_plan(self, find, droplet_id, deadline, may_share):
        """The Droplet to plan from: ``find()`` reads it (by id or name)."""
        return self.own(find)

    def droplet_after(self, droplet_id, ended, deadline, max_age):
        """The Droplet after our action ended (``ended``: the Read that showed the end)."""
        return self.own(lambda: self.client.get('/v2/droplets/%s' % droplet_id, expect='droplet'))

    def actions_page(self, number, deadline, max_age, not_before):
        """Page ``number`` of GET /v2/actions, a Read."""
        return self.own(lambda: self.client.get('/v2/actions', params=dict(page=number, per_page=MAX_PAGE_SIZE)))

    def newest_actions(self, deadline, not_before):
        """The account's newest page of actions for the look before a POST; None: read the Droplet's own."""
        return None

    @contextlib.contextmanager
    def claim(self, droplet_id, deadline):
        """See Coordinator.claim. Yields True: the look before the POST is the Droplet's own list."""
        if self.coordinator is None:
            yield True
            return
        hold_for = claim_hold_seconds(self.client.timeout)
        with self.coordinator.claim(droplet_id, deadline, hold_for) as own_look:
            yield own_look

    def changing(self, droplet_ids):
        if self.coordinator is not None:
            self.coordinator.changing(droplet_ids)

    def settled(self, droplet_ids):
        if self.coordinator is not None:
            self.coordinator.settled(droplet_ids)


class CrowdReads(OwnReads):
    """Other processes on this token run now: pages one of them read stand in for requests of our own,
    within the ages and ``not_before`` rules the callers give."""

    crowd = True

    def poll_floor(self):
        """No floor while the polls read shared pages (at most a round old); once sharing went off for this task (a
        lease held too long) its polls are its own reads, as a lone task's beside the crowd: the same floor.
        Without it, 23 forks whose sharing went off read GET /v2/actions 92 times in 7 s (bench scenario 8)."""
        return 0.0 if self.coordinator.shares_reads() else super().poll_floor()

    def round_seconds(self):
        return self.coordinator.round_seconds()

    def droplet_for_plan(self, find, droplet_id, deadline, may_share):
        """A Droplet given by id from the shared pages of GET /v2/droplets (at most SHARED_PLAN_MAX_AGE old),
        unless the page may predate one of our own actions on it; else our own read. ``may_share`` is False
        for types whose plan start_action cannot check against the actions since (no "already done" rule)."""
        if may_share and droplet_id is not None:
            found = self.shared_droplet(droplet_id, SHARED_PLAN_MAX_AGE, 0.0, deadline, names.PLAN_DROPLETS)
            if found is not None and found.server_time is not None and not self.coordinator.page_predates_ours(
                    droplet_id, found.sent_at):
                return found
        return self.own(find)

    def droplet_after(self, droplet_id, ended, deadline, max_age):
        """From a page the waiting forks share, read after the answer that showed our action's end, when a
        shared page showed it (``ended.shared``); the waiting forks then re-read together."""
        found = None
        if ended.shared:
            found = self.shared_droplet(droplet_id, max_age, ended.answered_at, deadline, names.DROPLETS)
        return found if found is not None else super().droplet_after(droplet_id, ended, deadline, max_age)

    def actions_page(self, number, deadline, max_age, not_before):
        fetch = super().actions_page
        shared = self.coordinator.page(names.ACTIONS, number, lambda: fetch(number, deadline, max_age, 0.0).value,
                                       compact_actions_page, max_age, not_before, deadline)
        return Read(shared.value, None, shared.sent_at, shared.answered_at, not shared.own)

    def newest_actions(self, deadline, not_before):
        """Page 1 as another process read it at most one shared round ago (2 to 5 s, by the crowd's size), and
        not before ``not_before``."""
        return self.actions_page(1, deadline, self.round_seconds(), not_before).value

    def shared_droplet(self, droplet_id, max_age, not_before, deadline, kind):
        """The Droplet from the shared pages of set ``kind`` (names.PAGE_KINDS), a Read with the page's times,
        marked ``shared`` (a plan from it is confirmed) unless this task read that page itself; None when they do
        not list it, or the account has too many pages. The page that listed it last is read first, and a page
        whose last copy did not list it (and more pages follow) is not read again for it: a fork whose Droplet
        is on page 4 does not make pages 1 to 3 fresh for nothing (a Droplet that moved to an earlier page is
        not found, and the caller reads it itself)."""
        coordinator, pages, peeked = self.coordinator, list(range(1, SHARED_DROPLET_PAGES + 1)), {}

        def stored(number):  # each stored page read once, and only when needed (after the page listing it: rarely)
            if number not in peeked:
                peeked[number] = coordinator.stored_page(kind, number)
            return peeked[number]
        last_seen = next((n for n in pages if _listed(stored(n), droplet_id) is not None), None)
        others = (n for n in pages if n != last_seen and not _passed_over(stored(n), droplet_id))
        for number in itertools.chain([last_seen] if last_seen else [], others):
            shared = coordinator.page(kind, number, lambda number=number: self._droplets_page(number),
                                      compact_droplets_page, max_age, not_before, deadline)
            data = shared.value
            found = _listed(data, droplet_id)
            if found is not None:  # a page this task read itself just now is as new as its own GET of the Droplet
                return Read(found, data.get('server_time'), shared.sent_at, shared.answered_at, not shared.own)
            if _too_many(data):
                break
            if number != last_seen and not _has_next(data):
                break
        return None

    def _droplets_page(self, number):
        read = self.own(lambda: self.client.get('/v2/droplets', params=dict(page=number, per_page=MAX_PAGE_SIZE)))
        return dict(read.value, server_time=read.server_time) if isinstance(read.value, dict) else read.value


def reads_for(client, coordinator, clock=time.monotonic):
    """The task's strategy, decided once: a crowd when other processes on this token run now."""
    if coordinator is not None and coordinator.crowded():
        return CrowdReads(client, coordinator, clock)
    return OwnReads(client, coordinator, clock)


def _has_next(data):
    return bool(((data.get('links') or {}).get('pages') or {}).get('next'))


def _too_many(data):
    """The account has more Droplets than the shared pages hold: each fork reads its own."""
    return ((data.get('meta') or {}).get('total') or 0) > SHARED_DROPLET_PAGES * MAX_PAGE_SIZE


def _passed_over(stored, droplet_id):
    """A stored page (any age) that did not list the Droplet, more pages following it: not read again for it (one
    that said the account was too large is, to learn whether it still is)."""
    return (isinstance(stored, dict) and _listed(stored, droplet_id) is None and _has_next(stored)
            and not _too_many(stored))


def _listed(data, droplet_id):
    return next((droplet for droplet in (data or {}).get('droplets') or []
                 if isinstance(droplet, dict) and droplet.get('id') == droplet_id), None)
