# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Droplets a fleet task acts on: every Droplet with a tag, or an explicit list of ids."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import MAX_PAGE_SIZE, DigitalOceanAPIError
from ansible_collections.oceanops.droplets.plugins.module_utils.droplet_api import droplet_path
from ansible_collections.oceanops.droplets.plugins.module_utils.errors import Refused, deleted_while

# Up to this many ids are read one GET each without first asking how large the account is.
FEW_IDS = 2


class TagSelection:
    """Every Droplet with a tag, read 200 a page; the API can act on all of them in one POST."""

    def __init__(self, client, tag):
        self.client = client
        self.tag = tag
        self.description = 'Droplets tagged %r' % tag

    def read(self, again=False):
        return list(self.client.paginate('/v2/droplets', 'droplets', params=dict(tag_name=self.tag)))

    def pages(self, count):
        return int(math.ceil(count / float(MAX_PAGE_SIZE)))


class IdSelection:
    """The Droplets of an id list, read with the fewest requests: one GET each, or the account's list
    (200 a page) when the account has fewer pages than there are ids."""

    tag = None

    def __init__(self, client, ids):
        self.client = client
        self.ids = list(dict.fromkeys(ids))  # a repeated id is one Droplet, acted on once
        self.description = 'Droplets of droplet_ids'
        self._list_all = None

    def read(self, again=False):
        found = None
        if self._list_all is not False and len(self.ids) > FEW_IDS:
            found = self._from_listing()
        if found is None:
            self._list_all = False
            found = self._one_by_one()
        missing = [droplet_id for droplet_id in self.ids if droplet_id not in found]
        if missing and again:
            raise deleted_while(missing, 'the task was waiting for %s' % ('it' if len(missing) == 1 else 'them'))
        if missing:
            raise Refused('droplet_ids: no Droplet has the id %s (nothing was sent)'
                          % ', '.join(str(droplet_id) for droplet_id in missing))
        return [found[droplet_id] for droplet_id in self.ids]

    def pages(self, count):
        return int(math.ceil(count / float(MAX_PAGE_SIZE))) if self._list_all else count

    def _from_listing(self):
        """The wanted Droplets from the account's list, or None when its first page shows that the
        other pages would cost more than one GET per id (that first page is then all it cost)."""
        wanted, found, meta = set(self.ids), {}, {}

        def first_page(data):
            meta.setdefault('total', (data.get('meta') or {}).get('total'))
        for droplet in self.client.paginate('/v2/droplets', 'droplets', on_page=first_page):
            if self._list_all is None:
                total = meta.get('total')
                self._list_all = isinstance(total, int) and math.ceil(total / float(MAX_PAGE_SIZE)) - 1 < len(self.ids)
                if not self._list_all:
                    return None
            if droplet.get('id') in wanted:
                found[droplet['id']] = droplet
        return found

    def _one_by_one(self):
        found = {}
        for droplet_id in self.ids:
            try:
                found[droplet_id] = self.client.get(droplet_path(droplet_id), expect='droplet')
            except DigitalOceanAPIError as error:
                if error.status != 404:
                    raise
        return found
