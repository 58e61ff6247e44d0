# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one DigitalOcean API client every module uses: auth, pagination, errors, retries, pacing.

Hostile ground rules kept here: the token goes only to api_url's origin (no redirect, no foreign
next link, no proxy for plain http, no .netrc), every loop stops at ``deadline``, a whole exchange
takes at most ``timeout``, bodies are capped after decompression, and every error message passes
through the redactor.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import threading
import time
import traceback
from email.utils import parsedate_to_datetime
from http.client import HTTPException

from urllib.parse import parse_qsl, urljoin, urlsplit

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    from urllib3.exceptions import HTTPError as Urllib3Error, NewConnectionError, ReadTimeoutError
except ImportError:
    requests = None
    Urllib3Error = NewConnectionError = ReadTimeoutError = None
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.oceanops.droplets.plugins.module_utils.http_body import (
    BodyError, checked, decode_json, read_body)
from ansible_collections.oceanops.droplets.plugins.module_utils.page_sense import PageSense, meta_total, next_link
from ansible_collections.oceanops.droplets.plugins.module_utils.redact import Redactor
from ansible_collections.oceanops.droplets.plugins.module_utils.retry import backoff_delay, server_requested_delay
from ansible_collections.oceanops.droplets.plugins.module_utils.timing import (
    ABANDON_GRACE_SECONDS, PACE_BELOW_REMAINING, PACE_MAX_SECONDS, jittered_server_delay)

COLLECTION_VERSION = '0.1.0'
DEFAULT_API_URL = 'https://api.digitalocean.com'
MAX_PAGE_SIZE = 200
# A listing longer than this many pages is refused whatever meta.total says (100,000 items at 200 a page).
MAX_PAGES = 500
API_MESSAGE_MAX_CHARS = 500


class DigitalOceanAPIError(Exception):
    """An API call that failed: HTTP status, the API's error id, message and request id.

    ``outcome_unknown`` is set when a POST may or may not have been carried out (a 5xx, a dropped
    connection after the request was sent, a timeout, an unreadable body): the caller must look
    before it sends the POST again.
    """

    def __init__(self, message, status=None, error_id=None, api_message=None, request_id=None,
                 method=None, path=None, outcome_unknown=False):
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_id = error_id
        self.api_message = api_message
        self.request_id = request_id
        self.method = method
        self.path = path
        self.outcome_unknown = outcome_unknown

    def details(self):
        """The failure as result keys (never holds headers, so never the token)."""
        return dict(status=self.status, error_id=self.error_id, api_message=self.api_message,
                    request_id=self.request_id, method=self.method, path=self.path)

    def redact(self, redactor):
        """Remove secrets from every text this error carries; returns the error."""
        for name in ('message', 'error_id', 'api_message', 'request_id', 'path'):
            setattr(self, name, redactor(getattr(self, name)))
        self.args = (self.message,)
        return self


class DeadlineExceeded(DigitalOceanAPIError):
    """A loop of the client (pages, retries, rate-limit pacing) stopped at the task deadline."""


def check_token(token):
    """The token without surrounding whitespace; ValueError (never showing it) when it cannot be sent.

    A token from ``echo secret | ansible-vault encrypt_string`` ends in a newline: that is stripped.
    Whitespace or control characters inside it, or characters beyond printable ASCII, are refused.
    """
    cleaned = (token or '').strip()
    if not cleaned:
        raise ValueError('api_token is empty')
    if any(not 0x21 <= ord(char) <= 0x7e for char in cleaned):
        raise ValueError('api_token contains whitespace, a control character or a non-ASCII character inside it: '
                         'a DigitalOcean token is one word of printable ASCII characters (the token is not shown)')
    return cleaned


def origin_of(url):
    """(scheme, host, port) of ``url``, the default port filled in; None when it cannot be parsed."""
    try:
        parts = urlsplit(url)
        port = parts.port or {'http': 80, 'https': 443}.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.hostname:
        return None
    try:  # requests sends an internationalised host name in its ASCII (IDNA) form
        host = parts.hostname.encode('idna').decode('ascii').lower()
    except UnicodeError:
        host = parts.hostname.lower()
    return parts.scheme.lower(), host, port


def show_origin(origin):
    return '%s://%s:%s' % origin if origin else 'an unreadable location'


class _BearerAuth:
    """Adds the token to a request only when it goes to api_url's origin.

    Set as the session's ``auth``, it also keeps requests from putting .netrc credentials in its place.
    """

    def __init__(self, token, origin):
        self._header = 'Bearer %s' % token
        self._origin = origin

    def __call__(self, request):
        if origin_of(request.url) != self._origin:
            raise requests.exceptions.InvalidURL('refused to send the token to %s' % show_origin(origin_of(request.url)))
        request.headers['Authorization'] = self._header
        return request


def _short(text, limit=300):
    text = str(text)
    return text if len(text) <= limit else text[:limit] + '...'


def _parse_error_body(content, content_type):
    try:
        body = decode_json(content, content_type)
    except BodyError:
        return None, None, None
    if not isinstance(body, dict):
        return None, None, None
    return tuple(None if body.get(key) is None else _short(body.get(key), API_MESSAGE_MAX_CHARS)
                 for key in ('id', 'message', 'request_id'))


def error_from_response(method, path, response, content=b'', outcome_unknown=False):
    error_id, api_message, request_id = _parse_error_body(content, response.headers.get('Content-Type'))
    request_id = request_id or _short(response.headers.get('x-request-id') or '', 100) or None
    reason = api_message or 'the response body was not a DigitalOcean error object'
    message = 'DigitalOcean API returned HTTP %s for %s %s: %s' % (response.status_code, method, path, reason)
    extras = [part for part in (error_id and 'id: %s' % error_id, request_id and 'request_id: %s' % request_id) if part]
    if extras:
        message += ' (%s)' % ', '.join(extras)
    return DigitalOceanAPIError(message, status=response.status_code, error_id=error_id, api_message=api_message,
                                request_id=request_id, method=method, path=path, outcome_unknown=outcome_unknown)


def _certainly_not_sent(exc):
    """True when a connection error happened before any byte of the request reached the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], 'reason', None) if exc.args else None
    return NewConnectionError is not None and isinstance(reason, NewConnectionError)


def _not_sent_cause(exc):
    """Why a request that no retry can mend was not sent, or None for other errors."""
    errors = requests.exceptions
    causes = (
        (errors.SSLError, 'TLS failed (certificate verification or handshake); fix the certificate or validate_certs'),
        (errors.InvalidHeader, 'a header value is invalid'),
        (errors.InvalidSchema, 'the URL scheme is not supported'),
        (errors.MissingSchema, 'the URL has no scheme'),
        (errors.InvalidURL, 'the URL (host or port) is invalid or not api_url\'s origin'),
    )
    for klass, cause in causes:
        if isinstance(exc, klass):
            return cause
    return None


class DigitalOceanClient:
    """A thread-safe client for DigitalOcean API v2.

    GETs are retried on 429, 5xx, connection errors and unreadable bodies with jittered
    exponential backoff that honours Retry-After and ratelimit-reset. A POST is retried only when
    the server certainly did not act on it (429, connection refused); any other failure raises a
    DigitalOceanAPIError with ``outcome_unknown`` so the caller reconciles before trying again.
    Every loop stops at ``deadline`` (monotonic seconds, set by the module from wait_timeout).
    """

    def __init__(self, api_url, token, timeout=30, validate_certs=True, user_agent=None, max_attempts=6,
                 session=None, sleep=time.sleep, clock=time.monotonic, rng=None, redactor=None):
        self.redact = redactor or Redactor()
        self.redact.add(token)
        self.base_url = api_url.rstrip('/')
        self.origin = origin_of(self.base_url)
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.max_attempts = max_attempts
        self.deadline = None  # monotonic time after which no loop of the client goes on
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._session = session or requests.Session()
        self._configure_session(check_token(token), user_agent)
        self.stats = dict(requests=0, retries=0, rate_limited=0)
        self.requests_by_endpoint = {}
        self.rate_limit = dict(limit=None, remaining=None, reset=None)
        self._answers = threading.local()  # .server_time: of this thread's latest answer
        # Optional _coordination.gate.RequestGate: takes each request's turn (a budget shared with other
        # processes) and learns from each answer. None: this client paces itself alone.
        self.gate = None

    @property
    def server_time(self):
        """The server's time (epoch seconds, its Date header) of this thread's latest answer, or None. Read it
        through reading.own_read, which stamps a read with it."""
        return getattr(self._answers, 'server_time', None)

    def _configure_session(self, token, user_agent):
        session = self._session
        session.auth = _BearerAuth(token, self.origin)
        if self.origin and self.origin[0] == 'http':
            # Plain http: a proxy from the environment would read the token in clear. trust_env off
            # also keeps .netrc out (session.auth already does, for https too).
            session.trust_env = False
            session.proxies = {}
        session.headers.update({
            'Content-Type': 'application/json',
            'Accept': 'application/json',
            'Accept-Encoding': 'gzip, deflate',
            'User-Agent': user_agent or 'oceanops.droplets/%s' % COLLECTION_VERSION,
        })

    # -- public calls -------------------------------------------------------------------------
    def get(self, path, params=None, expect=None):
        """GET ``path``; the decoded body, or ``body[expect]`` when ``expect`` is given.

        ``expect`` names the key the caller relies on: ``'droplet'``, ``'action'``, ``'image'``
        must be objects with an ``id``; other singular keys (``'policy'``) objects; plural keys
        (``'actions'``, ``'droplets'``) lists of objects (with ids where http_body.LISTS_WITH_ID
        says so). A body of another shape is unreadable: retried like a 5xx, then a
        DigitalOceanAPIError.
        """
        return self._call('GET', path, params=params, expect=expect)

    def post(self, path, body, params=None, expect=None):
        """POST ``body`` to ``path``; like get(). A 2xx of the wrong shape for ``expect`` raises a
        DigitalOceanAPIError with ``outcome_unknown`` (the API may have acted), never retried here."""
        return self._call('POST', path, params=params, body=body, expect=expect)

    def delete(self, path, params=None):
        return self._call('DELETE', path, params=params)

    def paginate(self, path, key, params=None, limit=None, on_page=None):
        """Yield the items under ``key`` from every page, following links.pages.next.

        ``on_page(data)`` sees each page's whole body (``meta``, ``links``) before its items are yielded.

        A next link is resolved as a URL against api_url and followed only when it has api_url's
        origin and a path under /v2/. The same page twice, more pages than meta.total allows,
        more than MAX_PAGES pages, the deadline passing, or a page that stops making sense
        (page_sense: empty yet linking on, only repeats, a leaping meta.total), end the listing with an error.
        """
        query = dict(params or {})
        query.setdefault('per_page', MAX_PAGE_SIZE)
        guard = _PageGuard(self, path, query)
        yielded = 0
        while path:
            data = self._call('GET', path, params=query, expect=key, whole=True)
            guard.check(data, key)
            if on_page is not None:
                on_page(data)
            for item in data[key]:
                yield item
                yielded += 1
                if limit is not None and yielded >= limit:
                    return
            path, query = guard.next_page(data, key)

    def deadline_passed(self):
        return self.deadline is not None and self._clock() >= self.deadline

    # -- machinery ----------------------------------------------------------------------------
    def _call(self, method, path, params=None, body=None, expect=None, whole=False):
        try:
            data = self._retrying(method, path, params, body, expect)
        except DigitalOceanAPIError as error:
            raise error.redact(self.redact)
        return data[expect] if expect and not whole else data

    def _retrying(self, method, path, params, body, expect):
        attempt = failures = 0
        while True:
            outcome, value, delay = self._paced_attempt(method, path, params, body, expect)
            if outcome is _OK:
                return value
            if outcome is _FAIL:
                raise value
            attempt += 1
            rate_limited = value.status == 429
            # A 429 means the API did not act: within a deadline it is retried until the deadline,
            # since forks sharing one token may meet the burst limit many times in a row. So there it
            # does not count against the attempts other failures get.
            if not (rate_limited and self.deadline is not None):
                failures += 1
            if failures >= self.max_attempts:
                raise value
            if rate_limited and self.gate is not None:  # longer after 429s in a row
                delay = self.gate.retry_delay(delay)
            elif delay is None:
                delay = backoff_delay(attempt - 1, self._rng)
            else:
                delay = jittered_server_delay(delay, self._rng)
            if self.deadline is not None and self._clock() + delay > self.deadline:
                value.message += (' (not retried: waiting %.1f s more would pass the task deadline set by '
                                  'wait_timeout)' % delay)
                raise value
            with self._lock:
                self.stats['retries'] += 1
                if rate_limited:
                    # The wait below is the one the server asked for; the quota numbers of the 429
                    # (remaining 0) are stale after it and must not pace the retry a second time.
                    self.rate_limit['remaining'] = None
            self._sleep(delay)

    def _paced_attempt(self, method, path, params, body, expect):
        """One attempt after its pacing and its turn in the token's shared budget: what _attempt returns."""
        self._pace(method, path)
        if self.gate is None:
            return self._attempt(method, path, params, body, expect)
        self.gate.before_request(self.deadline)
        try:
            return self._attempt(method, path, params, body, expect)
        finally:
            self.gate.request_ended()

    def _attempt(self, method, path, params, body, expect):
        """One HTTP exchange: (_OK, decoded body, None), (_RETRY, error, delay) or (_FAIL, error, None)."""
        # A POST whose fate is unknown is never repeated here: the caller reconciles first.
        unsafe = _FAIL if method == 'POST' else _RETRY
        self._count(method, path)
        try:
            response, content = self._exchange(method, path, params, body)
        # What an exchange may raise short of a bug: its body, requests, urllib3 and the socket, or a
        # value (URL, header) that http.client or urllib3 refused.
        except (BodyError, requests.exceptions.RequestException, Urllib3Error, HTTPException, OSError, ValueError,
                OverflowError) as exc:
            return self._transport_failure(method, path, exc, unsafe)
        self._note_headers(response.headers)
        status = response.status_code
        if self.gate is not None:  # 429s and ratelimit-remaining teach the poll schedule
            self.gate.observe(status, response.headers)
        if 300 <= status < 400:
            return _FAIL, self._redirect_error(method, path, response), None
        if status == 429:
            with self._lock:
                self.stats['rate_limited'] += 1
            return _RETRY, error_from_response(method, path, response, content), server_requested_delay(response.headers)
        if status >= 500:
            return unsafe, error_from_response(method, path, response, content, outcome_unknown=True), None
        if status >= 400 or status < 200:
            return _FAIL, error_from_response(method, path, response, content), None
        try:
            return _OK, self._decoded(response, content, expect), None
        except BodyError as unreadable:
            error = DigitalOceanAPIError(
                'DigitalOcean API returned HTTP %s for %s %s with a body that cannot be used: it %s'
                % (status, method, path, unreadable.reason), status=status, method=method, path=path,
                request_id=response.headers.get('x-request-id'), outcome_unknown=True)
            return unsafe, error, None

    @staticmethod
    def _decoded(response, content, expect):
        if not content or response.status_code == 204:
            if expect:
                raise BodyError('is empty, where an object with %r was expected' % expect)
            return {}
        data = decode_json(content, response.headers.get('Content-Type'))
        if expect:
            checked(data, expect)
        return data

    def _exchange(self, method, path, params, body):
        """(response, body bytes) of one request, all of it within ``timeout`` seconds.

        The exchange runs in a thread so that a server dribbling its headers or body cannot hold
        the task: past ``timeout`` (plus a short grace) the thread is abandoned.
        """
        box = {}

        def run():
            try:
                box['value'] = self._send_and_read(method, path, params, body)
            except BaseException as exc:  # pylint: disable=broad-except
                box['error'] = exc

        worker = threading.Thread(target=run, name='oceanops-request', daemon=True)
        worker.start()
        worker.join(self.timeout + ABANDON_GRACE_SECONDS)
        if worker.is_alive():
            raise BodyError('did not arrive in time', late=True)
        if 'error' in box:
            raise box['error']
        return box['value']

    def _send_and_read(self, method, path, params, body):
        deadline = self._clock() + self.timeout
        response = self._session.request(method, self.base_url + path, params=params, json=body,
                                         timeout=(self.timeout, self.timeout), verify=self.validate_certs,
                                         allow_redirects=False, stream=True)
        try:
            return response, read_body(response, deadline, self._clock)
        finally:
            response.close()

    def _transport_failure(self, method, path, exc, unsafe):
        """(outcome, error, None) for an exchange that raised instead of answering."""
        where = '%s %s' % (method, path)
        if isinstance(exc, BodyError):
            if exc.late:
                text = 'The DigitalOcean API did not send the whole response to %s within %s s' % (where, self.timeout)
                return unsafe, DigitalOceanAPIError(text, method=method, path=path, outcome_unknown=True), None
            text = 'The DigitalOcean API response to %s cannot be used: its body %s' % (where, exc.reason)
            return _FAIL, DigitalOceanAPIError(text, method=method, path=path, outcome_unknown=method == 'POST'), None
        cause = _not_sent_cause(exc)
        if cause:
            text = 'Request %s was not sent: %s (%s)' % (where, cause, _short(exc))
            return _FAIL, DigitalOceanAPIError(text, method=method, path=path), None
        if isinstance(exc, requests.exceptions.ConnectionError):
            not_sent = _certainly_not_sent(exc)
            text = 'Could not reach the DigitalOcean API for %s: %s' % (where, _short(exc))
            failed = DigitalOceanAPIError(text, method=method, path=path, outcome_unknown=not not_sent)
            return (_RETRY if not_sent else unsafe), failed, None
        if isinstance(exc, (requests.exceptions.Timeout, ReadTimeoutError)):
            text = 'The DigitalOcean API did not answer %s within %s s' % (where, self.timeout)
            return unsafe, DigitalOceanAPIError(text, method=method, path=path, outcome_unknown=True), None
        if isinstance(exc, (requests.exceptions.RequestException, Urllib3Error, OSError)):
            text = 'Request %s failed: %s' % (where, _short(exc))
            return unsafe, DigitalOceanAPIError(text, method=method, path=path, outcome_unknown=True), None
        text = 'Request %s failed: %s: %s' % (where, type(exc).__name__, _short(exc))
        return _FAIL, DigitalOceanAPIError(text, method=method, path=path, outcome_unknown=method == 'POST'), None

    def _redirect_error(self, method, path, response):
        target = origin_of(urljoin(self.base_url + path, response.headers.get('Location') or ''))
        return DigitalOceanAPIError(
            'DigitalOcean API answered HTTP %s for %s %s with a redirect to %s: redirects are never followed, '
            'the token and the request stay with api_url' % (response.status_code, method, path, show_origin(target)),
            status=response.status_code, method=method, path=path, request_id=response.headers.get('x-request-id'))

    def _count(self, method, path):
        with self._lock:
            self.stats['requests'] += 1
            key = '%s %s' % (method, path)
            self.requests_by_endpoint[key] = self.requests_by_endpoint.get(key, 0) + 1

    def _note_headers(self, headers):
        with self._lock:
            for name in ('limit', 'remaining', 'reset'):
                value = headers.get('ratelimit-%s' % name)
                if value is not None and str(value).isdigit():
                    self.rate_limit[name] = int(value)
            date = headers.get('Date')
            if date:
                try:
                    self._answers.server_time = parsedate_to_datetime(date).timestamp()
                except (TypeError, ValueError, IndexError, OverflowError):
                    pass

    def _pace(self, method, path):
        """Spread requests out when the hourly quota is nearly spent, instead of running into 429s."""
        with self._lock:
            remaining, reset_at = self.rate_limit['remaining'], self.rate_limit['reset']
        if remaining is None or reset_at is None or remaining >= PACE_BELOW_REMAINING:
            return
        delay = min(PACE_MAX_SECONDS, max(0.0, reset_at - time.time()) / max(remaining, 1))
        if delay <= 0:
            return
        if self.deadline is not None and self._clock() + delay > self.deadline:
            raise DeadlineExceeded(
                'Stopped before %s %s: waiting for the rate-limit reset (%s requests left in the hourly quota, '
                'reset in %.0f s) would need %.1f s more, past the task deadline set by wait_timeout'
                % (method, path, remaining, max(0.0, reset_at - time.time()), delay), method=method, path=path)
        self._sleep(delay)


# Outcomes of one attempt.
_OK, _RETRY, _FAIL = 'ok', 'retry', 'fail'


class _PageGuard:
    """Decides the next page of a listing, or why there must be none."""

    def __init__(self, client, path, query):
        self.client = client
        self.first_path = path
        self.seen = set([_page_key(path, query)])
        self.sense = PageSense()
        self.pages = 0
        self.page_size = None
        self.total = None

    def fail(self, why, cls=DigitalOceanAPIError):
        error = cls('Stopped reading GET %s after %d pages: %s' % (self.first_path, self.pages, why),
                    method='GET', path=self.first_path)
        return error.redact(self.client.redact)

    def check(self, data, key):
        """Count the page; DigitalOceanAPIError if it stopped making sense (its items are not read)."""
        self.pages += 1
        nonsense = self.sense.check(data, key)
        if nonsense:
            raise self.fail(nonsense)

    def next_page(self, data, key):
        """(path, query) of the next page, or (None, None) at the end; DigitalOceanAPIError if it must not be read."""
        self._note_total(data, key)
        link = next_link(data)
        if not link:
            return None, None
        if not isinstance(link, str):
            raise self.fail('links.pages.next is not a URL')
        path, query = self._resolved(link)
        if _page_key(path, query) in self.seen:
            raise self.fail('the API linked to a page it had already sent')
        self.seen.add(_page_key(path, query))
        self._check_count()
        if self.client.deadline_passed():
            raise self.fail('the task deadline set by wait_timeout passed while the API kept linking to more pages',
                            DeadlineExceeded)
        return path, query

    def _resolved(self, link):
        target = urljoin(self.client.base_url + '/', link)
        parts = urlsplit(target)
        segments = requests.utils.unquote(parts.path).split('/')
        if origin_of(target) != self.client.origin:
            raise self.fail('links.pages.next points to %s, not to api_url; it is not followed'
                            % show_origin(origin_of(target)))
        if not parts.path.startswith('/v2/') or '..' in segments or '.' in segments:
            raise self.fail('links.pages.next points outside /v2/ on api_url; it is not followed')
        return parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))

    def _note_total(self, data, key):
        if self.page_size is None:
            self.page_size = len(data[key])
        total = meta_total(data)
        if total is not None:
            self.total = max(self.total or 0, total)

    def _check_count(self):
        if self.pages >= MAX_PAGES:
            raise self.fail('more than %d pages' % MAX_PAGES)
        if self.total is not None:
            allowed = max(1, -(-self.total // max(self.page_size, 1)))
            if self.pages >= allowed:
                raise self.fail('meta.total says %d items, %d pages at %d a page, yet the API links to another page'
                                % (self.total, allowed, self.page_size))


def _page_key(path, query):
    return path, tuple(sorted((str(name), str(value)) for name, value in (query or {}).items()))
