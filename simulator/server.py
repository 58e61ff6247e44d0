"""HTTP plumbing: auth, rate limits, faults, the request log and record, and the /_sim control API.

One lock (the store's) serialises every request's work, so handlers need no locking of their own.
Delays and the socket writes happen outside it.
"""

import json
import socket
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from simulator import api, control
from simulator.common import ApiError
from simulator.instance import CONTENT_TYPE_MESSAGE, HTML_502, Simulator, error_body, is_json_media_type

__all__ = ('Simulator', 'serve')  # Simulator lives in instance.py; callers import both from here

api.register_all()


class Answer:
    """One computed response: status, headers, JSON body (or raw bytes for the HTML fault)."""

    def __init__(self, status, headers, body=None, raw=None):
        self.status, self.headers, self.body, self.raw = status, headers, body, raw


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'oceanops-do-simulator/1.0'
    timeout = 120  # an idle keep-alive connection gives its thread back after this

    def setup(self):
        super().setup()
        # headers and body go out in separate writes: without this, Nagle and delayed ACKs add ~40 ms per answer
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass  # the request log is in /_sim/log; one line per API call is printed unless --quiet

    def do_GET(self):
        self.dispatch('GET')

    def do_HEAD(self):  # the spec: a GET's status and headers, without the body
        self.dispatch('HEAD')

    def do_POST(self):
        self.dispatch('POST')

    def do_DELETE(self):
        self.dispatch('DELETE')

    def do_PATCH(self):
        self.dispatch('PATCH')

    def do_PUT(self):
        self.dispatch('PUT')

    def dispatch(self, method):
        parts = urlsplit(self.path)
        path = parts.path.rstrip('/') or '/'
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        host, port = self.server.server_address[:2]
        base_url = '%s://%s:%d' % (self.server.scheme, '[%s]' % host if ':' in host else host, port)
        if path == '/_sim' or path.startswith('/_sim/'):
            body, bad_json = self.read_body()
            sim = self.server.sim
            with sim.lock:
                sim.store.advance()
                status, payload = control.handle(sim, method, path, query, None if bad_json else body, bad_json)
            return self.send(Answer(status, {}, payload), head=method == 'HEAD')
        return self.serve_api(self.server.sim, method, path, query, base_url)

    def read_body(self):
        """(decoded JSON or raw text or None when there is none, whether it was bad JSON)."""
        if 'chunked' in (self.headers.get('Transfer-Encoding') or '').lower():
            raw = self.read_chunked()
        else:
            length = int(self.headers.get('Content-Length') or 0)
            raw = self.rfile.read(length) if length > 0 else b''
        if not raw.strip():
            return None, False
        try:
            return json.loads(raw.decode('utf-8')), False
        except ValueError:
            return raw.decode('utf-8', 'replace'), True

    def read_chunked(self):
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b';')[0].strip() or b'0', 16)
            if size == 0:
                self.rfile.readline()
                return b''.join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def serve_api(self, sim, method, path, query, base_url):
        head = method == 'HEAD'
        template, handler, params = api.match('GET' if head else method, path)
        with sim.lock:
            fault = sim.faults.pick(method, path)
            kind = fault['kind'] if fault else None
            if kind == 'reset_before':  # closed before the request was read or acted on
                sim.traffic.note(method, template, path, query, None, None, None, fault=kind)
                return self.drop()
        body, bad_json = self.read_body()
        with sim.lock:
            sim.store.advance()
            answer = self.answer(sim, method, path, query, base_url, handler, params, body, bad_json, fault)
            payload = answer.raw if answer.raw is not None else (
                b'' if answer.body is None else json.dumps(answer.body).encode('utf-8'))
            logged = answer.body if answer.raw is None else answer.raw.decode('utf-8')
            if head:
                logged = None  # the client got the headers only
            sim.traffic.note(method, template, path, query, answer.status, body, logged,
                             request_content_type=self.headers.get('Content-Type'), response_headers=answer.headers,
                             fault=kind if kind in ('status', 'reset_after', 'delay', 'truncate', 'non_json') else None)
        if not sim.quiet:
            print('%s %s -> %s%s' % (method, path, answer.status, ' (%s)' % kind if kind else ''), flush=True)
        if kind == 'delay':  # the work is done; the answer is late
            time.sleep(float(fault.get('delay', 1.0)))
        if kind == 'reset_after':  # the request took effect; the client never hears of it
            return self.drop()
        return self.send(answer, payload, truncate=kind == 'truncate', head=head)

    def answer(self, sim, method, path, query, base_url, handler, params, body, bad_json, fault):
        request_id = str(uuid.uuid4())
        headers = {'x-request-id': request_id}
        kind = fault['kind'] if fault else None
        token = sim.token(self.headers.get('Authorization'))
        if kind == 'non_json':  # an HTML page from a proxy in front of the API
            return Answer(int(fault.get('status', 502)), {'Content-Type': 'text/html'}, raw=HTML_502)
        if kind == 'status':
            status = int(fault.get('status', 500))
            headers.update(sim.limiter.peek(token or ''))
            if fault.get('retry_after') is not None:
                headers['retry-after'] = str(fault['retry_after'])
            return Answer(status, headers, error_body(status, request_id))
        if token is None:
            headers.update(sim.limiter.peek(''))
            return Answer(401, headers, error_body(401, request_id))
        allowed, limit_headers = sim.limiter.admit(token)
        headers.update(limit_headers)
        if not allowed:
            return Answer(429, headers, error_body(429, request_id))
        if handler is None:
            return Answer(404, headers, error_body(404, request_id))
        strict = sim.store.config.strict_validation
        if strict and (body is not None or bad_json) and not is_json_media_type(self.headers.get('Content-Type')):
            return Answer(400, headers, error_body(400, request_id, CONTENT_TYPE_MESSAGE))
        if bad_json:
            return Answer(400, headers, error_body(400, request_id, 'Unable to parse the request body as JSON.'))
        outcome = {'action_error': 'errored', 'action_stuck': 'stuck'}.get(kind)
        request = api.Request('GET' if method == 'HEAD' else method, path, query, base_url, body,
                              forced_outcome=outcome, strict=strict)
        try:
            status, response = handler(sim.store, request, **params)
            return Answer(status, headers, response)
        except ApiError as error:
            headers.update(error.headers)
            response = error_body(error.status, request_id, error.message, error.error_id)
            response.update(error.body or {})
            return Answer(error.status, headers, response)
        except Exception:  # pylint: disable=broad-except  # a simulator bug: answer like the API would, and say where
            traceback.print_exc(file=sys.stderr)
            return Answer(500, headers, error_body(500, request_id))

    # -- responses ------------------------------------------------------------------------------
    def send(self, answer, payload=None, truncate=False, head=False):
        if payload is None:
            payload = b'' if answer.body is None else json.dumps(answer.body).encode('utf-8')
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            if name != 'Content-Type':
                self.send_header(name, value)
        if payload:
            self.send_header('Content-Type', answer.headers.get('Content-Type', 'application/json; charset=utf-8'))
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        if head:  # a GET's Content-Length and Content-Type, and no body
            return None
        if truncate:  # a cut-off body under a Content-Length that promised all of it
            self.wfile.write(payload[:max(1, len(payload) // 2)])
            return self.drop()
        self.wfile.write(payload)
        return None

    def drop(self):
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class Server(ThreadingHTTPServer):
    scheme = 'http'
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # many Ansible forks connect at once

    def handle_error(self, request, client_address):
        """A client that fails the TLS handshake (plain http on an https port) is one line, not a traceback."""
        error = sys.exc_info()[1]
        if self.scheme == 'https' and isinstance(error, OSError):  # ssl.SSLError is an OSError
            reason = getattr(error, 'reason', None) or error
            print('TLS handshake failed from %s: %s' % (client_address[0], reason), file=sys.stderr, flush=True)
            return
        super().handle_error(request, client_address)


class Server6(Server):
    address_family = socket.AF_INET6


def serve(sim, host='127.0.0.1', port=0, tls_context=None):
    """Start serving ``sim`` on a background thread; returns the server (``server_address``, ``shutdown()``).

    With ``tls_context`` (an ssl.SSLContext) it serves HTTPS; each TLS handshake happens in the connection's
    own thread, so a slow client never holds up the others. Raises OSError when the port cannot be had.
    """
    server_class = Server6 if ':' in host else Server
    server = server_class((host, port), Handler)
    if tls_context is not None:
        server.socket = tls_context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        server.scheme = 'https'
    server.sim = sim
    thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
    thread.start()
    return server
