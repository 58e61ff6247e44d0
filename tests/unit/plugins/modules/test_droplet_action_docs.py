# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module's documentation says what the action table does: the table is the only owner of the rules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import yaml

from ansible_collections.oceanops.droplets.plugins.module_utils.action_types import (
    ACTION_TYPES, BULK_TYPES, MANY_TYPES)
from ansible_collections.oceanops.droplets.plugins.modules import droplet_action

DOC = yaml.safe_load(droplet_action.DOCUMENTATION)


def _one_line(text):
    return ' '.join(text.split())


def _values_named(text):
    return set(re.findall(r'V\(([a-z_0-9]+)\)', text))


def test_each_types_line_in_the_docs_is_the_tables():
    lines = [_one_line(line) for line in DOC['options']['type']['description'][1:]]
    assert lines == [action.doc_line() for action in ACTION_TYPES.values()]


def test_the_type_choices_are_the_tables():
    assert DOC['options']['type']['choices'] == list(ACTION_TYPES)


def test_the_types_allowed_with_a_tag_are_the_bulk_ones():
    tag_paragraph = next(p for p in DOC['description'] if p.startswith('With O(tag_name) only'))
    assert _values_named(tag_paragraph) == set(BULK_TYPES)


def test_the_types_allowed_with_an_id_list_are_the_many_ones():
    text = ' '.join(DOC['options']['droplet_ids']['description'])
    assert _values_named(text) == set(MANY_TYPES)


def test_the_options_that_power_off_name_the_types_that_use_them():
    powering = set(name for name, action in ACTION_TYPES.items() if action.powers_off)
    for option in ('allow_power_off', 'graceful_timeout'):
        first = DOC['options'][option]['description'][0]
        assert _values_named(first) == powering, option


def test_every_summary_and_scope_is_read():
    # summary and scopes are data the docs and the 403 message use; none may be left empty.
    assert all(action.summary and action.scopes for action in ACTION_TYPES.values())
