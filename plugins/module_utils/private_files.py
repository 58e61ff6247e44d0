# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files only this user can read, locked with flock: what the processes of one controller share through."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import os

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows; coordination is then off
    fcntl = None

# Files untouched for this long belong to no running task: they are removed.
STALE_SECONDS = 2 * 3600


def open_private(path):
    return os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, 'O_NOFOLLOW', 0), 0o600)


@contextlib.contextmanager
def locked_file(path):
    """An exclusive flock on ``path`` (created 0600), held for the block; yields the descriptor."""
    fd = open_private(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # closing drops the lock, as the death of the process would


def read_json(fd):
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    try:
        data = json.loads(b''.join(chunks).decode('utf-8'))
    except ValueError:  # empty, or cut short by a killed writer: start again
        return {}
    return data if isinstance(data, dict) else {}


def write_json(fd, data):
    payload = json.dumps(data, separators=(',', ':')).encode('utf-8')
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    os.write(fd, payload)
