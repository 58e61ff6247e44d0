# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The record of which Droplets this controller's processes changed: no plan from a page older than that."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil

from ansible_collections.oceanops.droplets.plugins.module_utils.timing import STALE_SECONDS
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.coordinator import (
    Coordinator, coordinator_for)
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.names import budget_key
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.recent_changes import RecentChanges
from ansible_collections.oceanops.droplets.plugins.module_utils.task_report import TaskReport
from ansible_collections.oceanops.droplets.tests.unit.plugins.module_utils.fakes import FakeClock

TOKEN = 'dop_v1_' + 'c' * 64
URL = 'https://api.digitalocean.com'


def changes(tmp_path, clock):
    return RecentChanges(str(tmp_path), budget_key(URL, TOKEN), clock=clock)


def test_a_droplet_with_an_action_of_ours_running_is_planned_from_no_shared_page(tmp_path):
    clock = FakeClock()
    record = changes(tmp_path, clock)
    record.changing([7])
    clock.now += 3600
    assert record.changed_since(7, clock.now) is True  # whenever the page was read: the action may still run
    assert record.changed_since(8, clock.now - 60) is False  # another Droplet: never changed by us


def test_after_our_action_settled_only_pages_sent_later_are_planned_from(tmp_path):
    clock = FakeClock()
    record = changes(tmp_path, clock)
    record.changing([7, 8])
    settled_at = clock.now + 12
    clock.now = settled_at
    record.settled([7])
    assert record.changed_since(7, settled_at - 0.5) is True  # sent before the effect showed
    assert record.changed_since(7, settled_at + 0.5) is False
    assert record.changed_since(8, settled_at + 0.5) is True  # not settled: still changing


def test_old_entries_are_dropped_and_the_file_holds_ids_and_times_only(tmp_path):
    clock = FakeClock()
    record = changes(tmp_path, clock)
    record.settled([7])
    record.changing([9])  # never settled: a task that failed, or did not wait
    clock.now += STALE_SECONDS + 1
    record.changing([8])
    with open(os.path.join(record.directory.path, record.name)) as handle:
        assert json.load(handle) == {'8': -clock.now}
    assert TOKEN not in open(os.path.join(record.directory.path, record.name)).read()


def test_the_coordinator_records_our_changes_and_refuses_pages_from_before_them(tmp_path):
    coordinator = coordinator_for(URL, TOKEN, env={'OCEANOPS_SHARED_DIR': str(tmp_path / 'shared')})
    assert coordinator.shared(), coordinator.note
    before = coordinator.now()
    assert coordinator.page_predates_ours(7, before) is False
    coordinator.changing([7])
    assert coordinator.page_predates_ours(7, before) is True
    coordinator.settled([7])
    assert coordinator.page_predates_ours(7, before) is True
    assert coordinator.page_predates_ours(7, coordinator.now() + 1) is False


def test_without_the_record_no_shared_page_is_planned_from_and_sharing_turns_off(tmp_path):
    directory = str(tmp_path / 'shared')
    coordinator = coordinator_for(URL, TOKEN, env={'OCEANOPS_SHARED_DIR': directory})
    shutil.rmtree(directory)
    with open(directory, 'w') as handle:  # the directory is gone, a file in its place: the record cannot be opened
        handle.write('')
    assert coordinator.page_predates_ours(7, coordinator.now()) is True
    assert not coordinator.shared() and 'record of our changes' in coordinator.note
    assert Coordinator().page_predates_ours(7, 0.0) is True  # never shared: no page is used


def test_the_report_tells_of_each_accepted_post_once_with_all_its_actions():
    told = []
    report = TaskReport()
    report.on_accepted = told.append
    report.accepted(dict(id=1, resource_id=7))
    report.accepted(dict(id=2, resource_id=8), dict(id=3, resource_id=9))  # one POST by tag
    report.accepted()  # a tag POST that made nothing
    assert [[action['resource_id'] for action in actions] for actions in told] == [[7], [8, 9]]
    assert [action['id'] for action in report.actions] == [1, 2, 3]
