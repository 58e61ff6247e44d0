# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether the pages of one listing still make sense, page by page, so a listing that says nothing ends at once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# meta.total may move while a listing is read (items are created and deleted), by a few pages' worth; a
# change by this factor and by more than MAX_TOTAL_DRIFT items is no such movement.
TOTAL_LEAP_FACTOR = 10
MAX_TOTAL_DRIFT = 200


def next_link(data):
    """links.pages.next of a page, or None."""
    links = data.get('links') if isinstance(data, dict) else None
    pages = links.get('pages') if isinstance(links, dict) else None
    return pages.get('next') if isinstance(pages, dict) else None


def meta_total(data):
    """meta.total of a page when it is a count (a non-negative int), else None."""
    meta = data.get('meta') if isinstance(data, dict) else None
    total = meta.get('total') if isinstance(meta, dict) else None
    return total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else None


class PageSense:
    """Fed each page of one listing in turn; ``check`` names what stopped making sense, or returns None.

    - a page with no items that links to another page (whatever meta.total claims): nothing to read
      can follow from it;
    - a page whose every item was on an earlier page: the listing makes no progress (a few repeats are
      normal: in a list of newest first, new items push older ones onto the next page while it is read);
    - a meta.total that moved by an order of magnitude since the first page.
    """

    def __init__(self):
        self.seen_ids = set()
        self.first_total = None
        self.pages = 0

    def check(self, data, key):
        self.pages += 1
        items = [item for item in data.get(key) or [] if isinstance(item, dict)]
        total = meta_total(data)
        if not items and next_link(data):
            claims = '' if total is None else ' and meta.total claims %d items' % total
            return 'page %d is empty, yet it links to another page%s' % (self.pages, claims)
        ids = [item.get('id') for item in items if item.get('id') is not None]
        if self.pages > 1 and ids and len(ids) == len(items) and self.seen_ids.issuperset(ids):
            return 'page %d repeats only items of earlier pages (ids %s)' % (
                self.pages, ', '.join(str(item_id) for item_id in ids[:5]))
        self.seen_ids.update(ids)
        if total is not None and self.first_total is None:
            self.first_total = total
        elif total is not None and _leaps(self.first_total, total):
            return 'meta.total went from %d on the first page to %d on page %d' % (self.first_total, total, self.pages)
        return None


def _leaps(before, after):
    low, high = sorted((before, after))
    return high - low > MAX_TOTAL_DRIFT and high >= TOTAL_LEAP_FACTOR * max(low, 1)
