"""A hostile stand-in for the DigitalOcean API: a small honest API plus scriptable misbehaviour.

HostileAPI runs a stdlib threaded HTTP server on a loopback address. With no rule it plays a tiny
DigitalOcean (Droplets, their actions, pagination), enough for the real modules to succeed. Rules
(``api.on(method, path_regex, responder, times=None)``) take over matching requests: a responder is
``callable(api, request) -> Reply``; this file has one for each misbehaviour met in the field
(redirects, foreign or looping or endless next links, dribbled bodies or headers, gzip bombs,
rate-limit headers, Retry-After variants, malformed 2xx, a POST answered 504 and applied later,
a 422 "pending event" forever, a wrong Content-Type, a Droplet destroyed mid-wait). Every request is recorded (method, path,
query, headers, the address it arrived on, body), so a test can say what was sent where.

For runner-level tests: ``api.honest(request)`` is the honest answer a responder may build on,
``api.start_action(droplet_id, type)`` starts an action as the API would (``applied_later`` uses it
to apply a POST after answering 504), ``api.actions`` holds every action started, and a rule with
``times=n`` misbehaves n times and then lets the honest API answer.
"""

import gzip
import itertools
import json
import re
import struct
import threading
import time
import zlib
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

PENDING_EVENT = {'id': 'unprocessable_entity', 'message': 'Droplet already has a pending event.'}
POWER_EFFECTS = {'power_off': 'off', 'shutdown': 'off', 'power_on': 'active', 'reboot': 'active',
                 'power_cycle': 'active'}


class Recorded:
    def __init__(self, handler, body):
        parts = urlsplit(handler.path)
        self.method = handler.command
        self.path = parts.path
        self.query = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.headers = dict(handler.headers.items())
        self.host_header = handler.headers.get('Host')
        self.arrived_on = '%s:%d' % handler.server.server_address[:2]
        self.body = body
        self.at = time.monotonic()

    def json(self):
        return json.loads(self.body) if self.body else None


class Reply:
    """What to send back. ``dribble``: seconds between single bytes of the body; ``header_dribble``:
    seconds between bytes of the status line and headers; ``hang``: seconds to wait before anything;
    ``length``: False to send no Content-Length (the body ends when the connection closes)."""

    def __init__(self, status=200, body=None, headers=None, raw=None, dribble=None, header_dribble=None, hang=None,
                 length=True):
        self.status = status
        self.headers = {'Content-Type': 'application/json'}
        self.headers.update(headers or {})
        self.raw = raw if raw is not None else (b'' if body is None else json.dumps(body).encode())
        self.dribble = dribble
        self.header_dribble = header_dribble
        self.hang = hang
        self.length = length  # False: no Content-Length, the body ends when the connection closes


class Rule:
    def __init__(self, method, path, responder, times, when=None):
        self.method, self.path, self.responder, self.times = method, re.compile(path), responder, times
        self.when = when
        self.hits = 0

    def matches(self, request):
        if self.times is not None and self.hits >= self.times:
            return False
        return ((self.method in (None, request.method)) and self.path.search(request.path) is not None
                and (self.when is None or self.when(request)))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):  # quiet
        pass

    def _serve(self):
        length = int(self.headers.get('Content-Length') or 0)
        request = Recorded(self, self.rfile.read(length) if length else b'')
        api = self.server.api
        reply = api.respond(request)
        try:
            self._send(reply)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass  # the client gave up on a slow or endless answer: that is the point

    do_GET = do_POST = do_DELETE = do_PUT = _serve

    def _send(self, reply):
        if reply.hang:
            time.sleep(reply.hang)
        headers = dict(reply.headers)
        if reply.length:
            headers.setdefault('Content-Length', str(len(reply.raw)))
        else:
            headers['Connection'] = 'close'
            self.close_connection = True
        head = 'HTTP/1.1 %d Hostile\r\n' % reply.status
        head += ''.join('%s: %s\r\n' % item for item in headers.items()) + '\r\n'
        self._write(head.encode('latin-1'), reply.header_dribble)
        self._write(reply.raw, reply.dribble)

    def _write(self, data, gap):
        if not gap:
            self.wfile.write(data)
            self.wfile.flush()
            return
        for index in range(len(data)):
            if self.server.api.closed.is_set():
                return
            self.wfile.write(data[index:index + 1])
            self.wfile.flush()
            time.sleep(gap)


class HostileAPI:
    def __init__(self, host='127.0.0.1', action_seconds=0.0):
        self.requests = []
        self.rules = []
        self.default_headers = {}
        self.droplets = {}
        self.actions = {}
        self.action_seconds = action_seconds
        self.closed = threading.Event()
        self._ids = itertools.count(1000)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), _Handler)
        self._server.daemon_threads = True
        self._server.api = self
        self.host, self.port = self._server.server_address[:2]
        self.base = 'http://%s:%d' % (self.host, self.port)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self):
        self.closed.set()
        self._server.shutdown()
        self._server.server_close()

    # -- scripting ----------------------------------------------------------------------------------
    def on(self, method, path, responder, times=None, when=None):
        """Answer matching requests with ``responder(api, request)``; the first matching rule wins.
        ``when(request)``, if given, must hold too."""
        rule = Rule(method, path, responder, times, when)
        self.rules.append(rule)
        return rule

    def seed(self, count=1, status='active', name='web', tag=None):
        made = []
        for _number in range(count):
            droplet_id = next(self._ids)
            droplet = dict(id=droplet_id, name=name if count == 1 else '%s-%d' % (name, droplet_id), status=status,
                           locked=False, features=[], size_slug='s-1vcpu-1gb', disk=25, kernel=None, backup_ids=[],
                           snapshot_ids=[], image=dict(id=1, slug='ubuntu-24-04-x64'), tags=[tag] if tag else [])
            self.droplets[droplet_id] = droplet
            made.append(droplet)
        return made

    def delete_droplet(self, droplet_id):
        """The Droplet is destroyed: it and its actions answer 404 and leave every list."""
        with self._lock:
            self.droplets.pop(droplet_id, None)
            for action_id in [a['id'] for a in self.actions.values() if a['resource_id'] == droplet_id]:
                del self.actions[action_id]

    # -- what was sent --------------------------------------------------------------------------------
    def posts(self):
        return [request for request in self.requests if request.method == 'POST']

    def authorizations(self):
        return set(request.headers.get('Authorization') for request in self.requests)

    # -- answering ------------------------------------------------------------------------------------
    def respond(self, request):
        with self._lock:
            self.requests.append(request)
            rule = next((rule for rule in self.rules if rule.matches(request)), None)
            if rule is not None:
                rule.hits += 1
        reply = rule.responder(self, request) if rule is not None else self.honest(request)
        for name, value in self.default_headers.items():
            reply.headers.setdefault(name, value)
        reply.headers.setdefault('Date', formatdate(usegmt=True))
        return reply

    def honest(self, request):
        """The tiny honest API: enough of /v2 for droplet_action and droplet_action_info."""
        self._finish_due_actions()
        path, method = request.path, request.method
        found = re.match(r'^/v2/droplets/(\d+)(/actions)?$', path)
        if found and method == 'GET' and not found.group(2):
            droplet = self.droplets.get(int(found.group(1)))
            return Reply(200, dict(droplet=droplet)) if droplet else not_found()
        if found and found.group(2):
            droplet_id = int(found.group(1))
            if droplet_id not in self.droplets:
                return not_found()
            if method == 'POST':
                return Reply(201, dict(action=self.start_action(droplet_id, (request.json() or {}).get('type'))))
            mine = [a for a in self.actions.values() if a['resource_id'] == droplet_id]
            return self.page(request, 'actions', sorted(mine, key=lambda a: -a['id']))
        if path == '/v2/droplets/actions' and method == 'POST':
            tagged = [d['id'] for d in self.droplets.values() if request.query.get('tag_name') in d['tags']]
            action_type = (request.json() or {}).get('type')
            return Reply(201, dict(actions=[self.start_action(droplet_id, action_type) for droplet_id in tagged]))
        if path == '/v2/droplets' and method == 'GET':
            listed = [d for d in self.droplets.values()
                      if request.query.get('name') in (None, d['name'])
                      and request.query.get('tag_name') in [None] + d['tags']]
            return self.page(request, 'droplets', listed)
        found = re.match(r'^/v2/actions/(\d+)$', path)
        if found:
            action = self.actions.get(int(found.group(1)))
            return Reply(200, dict(action=action)) if action else not_found()
        if path == '/v2/actions':
            return self.page(request, 'actions', sorted(self.actions.values(), key=lambda a: -a['id']))
        if path == '/v2/account':
            return Reply(200, dict(account=dict(uuid='hostile', status='active')))
        return not_found()

    def start_action(self, droplet_id, action_type):
        with self._lock:
            action = dict(id=next(self._ids), status='in-progress', type=action_type, resource_id=droplet_id,
                          resource_type='droplet', region_slug='nyc3', completed_at=None,
                          started_at=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()))
            action['_due'] = time.monotonic() + self.action_seconds
            self.actions[action['id']] = action
        return public(action)

    def _finish_due_actions(self):
        with self._lock:
            for action in self.actions.values():
                if action['status'] == 'in-progress' and time.monotonic() >= action['_due']:
                    action['status'] = 'completed'
                    action['completed_at'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
                    effect = POWER_EFFECTS.get(action['type'])
                    if effect and action['resource_id'] in self.droplets:
                        self.droplets[action['resource_id']]['status'] = effect

    def page(self, request, key, items):
        page = int(request.query.get('page', 1))
        per_page = min(200, int(request.query.get('per_page', 20)))
        first = (page - 1) * per_page
        chosen = [public(item) for item in items[first:first + per_page]]
        links = {}
        if page * per_page < len(items):
            query = dict(request.query, page=str(page + 1), per_page=str(per_page))
            encoded = '&'.join('%s=%s' % pair for pair in sorted(query.items()))
            links = dict(pages=dict(next='%s%s?%s' % (self.base, request.path, encoded)))
        return Reply(200, {key: chosen, 'links': links, 'meta': dict(total=len(items))})


def public(record):
    return dict((name, value) for name, value in record.items() if not name.startswith('_'))


def not_found():
    return Reply(404, dict(id='not_found', message='The resource you were accessing could not be found.'))


# -- responders: one per misbehaviour ------------------------------------------------------------------
def answer(status=200, body=None, headers=None, raw=None, **options):
    """Always the same reply."""
    return lambda api, request: Reply(status, body, headers, raw, **options)


def honest_after(seconds):
    """The honest answer, ``seconds`` late (a slow API, a POST whose answer arrives after the timeout)."""
    def respond(api, request):
        time.sleep(seconds)
        return api.honest(request)
    return respond


def redirect(status, location):
    return answer(status, headers={'Location': location})


def next_link(link_for, key='droplets'):
    """A page of one item whose links.pages.next is ``link_for(api, request)``."""
    def respond(api, request):
        item = dict(id=int(request.query.get('page', 1)), name='n', status='active')
        return Reply(200, {key: [item], 'links': dict(pages=dict(next=link_for(api, request)))})
    return respond


def endless_pages(key='droplets'):
    """A new page number every time, no meta.total: only the deadline can stop it."""
    return next_link(lambda api, request: '%s%s?page=%d' % (api.base, request.path,
                                                            int(request.query.get('page', 1)) + 1), key)


def page_after(api, request):
    """The link to the page after this one."""
    query = dict(request.query, page=str(int(request.query.get('page', 1)) + 1))
    return '%s%s?%s' % (api.base, request.path, '&'.join('%s=%s' % pair for pair in sorted(query.items())))


def pages_of(items_for, total_for, key='droplets'):
    """Page after page: ``items_for(page)`` as the items, ``total_for(page)`` as meta.total, always a next link."""
    def respond(api, request):
        page = int(request.query.get('page', 1))
        return Reply(200, {key: items_for(page), 'meta': dict(total=total_for(page)),
                           'links': dict(pages=dict(next=page_after(api, request)))})
    return respond


def empty_pages(key='droplets', total=10 ** 9):
    """Nothing on any page, while meta.total claims ``total`` items and a next link says more follow."""
    return pages_of(lambda page: [], lambda page: total, key)


def repeating_pages(key='droplets'):
    """The same item on every page, with a new page number each time."""
    return pages_of(lambda page: [dict(id=7, name='n', status='active')], lambda page: None, key)


def leaping_total(key='droplets'):
    """meta.total 3 on the first page, a billion on the next ones; a new item on each page."""
    return pages_of(lambda page: [dict(id=page, name='n', status='active')], lambda page: 3 if page == 1 else 10 ** 9,
                    key)


def looping_pages(key='droplets'):
    """Page 2 links to page 2 again, forever."""
    return next_link(lambda api, request: '%s%s?page=2' % (api.base, request.path), key)


def dribbled(body, seconds_per_byte):
    return answer(200, body, dribble=seconds_per_byte)


def dribbled_headers(seconds_per_byte):
    return answer(200, dict(droplet=dict(id=1)), header_dribble=seconds_per_byte)


_BOMBS = {}


def gzip_bomb(inflated_bytes=1 << 30):
    """About 1 MB of gzip that inflates to ``inflated_bytes`` of JSON-looking zeros (built once).

    A full flush makes the compressed form of each 1 MiB block independent of what came before,
    so one compressed block is repeated instead of compressing a gigabyte.
    """
    if inflated_bytes not in _BOMBS:
        packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        prefix, block, suffix = b'{"droplet": {"id": 1, "pad": "', b'0' * (1 << 20), b'"}}'
        count = inflated_bytes // len(block)
        head = packer.compress(prefix) + packer.flush(zlib.Z_FULL_FLUSH)
        packed_block = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
        tail = packer.compress(suffix) + packer.flush()
        crc = zlib.crc32(prefix)
        for _number in range(count):
            crc = zlib.crc32(block, crc)
        crc = zlib.crc32(suffix, crc)
        size = len(prefix) + count * len(block) + len(suffix)
        header = b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff'
        _BOMBS[inflated_bytes] = (header + head + packed_block * count + tail
                                  + struct.pack('<II', crc & 0xffffffff, size & 0xffffffff))
    return answer(200, raw=_BOMBS[inflated_bytes], headers={'Content-Encoding': 'gzip'})


def gzipped(body):
    return answer(200, raw=gzip.compress(json.dumps(body).encode()), headers={'Content-Encoding': 'gzip'})


def rate_limited(retry_after=None, status=429):
    headers = {} if retry_after is None else {'Retry-After': retry_after}
    return answer(status, dict(id='too_many_requests', message='API Rate limit exceeded.'), headers)


def quota_nearly_spent(api, remaining=1, reset_in=3000):
    """Every later answer says ``remaining`` requests are left until a reset ``reset_in`` s away."""
    api.default_headers.update({'ratelimit-limit': '5000', 'ratelimit-remaining': str(remaining),
                                'ratelimit-reset': str(int(time.time() + reset_in))})


def malformed(raw, status=200, content_type='application/json'):
    return answer(status, raw=raw, headers={'Content-Type': content_type})


def acted_then_malformed(raw, status=201):
    """The API starts the action, then answers the POST with a body of the wrong shape."""
    def respond(api, request):
        droplet_id = int(re.match(r'^/v2/droplets/(\d+)', request.path).group(1))
        api.start_action(droplet_id, (request.json() or {}).get('type'))
        return Reply(status, raw=raw)
    return respond


def deleted_when(droplet_id, condition):
    """The Droplet is destroyed at the first matching request for which ``condition(api, request)`` holds,
    before it is answered (honestly, from then on without the Droplet)."""
    def respond(api, request):
        if droplet_id in api.droplets and condition(api, request):
            api.delete_droplet(droplet_id)
        return api.honest(request)
    return respond


def pending_event_forever():
    return answer(422, PENDING_EVENT)


def applied_later(delay, status=504):
    """The POST is answered ``status`` at once, and the action starts ``delay`` seconds later."""
    def respond(api, request):
        droplet_id = int(re.match(r'^/v2/droplets/(\d+)', request.path).group(1))
        action_type = (request.json() or {}).get('type')
        threading.Timer(delay, api.start_action, (droplet_id, action_type)).start()
        return Reply(status, dict(id='gateway_timeout', message='upstream timed out'))
    return respond
