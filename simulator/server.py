"""HTTP plumbing: auth, rate limits, faults, the request log and record, and the /_sim control API."""

import collections
import json
import random
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from simulator import api
from simulator.actions import ApiError
from simulator.control import CONTROL_ROUTES

FAULT_KINDS = ('status', 'reset_before', 'reset_after', 'delay', 'truncate', 'non_json')


class RateLimiter:
    """Sliding windows of request times: per minute and per hour, as DigitalOcean counts them."""

    def __init__(self, per_minute=250, per_hour=5000, clock=time.time):
        self.per_minute, self.per_hour, self.clock = per_minute, per_hour, clock
        self.recent = collections.deque()

    def admit(self):
        """(allowed, headers, retry_after)."""
        now = self.clock()
        while self.recent and self.recent[0] <= now - 3600:
            self.recent.popleft()
        in_minute = sum(1 for t in reversed(self.recent) if t > now - 60) if len(self.recent) else 0
        retry_after = None
        if in_minute >= self.per_minute:
            minute_times = [t for t in self.recent if t > now - 60]
            retry_after = max(1, int(minute_times[0] + 60 - now + 0.999))
        elif len(self.recent) >= self.per_hour:
            retry_after = max(1, int(self.recent[0] + 3600 - now + 0.999))
        else:
            self.recent.append(now)
        oldest = self.recent[0] if self.recent else now
        headers = {'ratelimit-limit': str(self.per_hour),
                   'ratelimit-remaining': str(max(0, self.per_hour - len(self.recent))),
                   'ratelimit-reset': str(int(oldest + 3600))}
        return retry_after is None, headers, retry_after


class Faults:
    def __init__(self, rate=0.0, seed=None):
        self.scripted = []
        self.rate = rate
        self.rng = random.Random(seed)
        self.kinds = ['status', 'reset_before', 'reset_after', 'delay', 'truncate', 'non_json']

    def pick(self, method, path):
        for fault in self.scripted:
            if fault.get('method', method) != method or not re.search(fault.get('path', ''), path):
                continue
            if fault.get('after', 0) > 0:
                fault['after'] -= 1
                continue
            if fault.get('times', 1) <= 0:
                continue
            fault['times'] = fault.get('times', 1) - 1
            return fault
        if self.rate and self.rng.random() < self.rate:
            kind = self.rng.choice(self.kinds)
            return {'kind': kind, 'status': self.rng.choice([500, 502, 503, 504]), 'delay': 0.2}
        return None


class Simulator:
    """Everything one running simulator holds; handlers reach it through ``server.sim``."""

    def __init__(self, store, tokens=(), per_minute=250, per_hour=5000, record_path=None, fault_rate=0.0,
                 fault_seed=None):
        self.store = store
        self.tokens = set(tokens)
        self.revoked = set()
        self.limits = (per_minute, per_hour)
        self.limiter = RateLimiter(per_minute, per_hour)
        self.faults = Faults(fault_rate, fault_seed)
        self.record_path = record_path
        self.log = []
        self.counters = collections.Counter()
        self.status_counts = collections.Counter()
        self.lock = store.lock

    def authorized(self, header):
        if not header or not header.startswith('Bearer '):
            return False
        token = header[len('Bearer '):].strip()
        if not token or token in self.revoked:
            return False
        return not self.tokens or token in self.tokens

    def note(self, method, template, path, query, status, request_body, response_body, response_headers):
        self.counters['%s %s' % (method, template)] += 1
        self.status_counts[str(status)] += 1
        entry = {'seq': len(self.log) + 1, 'time': time.time(), 'method': method, 'path': path, 'template': template,
                 'query': query, 'status': status, 'request_body': request_body, 'response_body': response_body}
        self.log.append(entry)
        if self.record_path:
            line = dict(entry, request_headers={'Content-Type': 'application/json'}, response_headers=response_headers)
            with open(self.record_path, 'a') as handle:
                handle.write(json.dumps(line) + '\n')


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'oceanops-do-simulator/0.1'

    def log_message(self, *args):  # quiet: the request log is in /_sim/log
        pass

    def do_GET(self):
        self.dispatch('GET')

    def do_POST(self):
        self.dispatch('POST')

    def do_DELETE(self):
        self.dispatch('DELETE')

    def do_PATCH(self):
        self.dispatch('PATCH')

    def do_PUT(self):
        self.dispatch('PUT')

    # -- request helpers used by the routes ----------------------------------------------------
    def json_body(self):
        if self._body is None or not self._raw:
            return {}
        if not isinstance(self._body, dict):
            raise ApiError(400, 'bad_request', 'The request body must be a JSON object.')
        return self._body

    def dispatch(self, method):
        sim = self.server.sim
        parts = urlsplit(self.path)
        self.path_only = parts.path.rstrip('/') or '/'
        self.query = dict(parse_qsl(parts.query))
        self.base_url = 'http://%s:%s' % self.server.server_address[:2]
        length = int(self.headers.get('Content-Length') or 0)
        self._raw = self.rfile.read(length) if length else b''
        try:
            self._body = json.loads(self._raw.decode('utf-8')) if self._raw else None
            bad_json = False
        except ValueError:
            self._body, bad_json = None, True
        request = Request(self.path_only, self.query, self.base_url, self)
        if self.path_only.startswith('/_sim/') or self.path_only == '/_sim':
            with sim.lock:
                sim.store.advance()
                status, body = control(sim, method, request)
            return self.send_json(status, body, {})
        self.serve_api(sim, method, request, bad_json)

    def serve_api(self, sim, method, request, bad_json):
        template, handler, params = api.match(method, self.path_only)
        fault = None
        with sim.lock:
            fault = sim.faults.pick(method, self.path_only)
        if fault and fault['kind'] == 'reset_before':
            return self.drop()
        if fault and fault['kind'] == 'delay':
            time.sleep(float(fault.get('delay', 1.0)))
        with sim.lock:
            allowed, headers, retry_after = sim.limiter.admit()
            headers['x-request-id'] = str(uuid.uuid4())
            status, body = self.answer(sim, method, request, handler, params, allowed, retry_after, bad_json, headers,
                                       fault)
            sim.note(method, template, self.path_only, self.query, status,
                     self._body if self._raw else None, body, dict(headers, **{'Content-Type': 'application/json'}))
        if fault and fault['kind'] == 'reset_after':
            return self.drop()
        if fault and fault['kind'] == 'truncate':
            return self.send_truncated(status, body, headers)
        if fault and fault['kind'] == 'non_json':
            return self.send_html(502, headers)
        self.send_json(status, body, headers)

    def answer(self, sim, method, request, handler, params, allowed, retry_after, bad_json, headers, fault):
        if not allowed:
            headers['Retry-After'] = str(retry_after)
            return 429, error_body('too_many_requests', 'API Rate limit exceeded.', headers)
        if not sim.authorized(self.headers.get('Authorization')):
            return 401, error_body('unauthorized', 'Unable to authenticate you', headers)
        if fault and fault['kind'] == 'status':
            status = int(fault.get('status', 500))
            if fault.get('retry_after') is not None:
                headers['Retry-After'] = str(fault['retry_after'])
            if status == 429:
                return 429, error_body('too_many_requests', 'API Rate limit exceeded.', headers)
            return status, error_body('server_error', 'Server Error', headers)
        if handler is None:
            return 404, error_body('not_found', 'The resource you were accessing could not be found.', headers)
        if bad_json:
            return 400, error_body('bad_request', 'Unable to parse the request body as JSON.', headers)
        sim.store.advance()
        try:
            return handler(sim.store, request, **params)
        except ApiError as error:
            headers.update(error.headers)
            return error.status, error_body(error.error_id, error.message, headers)

    # -- responses ------------------------------------------------------------------------------
    def send_json(self, status, body, headers):
        payload = b'' if body is None else json.dumps(body).encode('utf-8')
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header('Content-Type', 'application/json; charset=utf-8')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def send_truncated(self, status, body, headers):
        payload = json.dumps(body).encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', 'application/json; charset=utf-8')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload[:max(1, len(payload) // 2)])
        self.drop()

    def send_html(self, status, headers):
        payload = b'<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>'
        self.send_response(status)
        self.send_header('Content-Type', 'text/html')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def drop(self):
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class Request:
    def __init__(self, path, query, base_url, handler):
        self.path, self.query, self.base_url, self.handler = path, query, base_url, handler

    def json_body(self):
        return self.handler.json_body()


def error_body(error_id, message, headers):
    return {'id': error_id, 'message': message, 'request_id': headers['x-request-id']}


def control(sim, method, request):
    for route_method, pattern, handler in CONTROL_ROUTES:
        found = re.match('^' + pattern + '$', request.path)
        if found and route_method == method:
            try:
                return handler(sim, request, *found.groups())
            except (ApiError, KeyError, ValueError, TypeError) as error:
                return 400, {'id': 'bad_request', 'message': 'control API: %s' % error}
    return 404, {'id': 'not_found', 'message': 'no control route %s %s' % (method, request.path)}


def serve(sim, host='127.0.0.1', port=0):
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    server.sim = sim
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server
