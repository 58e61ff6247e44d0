# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A directory only this user can use, and its files, locked with flock: what the processes of one
controller share through.

The directory is opened once (O_DIRECTORY | O_NOFOLLOW) and checked on that descriptor (fstat: ours,
mode 0700); every open, rename, listing and removal afterwards goes through the descriptor, so a
directory swapped after the check (where its parent is writable by another user) is never used.
Files are opened O_NOFOLLOW, must be regular files of ours, and are read up to MAX_FILE_BYTES. Every
lock is taken without blocking, in a loop bounded in time: a holder that is stopped (SIGSTOP, a
suspended terminal) costs a task at most that long, and sharing is then off for it (LockTimeout).
Anything wrong here is an OSError: the caller turns sharing off.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import errno
import json
import os
import stat
import tempfile
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows; coordination is then off
    fcntl = None

from ansible_collections.oceanops.droplets.plugins.module_utils._coordination.names import FILE_PATTERN, TEMPORARY_PATTERN
from ansible_collections.oceanops.droplets.plugins.module_utils.timing import (
    LOCK_MAX_WAIT, LOCK_POLL_SECONDS, STALE_SECONDS, TEMPORARY_STALE_SECONDS)

ENV_DIRECTORY = 'OCEANOPS_SHARED_DIR'
DIRECTORY_NAME = 'oceanops-droplets'

# What we write stays far below this (a page of 200 Droplets is about 1 MB); anything bigger is not ours.
MAX_FILE_BYTES = 8 * 1024 * 1024
NOFOLLOW = getattr(os, 'O_NOFOLLOW', 0)
CLOEXEC = getattr(os, 'O_CLOEXEC', 0)


class LockTimeout(OSError):
    """A lock was not free within the time allowed: its holder is stuck; sharing goes off for this task."""


class Corrupt(OSError):
    """A shared file holds something we never write (Infinity, NaN, a huge number, garbage)."""


def _refused(reason):
    return OSError(errno.EPERM, reason)


class PrivateDirectory:
    """The private directory, held open by descriptor: see the module's docstring."""

    def __init__(self, path, clock=time.monotonic, sleep=time.sleep):
        self.path = path
        self._clock = clock
        self._sleep = sleep
        try:
            os.mkdir(path, 0o700)
        except OSError as error:
            if error.errno != errno.EEXIST:
                raise _refused('cannot create %s: %s' % (path, error.strerror))
        try:
            self.fd = os.open(path, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0) | NOFOLLOW | CLOEXEC)
        except OSError as error:
            raise _refused('%s cannot be opened as a directory (%s; a symbolic link is refused)' % (path, error.strerror))
        problem = private_problem(os.fstat(self.fd), path)
        if problem:
            self.close()
            raise _refused(problem)

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def open(self, name):
        """``name`` in the directory, opened read-write (created 0600), never through a symbolic link; it must be
        a regular file of ours."""
        fd = os.open(name, os.O_RDWR | os.O_CREAT | NOFOLLOW | CLOEXEC, 0o600, dir_fd=self.fd)
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            os.close(fd)
            raise _refused('%s in %s is not a regular file of ours' % (name, self.path))
        return fd

    def rename(self, source, target):
        os.rename(source, target, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def unlink(self, name):
        os.unlink(name, dir_fd=self.fd)

    def names(self):
        return os.listdir(self.fd)

    def lstat(self, name):
        return os.stat(name, dir_fd=self.fd, follow_symlinks=False)

    @contextlib.contextmanager
    def locked(self, name, max_wait=LOCK_MAX_WAIT, clock=None, sleep=None):
        """An exclusive flock on ``name`` for the block, waited for at most ``max_wait`` s (LockTimeout)."""
        fd = self.open(name)
        try:
            if not self.lock(fd, max_wait, clock, sleep):
                raise LockTimeout(errno.EAGAIN, 'the lock on %s was held for more than %.1f s' % (name, max_wait))
            yield fd
        finally:
            os.close(fd)  # closing drops the lock, as the death of the process would

    def lock(self, fd, max_wait, clock=None, sleep=None):
        """True once the flock on ``fd`` is ours; False if it was not free within ``max_wait`` s (measured on
        ``clock``, the directory's by default)."""
        clock, sleep = clock or self._clock, sleep or self._sleep
        ends = clock() + max(0.0, max_wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except (IOError, OSError) as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
            if clock() >= ends:
                return False
            sleep(LOCK_POLL_SECONDS)


def private_problem(info, path):
    """Why a directory with this stat cannot be ours alone, or None."""
    if not stat.S_ISDIR(info.st_mode):
        return '%s is not a directory (or is a symbolic link)' % path
    if info.st_uid != os.geteuid():
        return '%s belongs to another user (uid %d)' % (path, info.st_uid)
    if info.st_mode & 0o077:
        return '%s is open to other users (mode %o); it must be 0700' % (path, stat.S_IMODE(info.st_mode))
    if info.st_mode & 0o700 != 0o700:
        return '%s is not writable' % path
    return None


def read_json(fd):
    """The object in the file; {} when it is empty (new, or cut short by a killed writer: start again).
    Corrupt when bigger than MAX_FILE_BYTES, not JSON, not an object, or with Infinity or NaN in it."""
    os.lseek(fd, 0, os.SEEK_SET)
    chunks, size = [], 0
    while size <= MAX_FILE_BYTES:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > MAX_FILE_BYTES:
        raise Corrupt(errno.EFBIG, 'a shared file is larger than %d bytes' % MAX_FILE_BYTES)
    if not size:
        return {}
    try:
        data = json.loads(b''.join(chunks).decode('utf-8'), parse_constant=_no_constant)
    except ValueError:
        raise Corrupt(errno.EINVAL, 'a shared file is not JSON')
    if not isinstance(data, dict):
        raise Corrupt(errno.EINVAL, 'a shared file does not hold an object')
    return data


def _no_constant(name):
    raise ValueError('%s is not a value we write' % name)


def write_json(fd, data):
    """The file's content replaced by ``data``; a short write is completed (a signal can cut one short)."""
    payload = json.dumps(data, separators=(',', ':'), allow_nan=False).encode('utf-8')
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


# -- where the directory is, and keeping it clean -------------------------------------------------
def default_directory(env=None):
    """$OCEANOPS_SHARED_DIR, else $XDG_RUNTIME_DIR/oceanops-droplets, else <tmp>/oceanops-droplets-shared-<uid>."""
    env = os.environ if env is None else env
    if env.get(ENV_DIRECTORY):
        return env[ENV_DIRECTORY]
    runtime = env.get('XDG_RUNTIME_DIR')
    if runtime and _ours_alone(runtime):  # su without -l and sudo -E pass on someone else's
        return os.path.join(runtime, DIRECTORY_NAME)
    return os.path.join(tempfile.gettempdir(), '%s-shared-%d' % (DIRECTORY_NAME, os.geteuid()))


def _ours_alone(path):
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o077


def private_directory(path):
    """(the directory at ``path``, made 0700 or checked and held open: PrivateDirectory, None), or (None, reason)."""
    try:
        return PrivateDirectory(path), None
    except OSError as error:
        return None, error.strerror or str(error)


def as_directory(directory):
    """A PrivateDirectory for a path (tests hand one over); one already open as it is."""
    return directory if isinstance(directory, PrivateDirectory) else PrivateDirectory(directory)


def clean_stale(directory, now, max_age=STALE_SECONDS):
    """Remove our files untouched for ``max_age`` seconds (temporary ones after TEMPORARY_STALE_SECONDS: a
    killed writer's). Only names this module writes, only regular files, only in the directory held open."""
    directory, removed = as_directory(directory), 0
    for name in directory.names():
        if not FILE_PATTERN.match(name):
            continue
        limit = TEMPORARY_STALE_SECONDS if TEMPORARY_PATTERN.search(name) else max_age
        try:
            info = directory.lstat(name)
            if stat.S_ISREG(info.st_mode) and info.st_mtime < now - limit:
                directory.unlink(name)
                removed += 1
        except OSError:
            continue
    return removed
