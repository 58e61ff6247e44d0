# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one DigitalOcean API client every module uses: auth, pagination, errors, retries, pacing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import threading
import time
import traceback
from email.utils import parsedate_to_datetime

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported, this keeps sanity's import test quiet
    urlsplit = None

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    from urllib3.exceptions import NewConnectionError
except ImportError:
    requests = None
    NewConnectionError = None
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.oceanops.droplets.plugins.module_utils.retry import (
    backoff_delay, jittered_server_delay, server_requested_delay)

COLLECTION_VERSION = '0.1.0'
DEFAULT_API_URL = 'https://api.digitalocean.com'
MAX_PAGE_SIZE = 200
# Below this many requests left in the hourly quota, requests are spread out until the reset.
PACE_BELOW_REMAINING = 25
PACE_MAX_SECONDS = 60.0


class DigitalOceanAPIError(Exception):
    """An API call that failed: HTTP status, the API's error id, message and request id.

    ``outcome_unknown`` is set when a POST may or may not have been carried out (a 5xx, a dropped
    connection after the request was sent, a timeout, an unreadable body): the caller must look
    before it sends the POST again.
    """

    def __init__(self, message, status=None, error_id=None, api_message=None, request_id=None,
                 method=None, path=None, outcome_unknown=False):
        super(DigitalOceanAPIError, self).__init__(message)
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


def _parse_error_body(response):
    try:
        body = response.json()
    except ValueError:
        return None, None, None
    if not isinstance(body, dict):
        return None, None, None
    return body.get('id'), body.get('message'), body.get('request_id')


def error_from_response(method, path, response, outcome_unknown=False):
    error_id, api_message, request_id = _parse_error_body(response)
    request_id = request_id or response.headers.get('x-request-id')
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


class DigitalOceanClient:
    """A thread-safe client for DigitalOcean API v2.

    GETs are retried on 429, 5xx, connection errors and unreadable bodies with jittered
    exponential backoff that honours Retry-After and ratelimit-reset. A POST is retried only when
    the server certainly did not act on it (429, connection refused); any other failure raises a
    DigitalOceanAPIError with ``outcome_unknown`` so the caller reconciles before trying again.
    """

    def __init__(self, api_url, token, timeout=30, validate_certs=True, user_agent=None, max_attempts=6,
                 session=None, sleep=time.sleep, clock=time.monotonic, rng=None):
        self.base_url = api_url.rstrip('/')
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.max_attempts = max_attempts
        self.deadline = None  # monotonic time after which no retry sleep may end
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._session = session or requests.Session()
        self._session.headers.update({
            'Authorization': 'Bearer %s' % token,
            'Content-Type': 'application/json',
            'Accept': 'application/json',
            'User-Agent': user_agent or 'oceanops.droplets/%s' % COLLECTION_VERSION,
        })
        self.stats = dict(requests=0, retries=0, rate_limited=0)
        self.requests_by_endpoint = {}
        self.rate_limit = dict(limit=None, remaining=None, reset=None)
        self.server_time = None  # epoch seconds from the Date header of the latest response
        # Optional shared_budget.Coordinator: a request budget shared with other processes, and a
        # poll schedule that learns from 429s. None: this client paces itself alone.
        self.coordinator = None

    # -- public calls -------------------------------------------------------------------------
    def get(self, path, params=None):
        return self._call('GET', path, params=params)

    def post(self, path, body, params=None):
        return self._call('POST', path, params=params, body=body)

    def delete(self, path, params=None):
        return self._call('DELETE', path, params=params)

    def paginate(self, path, key, params=None, limit=None):
        """Yield the items under ``key`` from every page, following links.pages.next.

        The next link's host is never trusted: only its path and query are sent, to our own
        api_url, so the token cannot leak to another host named in a response.
        """
        query = dict(params or {})
        query.setdefault('per_page', MAX_PAGE_SIZE)
        yielded = 0
        while path:
            data = self._call('GET', path, params=query)
            for item in data.get(key) or []:
                yield item
                yielded += 1
                if limit is not None and yielded >= limit:
                    return
            path, query = _next_page(data)

    # -- machinery ----------------------------------------------------------------------------
    def _call(self, method, path, params=None, body=None):
        attempt = 0
        while True:
            self._pace()
            if self.coordinator is not None:  # wait for this request's turn in the token's shared budget
                self.coordinator.before_request(self.deadline)
            outcome, value, delay = self._attempt(method, path, params, body)
            if outcome is _OK:
                return value
            if outcome is _FAIL:
                raise value
            attempt += 1
            rate_limited = value.status == 429
            # A 429 means the API did not act: within a deadline it is retried until the deadline,
            # since forks sharing one token may meet the burst limit many times in a row.
            if attempt >= self.max_attempts and not (rate_limited and self.deadline is not None):
                raise value
            if rate_limited and self.coordinator is not None:  # longer after 429s in a row
                delay = self.coordinator.retry_delay(delay)
            elif delay is None:
                delay = backoff_delay(attempt - 1, self._rng)
            else:
                delay = jittered_server_delay(delay, self._rng)
            if self.deadline is not None and self._clock() + delay > self.deadline:
                raise value
            with self._lock:
                self.stats['retries'] += 1
                if rate_limited:
                    # The wait below is the one the server asked for; the quota numbers of the 429
                    # (remaining 0) are stale after it and must not pace the retry a second time.
                    self.rate_limit['remaining'] = None
            self._sleep(delay)

    def _attempt(self, method, path, params, body):
        """One HTTP exchange: (_OK, decoded body, None), (_RETRY, error, delay) or (_FAIL, error, None)."""
        # A POST whose fate is unknown is never repeated here: the caller reconciles first.
        unsafe = _FAIL if method == 'POST' else _RETRY
        self._count(method, path)
        try:
            response = self._session.request(method, self.base_url + path, params=params, json=body,
                                             timeout=self.timeout, verify=self.validate_certs)
        except requests.exceptions.ConnectionError as exc:
            not_sent = _certainly_not_sent(exc)
            error = DigitalOceanAPIError('Could not reach the DigitalOcean API for %s %s: %s' % (method, path, _short(exc)),
                                         method=method, path=path, outcome_unknown=not not_sent)
            return (_RETRY if not_sent else unsafe), error, None
        except requests.exceptions.Timeout as exc:
            error = DigitalOceanAPIError('The DigitalOcean API did not answer %s %s within %s s: %s'
                                         % (method, path, self.timeout, _short(exc)),
                                         method=method, path=path, outcome_unknown=True)
            return unsafe, error, None
        except requests.exceptions.RequestException as exc:
            error = DigitalOceanAPIError('Request %s %s failed: %s' % (method, path, _short(exc)),
                                         method=method, path=path, outcome_unknown=True)
            return unsafe, error, None

        self._note_headers(response.headers)
        status = response.status_code
        if self.coordinator is not None:  # 429s and ratelimit-remaining teach the poll schedule
            self.coordinator.observe(status, response.headers)
        if status == 429:
            with self._lock:
                self.stats['rate_limited'] += 1
            return _RETRY, error_from_response(method, path, response), server_requested_delay(response.headers)
        if status >= 500:
            return unsafe, error_from_response(method, path, response, outcome_unknown=True), None
        if status >= 400:
            return _FAIL, error_from_response(method, path, response), None
        if status == 204 or not response.content:
            return _OK, {}, None
        try:
            return _OK, response.json(), None
        except ValueError:
            error = DigitalOceanAPIError('DigitalOcean API returned HTTP %s for %s %s with a body that is not JSON'
                                         % (status, method, path), status=status, method=method, path=path,
                                         request_id=response.headers.get('x-request-id'), outcome_unknown=True)
            return unsafe, error, None

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
                    self.server_time = parsedate_to_datetime(date).timestamp()
                except (TypeError, ValueError, IndexError):
                    pass

    def _pace(self):
        """Spread requests out when the hourly quota is nearly spent, instead of running into 429s."""
        with self._lock:
            remaining, reset_at = self.rate_limit['remaining'], self.rate_limit['reset']
        if remaining is None or reset_at is None or remaining >= PACE_BELOW_REMAINING:
            return
        delay = min(PACE_MAX_SECONDS, max(0.0, reset_at - time.time()) / max(remaining, 1))
        if delay > 0:
            self._sleep(delay)


# Outcomes of one attempt.
_OK, _RETRY, _FAIL = 'ok', 'retry', 'fail'


def _next_page(data):
    next_url = ((data.get('links') or {}).get('pages') or {}).get('next')
    if not next_url:
        return None, None
    parts = urlsplit(next_url)
    query = {}
    for pair in parts.query.split('&'):
        if '=' in pair:
            name, value = pair.split('=', 1)
            query[name] = requests.utils.unquote(value)
    return parts.path, query


def _short(exc):
    text = str(exc)
    return text if len(text) <= 300 else text[:300] + '...'
