# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every name in the shared directory, in one place: what is written there, and what clean-up may remove.

All names start with the key, a hash of api_url and token (never the token itself), so processes on
other tokens or URLs never meet:

- ``<key>.budget``: the request budget;
- ``<key>.changes``: the record of Droplets our processes changed;
- ``<key>.<page>.json`` and ``<key>.<page>.lease``: a shared page and the lease of its reader, where
  ``<page>`` is ``<kind>-p<number>`` for one of PAGE_KINDS;
- ``<key>.claim-<droplet id>``: the claim of the process looking at and posting to that Droplet;
- any of these plus ``.tmp<pid>``: a file being written (renamed into place when whole).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re

# The sets of shared pages: ``actions`` (GET /v2/actions, while actions run), ``droplets`` (GET
# /v2/droplets, re-read after our actions ended) and ``plan-droplets`` (the same list, read to plan
# from: plans take older pages than re-reads, so one set would make each re-read force a new round).
ACTIONS = 'actions'
DROPLETS = 'droplets'
PLAN_DROPLETS = 'plan-droplets'
PAGE_KINDS = (ACTIONS, DROPLETS, PLAN_DROPLETS)

FILE_PATTERN = re.compile(r'^[0-9a-f]{32}\.[a-z0-9-]+(\.json|\.lease|\.budget|\.changes)?(\.tmp\d+)?$')
TEMPORARY_PATTERN = re.compile(r'\.tmp\d+$')


def budget_key(api_url, token):
    """32 hex digits of sha256 over api_url and token: the same for every process, reveals neither."""
    material = '\0'.join(('oceanops.droplets', api_url.rstrip('/'), token or ''))
    return hashlib.sha256(material.encode('utf-8')).hexdigest()[:32]


class Names:
    """The names of one key's files."""

    def __init__(self, key):
        self.key = key
        self.budget = key + '.budget'
        self.changes = key + '.changes'

    def page(self, kind, number):
        """The base name of a shared page (``.json`` holds it, ``.lease`` guards its reading)."""
        if kind not in PAGE_KINDS:
            raise ValueError('no such set of shared pages: %r' % kind)
        return '%s.%s-p%d' % (self.key, kind, number)

    def claim(self, droplet_id):
        return '%s.claim-%d' % (self.key, int(droplet_id))


def temporary(name, pid):
    """Where ``name`` is written before it is renamed into place."""
    return '%s.tmp%d' % (name, pid)
