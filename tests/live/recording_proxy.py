"""A recording reverse proxy on 127.0.0.1 for the live suite (standard library only).

The modules' api_url points here (plain http on loopback is allowed by the modules); every request is
forwarded over HTTPS to the upstream API (plain http only to a loopback upstream, the simulator) and
the exchange is appended to a JSON-lines file with the token and every IP address redacted. The
Authorization header is forwarded upstream and written nowhere.

    python recording_proxy.py --upstream https://api.digitalocean.com --record out.jsonl [--port 0]
"""

import argparse
import http.client
import ipaddress
import json
import ssl
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import redact

FORWARDED_REQUEST_HEADERS = ('Authorization', 'Content-Type', 'Accept', 'User-Agent')
# What the record keeps of a response's headers (the rate-limit ones matter to the modules' pacing).
RECORDED_RESPONSE_HEADERS = ('content-type', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset',
                             'retry-after', 'x-request-id', 'location')
RETURNED_RESPONSE_HEADERS = RECORDED_RESPONSE_HEADERS + ('link',)
MAX_BODY = 8 * 1024 * 1024  # an API answer is far smaller; more is refused rather than buffered


def is_loopback(host):
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_upstream(url):
    """(scheme, host, port) of the upstream; plain http only to a loopback host."""
    parts = urlsplit(url)
    if parts.scheme not in ('http', 'https') or not parts.hostname or parts.path not in ('', '/'):
        raise ValueError('upstream must be a base URL such as https://api.digitalocean.com, got %r' % url)
    if parts.scheme == 'http' and not is_loopback(parts.hostname):
        raise ValueError('plain http upstream only on loopback (the simulator), got %r' % url)
    return parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == 'https' else 80)


class Recorder:
    """Appends redacted exchanges to a JSON-lines file, one line each, in order."""

    def __init__(self, path, secrets=(), meta=None):
        self.secrets = [secret for secret in secrets if secret]
        self.lock = threading.Lock()
        self.seq = 0
        self.handle = open(path, 'a', encoding='utf-8')  # pylint: disable=consider-using-with
        if meta is not None:
            self._write({'meta': meta})

    def _write(self, entry):
        self.handle.write(json.dumps(redact.redact(entry, self.secrets), sort_keys=True) + '\n')
        self.handle.flush()

    def record(self, entry, token=None):
        with self.lock:
            if token and token not in self.secrets:
                self.secrets.append(token)
            self.seq += 1
            self._write(dict(entry, seq=self.seq))

    def close(self):
        with self.lock:
            self.handle.close()


def _json_or_text(raw):
    if not raw:
        return None
    text = raw.decode('utf-8', 'replace')
    try:
        return json.loads(text)
    except ValueError:
        return text[:4096]


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'oceanops-live-proxy'

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass  # the record is the log

    def _forward(self):
        proxy = self.server.proxy
        length = int(self.headers.get('Content-Length') or 0)
        if length > MAX_BODY:
            self._answer(413, {'Content-Type': 'application/json'}, b'{"id": "too_large", "message": "body too large"}')
            return
        body = self.rfile.read(length) if length else b''
        headers = dict((name, self.headers[name]) for name in FORWARDED_REQUEST_HEADERS if self.headers.get(name))
        headers['Accept-Encoding'] = 'identity'  # the record needs the plain body
        started = time.monotonic()
        status, reply_headers, raw, error = proxy.send(self.command, self.path, headers, body)
        parts = urlsplit(self.path)
        entry = {'time': datetime.now(timezone.utc).isoformat(), 'elapsed_ms': int((time.monotonic() - started) * 1000),
                 'method': self.command, 'path': parts.path, 'query': dict(parse_qsl(parts.query, keep_blank_values=True)),
                 'request_headers': {'Content-Type': headers['Content-Type']} if 'Content-Type' in headers else {},
                 'request_body': _json_or_text(body), 'status': status,
                 'response_headers': dict((k, v) for k, v in reply_headers.items() if k in RECORDED_RESPONSE_HEADERS),
                 'response_body': _json_or_text(raw)}
        if error:
            entry['proxy_error'] = error
        scheme, unused, token = (self.headers.get('Authorization') or '').partition(' ')
        proxy.recorder.record(entry, token.strip() if scheme.lower() == 'bearer' else None)
        self._answer(status, reply_headers, raw)

    def _answer(self, status, headers, raw):
        self.send_response(status)
        for name, value in headers.items():
            if name in RETURNED_RESPONSE_HEADERS:
                self.send_header(name, value)
        self.send_header('Content-Length', str(len(raw)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(raw)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward


class RecordingProxy:
    """``with RecordingProxy(upstream, record) as proxy: proxy.url`` is the api_url to use."""

    def __init__(self, upstream, record_path, secrets=(), timeout=60, meta=None):
        self.scheme, self.host, self.port = parse_upstream(upstream)
        self.timeout = timeout
        meta = dict(meta or {}, recorder='oceanops live proxy', upstream=upstream,
                    started=datetime.now(timezone.utc).isoformat())
        self.recorder = Recorder(record_path, secrets, meta)
        self.server = ThreadingHTTPServer(('127.0.0.1', 0), ProxyHandler)
        self.server.daemon_threads = True
        self.server.proxy = self
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def send(self, method, target, headers, body):
        """(status, lower-case headers, body bytes, error or None) from the upstream; 502 when it cannot be reached."""
        if self.scheme == 'https':
            connection = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                                     context=ssl.create_default_context())
        else:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, target, body=body or None, headers=headers)
            response = connection.getresponse()
            raw = response.read(MAX_BODY + 1)
            if len(raw) > MAX_BODY:
                raise OSError('upstream answer larger than %d bytes' % MAX_BODY)
            return response.status, dict((k.lower(), v) for k, v in response.getheaders()), raw, None
        except (OSError, http.client.HTTPException) as error:
            message = 'proxy: upstream failed: %s' % type(error).__name__
            body = json.dumps({'id': 'proxy_error', 'message': message}).encode()
            return 502, {'content-type': 'application/json'}, body, message
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()
        self.recorder.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--upstream', default='https://api.digitalocean.com')
    parser.add_argument('--record', required=True, help='append exchanges to this JSON-lines file')
    args = parser.parse_args(argv)
    with RecordingProxy(args.upstream, args.record) as proxy:
        print('recording proxy on %s -> %s' % (proxy.url, args.upstream), flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == '__main__':
    sys.exit(main())
