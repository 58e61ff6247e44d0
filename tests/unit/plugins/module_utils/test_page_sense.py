# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.oceanops.droplets.plugins.module_utils.page_sense import PageSense

NEXT = dict(pages=dict(next='/v2/actions?page=9'))


def page(ids, total=None, more=True):
    return dict(actions=[dict(id=i) for i in ids], meta=dict(total=total), links=NEXT if more else {})


def test_a_listing_that_moves_a_little_while_it_is_read_makes_sense():
    # Newest first: two new actions pushed two items of page 1 onto page 2, and the total grew by two.
    sense = PageSense()
    assert sense.check(page(range(1, 201), total=450), 'actions') is None
    assert sense.check(page(range(199, 399), total=452), 'actions') is None
    assert sense.check(page(range(399, 453), total=452, more=False), 'actions') is None


def test_an_empty_last_page_makes_sense_and_an_empty_page_that_links_on_does_not():
    assert PageSense().check(page([], total=0, more=False), 'actions') is None
    assert 'is empty' in PageSense().check(page([]), 'actions')


def test_only_repeats_or_a_total_that_leaps_stop_the_listing():
    sense = PageSense()
    sense.check(page([1, 2], total=4), 'actions')
    assert 'repeats only' in sense.check(page([2, 1], total=4), 'actions')
    sense = PageSense()
    sense.check(page([1, 2], total=4), 'actions')
    assert 'meta.total went from 4' in sense.check(page([3, 4], total=10 ** 6), 'actions')
