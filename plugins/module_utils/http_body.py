# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a response body within a time and size limit, and checking its shape."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import zlib

# The largest body accepted, counted after decompression. A page of 200 Droplets is about 1 MiB.
MAX_BODY_BYTES = 32 * 1024 * 1024
READ_CHUNK_BYTES = 64 * 1024
# Decompressed bytes produced per step, so that one compressed chunk never inflates all at once.
INFLATE_STEP_BYTES = 1024 * 1024

# Objects whose ``id`` the caller relies on; lists under these keys hold such objects.
OBJECTS_WITH_ID = frozenset(['droplet', 'action', 'image', 'snapshot', 'kernel', 'backup'])
LISTS_WITH_ID = frozenset(['droplets', 'actions', 'images', 'snapshots', 'kernels', 'backups'])
# Keys whose value is an object even though the name is plural (a map by Droplet id).
PLURAL_OBJECTS = frozenset(['policies'])


class BodyError(Exception):
    """The body cannot be used; ``reason`` completes "the body ...". ``late`` when time ran out."""

    def __init__(self, reason, late=False):
        super().__init__(reason)
        self.reason = reason
        self.late = late


def read_body(response, deadline, clock, limit=MAX_BODY_BYTES):
    """The whole (decompressed) body, read in chunks; BodyError past ``deadline`` or ``limit`` bytes.

    Each chunk is one socket read (``read1``), so a body dribbled a byte at a time still meets the
    deadline check between reads. Decompression is done here, bounded by what is left of the limit,
    so a small compressed body cannot inflate past it.
    """
    declared = response.headers.get('Content-Length')
    if declared and declared.strip().isdigit() and int(declared) > limit:
        raise BodyError('declares %s bytes, more than the %d-byte limit' % (declared.strip(), limit))
    inflater = _Inflater(response.headers.get('Content-Encoding'))
    raw = response.raw
    read = raw.read1 if hasattr(raw, 'read1') else raw.read
    parts, size = [], 0
    while True:
        if clock() > deadline:
            raise BodyError('did not arrive in time', late=True)
        chunk = read(READ_CHUNK_BYTES, decode_content=False)
        if not chunk:
            break
        for data in inflater.feed(chunk, limit - size):
            size += len(data)
            if size > limit:
                raise BodyError('is larger than the %d-byte limit (after decompression)' % limit)
            parts.append(data)
    if clock() > deadline:
        raise BodyError('did not arrive in time', late=True)
    inflater.finish()
    return b''.join(parts)


class _Inflater:
    def __init__(self, encoding):
        name = (encoding or 'identity').strip().lower()
        if name in ('', 'identity'):
            self._decoder = None
        elif name in ('gzip', 'x-gzip'):
            self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif name == 'deflate':
            self._decoder = zlib.decompressobj()
        else:
            raise BodyError('has an unsupported Content-Encoding %r' % name[:40])

    def feed(self, chunk, room):
        """Yield the decompressed pieces of ``chunk``, each at most INFLATE_STEP_BYTES, stopping
        once more than ``room`` bytes came out (enough to know the limit is passed)."""
        if self._decoder is None:
            yield chunk
            return
        data = chunk
        while room >= 0:
            try:
                piece = self._decoder.decompress(data, INFLATE_STEP_BYTES)
            except zlib.error as error:
                raise BodyError('is not valid compressed data (%s)' % error)
            room -= len(piece)
            yield piece
            data = self._decoder.unconsumed_tail
            if not data and len(piece) < INFLATE_STEP_BYTES:
                return  # a full piece may leave output pending in zlib: ask once more

    def finish(self):
        if self._decoder is not None and not self._decoder.eof:
            raise BodyError('ends in the middle of its compressed data')


def decode_json(content, content_type):
    """The JSON value of a body; BodyError when it is not JSON."""
    if content_type and 'json' not in content_type.lower():
        raise BodyError('has Content-Type %r, not JSON' % content_type[:60])
    try:
        return json.loads(content.decode('utf-8'))
    except (ValueError, UnicodeDecodeError):
        raise BodyError('is not JSON')
    except RecursionError:
        raise BodyError('is JSON nested too deeply to read')


def checked(data, expect):
    """``data[expect]`` when it has the shape the caller relies on; BodyError otherwise.

    A plural key (``droplets``, ``actions``) must hold a list of objects, a singular one an object;
    keys in OBJECTS_WITH_ID / LISTS_WITH_ID also need an ``id`` in each object.
    """
    if not isinstance(data, dict):
        raise BodyError('is not a JSON object with %r' % expect)
    value = data.get(expect)
    if expect.endswith('s') and expect not in PLURAL_OBJECTS:
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise BodyError('has no list of objects under %r' % expect)
        if expect in LISTS_WITH_ID and not all(_has_id(item) for item in value):
            raise BodyError('has an object without an id under %r' % expect)
        return value
    if not isinstance(value, dict):
        raise BodyError('has no object under %r' % expect)
    if expect in OBJECTS_WITH_ID and not _has_id(value):
        raise BodyError('has no id in its %r object' % expect)
    return value


def _has_id(item):
    identifier = item.get('id')
    if isinstance(identifier, bool):
        return False
    return isinstance(identifier, int) or (isinstance(identifier, str) and identifier != '')
