# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The private directory under attack (issue 17): swapped, symlinked, squatted, stuck holders, forged files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import multiprocessing
import os
import signal
import tempfile
import threading
import time

import pytest

from ansible_collections.oceanops.droplets.plugins.module_utils._coordination import directory as private_files
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination import shared_reads
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.coordinator import coordinator_for
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.directory import (
    MAX_FILE_BYTES, PrivateDirectory, clean_stale, default_directory, write_json)
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.names import budget_key
from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.shared_reads import (
    compact_actions_page, compact_droplets_page)

TOKEN = 'dop_v1_' + 'b' * 64
URL = 'https://api.digitalocean.com'
KEY = budget_key(URL, TOKEN)


def shared(path, warnings, env=None):
    return coordinator_for(URL, TOKEN, env=env if env is not None else {'OCEANOPS_SHARED_DIR': path},
                           warn=warnings.append)


# -- the directory: refused with a warning the user sees, once ------------------------------------
def _symlinked(tmp_path, path):
    os.mkdir(str(tmp_path / 'target'), 0o700)
    os.symlink(str(tmp_path / 'target'), path)


def _open_to_others(tmp_path, path):
    os.mkdir(path)
    os.chmod(path, 0o755)


def _of_another_user(tmp_path, path, monkeypatch=None):
    os.mkdir(path, 0o700)
    real_uid = os.geteuid()
    monkeypatch.setattr(os, 'geteuid', lambda: real_uid + 4242)


@pytest.mark.parametrize('make, why', [(_symlinked, 'symbolic link'), (_open_to_others, 'mode 755'),
                                       (_of_another_user, 'another user')])
def test_a_directory_that_is_not_ours_alone_is_refused_with_one_warning(tmp_path, monkeypatch, make, why):
    path = str(tmp_path / 'shared')
    if make is _of_another_user:
        make(tmp_path, path, monkeypatch)
    else:
        make(tmp_path, path)
    warnings = []
    coordinator = shared(path, warnings)
    coordinator.gate.before_request(None)
    assert coordinator.crowded() is False and not coordinator.shared()
    assert len(warnings) == 1 and why in warnings[0]


def test_a_squatted_predictable_name_in_the_temp_directory_is_a_visible_warning(tmp_path, monkeypatch):
    # Another local user made <tmp>/oceanops-droplets-shared-<uid> first: sharing is off, and the user is told.
    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path))
    squatted = default_directory({})
    os.mkdir(squatted)
    os.chmod(squatted, 0o777)
    warnings = []
    assert not shared(None, warnings, env={}).shared()
    assert len(warnings) == 1 and squatted in warnings[0]


def test_switched_off_by_the_user_is_no_warning(tmp_path):
    warnings = []
    coordinator = coordinator_for(URL, TOKEN, shared=False, warn=warnings.append)
    assert not coordinator.shared() and warnings == []


@pytest.mark.parametrize('mode, other_owner', [(0o755, False), (0o700, True)])
def test_xdg_runtime_dir_is_used_only_when_ours_and_0700(tmp_path, monkeypatch, mode, other_owner):
    # su without -l and sudo -E pass the variable on: it may name another user's runtime directory.
    runtime = str(tmp_path / 'run')
    os.mkdir(runtime)
    os.chmod(runtime, mode)
    if other_owner:
        real_uid = os.geteuid()
        monkeypatch.setattr(os, 'geteuid', lambda: real_uid + 4242)
    assert not default_directory({'XDG_RUNTIME_DIR': runtime}).startswith(runtime)


def test_xdg_runtime_dir_of_ours_with_mode_0700_is_used(tmp_path):
    runtime = str(tmp_path / 'run')
    os.mkdir(runtime, 0o700)
    assert default_directory({'XDG_RUNTIME_DIR': runtime}) == os.path.join(runtime, 'oceanops-droplets')


def test_a_directory_swapped_after_the_check_is_never_used(tmp_path):
    path = str(tmp_path / 'shared')
    warnings = []
    coordinator = shared(path, warnings)
    os.rename(path, path + '-checked')
    os.mkdir(path, 0o700)  # what someone put in its place after the check
    coordinator.gate.before_request(None)
    assert os.listdir(path) == []
    assert KEY + '.budget' in os.listdir(path + '-checked') and coordinator.shared()


# -- files in it ----------------------------------------------------------------------------------
def test_a_result_that_is_a_symbolic_link_is_not_read_and_sharing_goes_off(tmp_path):
    path = str(tmp_path / 'shared')
    warnings = []
    coordinator = shared(path, warnings)
    forged = str(tmp_path / 'forged.json')
    with open(forged, 'w') as handle:  # a page saying the Droplet is off while it is active
        json.dump(dict(at=time.monotonic(), answered=time.monotonic(), value=dict(droplets=[dict(id=1, status='off')])),
                  handle)
    os.symlink(forged, os.path.join(path, KEY + '.plan-droplets-p1.json'))
    page = coordinator.page('plan-droplets', 1, lambda: dict(droplets=[dict(id=1, status='active')]),
                            compact_droplets_page, 20, 0.0).value
    assert page['droplets'] == [dict(id=1, status='active')]
    assert not coordinator.shared() and len(warnings) == 1


def with_file(tmp_path, name, content):
    """(a coordinator on a directory where ``name`` holds ``content``, the warnings it gives)."""
    path, warnings = str(tmp_path / 'shared'), []
    coordinator = shared(path, warnings)
    with open(os.path.join(path, KEY + name), 'w') as handle:
        handle.write(content)
    return coordinator, warnings


def test_a_result_larger_than_the_cap_is_not_read(tmp_path):
    coordinator, warnings = with_file(tmp_path, '.actions-p1.json',
                                      '{"at": 1, "value": "%s"}' % ('x' * (MAX_FILE_BYTES + 1)))
    assert coordinator.page('actions', 1, lambda: dict(actions=[]), compact_actions_page, 2, 0.0).value == dict(actions=[])
    assert not coordinator.shared() and 'larger' in warnings[0]


@pytest.mark.parametrize('value', ['Infinity', 'NaN', '1e400', '"garbage"'])
def test_a_corrupt_time_in_a_result_turns_sharing_off_not_a_traceback(tmp_path, value):
    coordinator, warnings = with_file(tmp_path, '.actions-p1.json', '{"at": %s, "value": {"actions": []}}' % value)
    assert coordinator.page('actions', 1, lambda: dict(actions=[dict(id=2)]), compact_actions_page, 2,
                            0.0).value == dict(actions=[dict(id=2)])
    assert not coordinator.shared() and len(warnings) == 1


@pytest.mark.parametrize('record', ['{"101": Infinity}', '{"101": "x"}', '{"../x": 1}', '[]'])
def test_a_corrupt_record_of_our_changes_turns_sharing_off_not_a_traceback(tmp_path, record):
    coordinator, warnings = with_file(tmp_path, '.changes', record)
    assert coordinator.page_predates_ours(101, time.monotonic()) is True  # cannot be told: not planned from
    assert not coordinator.shared() and len(warnings) == 1


def test_a_short_write_is_completed(tmp_path, monkeypatch):
    directory = PrivateDirectory(str(tmp_path / 'shared'))
    real_write = os.write
    monkeypatch.setattr(private_files.os, 'write', lambda fd, data: real_write(fd, bytes(data[:3])))
    fd = directory.open('x.json')
    try:
        write_json(fd, dict(page=list(range(100))))
    finally:
        os.close(fd)
    monkeypatch.undo()
    with open(os.path.join(directory.path, 'x.json')) as handle:
        assert json.load(handle) == dict(page=list(range(100)))


def test_temporary_files_of_killed_writers_are_cleaned_after_a_minute(tmp_path):
    directory = PrivateDirectory(str(tmp_path / 'shared'))
    old, fresh = (os.path.join(directory.path, KEY + '.actions-p1.json.tmp%d' % pid) for pid in (41, 42))
    for name in (old, fresh):
        with open(name, 'w') as handle:
            handle.write('{')
    os.utime(old, (time.time() - 120, time.time() - 120))
    assert clean_stale(directory, time.time()) == 1
    assert os.listdir(directory.path) == [os.path.basename(fresh)]


def test_a_failed_store_leaves_no_temporary_file(tmp_path, monkeypatch):
    directory = PrivateDirectory(str(tmp_path / 'shared'))

    def no_rename(*args, **kwargs):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(directory, 'rename', no_rename)
    with pytest.raises(OSError):
        shared_reads._store_result(directory, KEY + '.actions-p1.json', dict(at=1.0, value={}))
    assert os.listdir(directory.path) == []


# -- a stopped holder (real processes, real locks, real time: what a stopped process does to a flock) --
def _hold_forever(path, name, ready):
    with PrivateDirectory(path).locked(name):
        ready.set()
        time.sleep(600)


def test_a_stopped_holder_of_the_budget_lock_costs_a_task_a_bounded_wait_then_sharing_is_off(tmp_path):
    path = str(tmp_path / 'shared')
    PrivateDirectory(path).close()
    context = multiprocessing.get_context('fork')
    ready = context.Event()
    holder = context.Process(target=_hold_forever, args=(path, KEY + '.budget', ready))
    holder.start()
    try:
        assert ready.wait(30), 'the holder never took the lock'
        os.kill(holder.pid, signal.SIGSTOP)  # a suspended terminal: alive, holding the lock, never letting go
        warnings, outcome = [], []

        def task():
            coordinator = shared(path, warnings)
            coordinator.gate.before_request(time.monotonic() + 1.0)
            outcome.append(coordinator.shared())
        thread = threading.Thread(target=task)
        thread.daemon = True
        thread.start()
        thread.join(60)  # the old code waited for the lock without end: the thread would still be blocked
        assert outcome == [False] and len(warnings) == 1 and 'lock' in warnings[0]
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.join(30)
