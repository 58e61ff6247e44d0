"""The few direct API calls the live suite makes itself (sizes, create, list, delete by tag), with urllib.

They go through the recording proxy like the modules' requests, so the record holds the whole run.
"""

import json
import time
import urllib.error
import urllib.request
from urllib.parse import quote, urlencode


class ApiError(Exception):
    def __init__(self, method, path, status, body):
        message = body.get('message') if isinstance(body, dict) else None
        super().__init__('%s %s answered %s: %s' % (method, path, status, message or 'no message'))
        self.status = status


class Api:
    def __init__(self, base_url, token, timeout=60):
        self.base_url = base_url.rstrip('/')
        self.token = token
        self.timeout = timeout
        # No environment proxies: the request goes to base_url (the recording proxy) and nowhere else.
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, method, path, query=None, body=None, expect=(200,)):
        url = self.base_url + path + ('?' + urlencode(query) if query else '')
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header('Authorization', 'Bearer %s' % self.token)
        request.add_header('User-Agent', 'oceanops-live-suite')
        if data is not None:
            request.add_header('Content-Type', 'application/json')
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        answer = json.loads(raw) if raw.strip() else None
        if status not in expect:
            raise ApiError(method, path, status, answer)
        return status, answer

    def smallest_size(self, region):
        """The cheapest available size offered in ``region`` (the API's own price_hourly and price_monthly)."""
        unused, body = self.call('GET', '/v2/sizes', {'per_page': 200})
        offered = [size for size in body['sizes'] if size.get('available') and region in size.get('regions', [])]
        if not offered:
            raise RuntimeError('no available size in region %s' % region)
        return min(offered, key=lambda size: (size['price_hourly'], size['memory']))

    def tagged(self, tag):
        unused, body = self.call('GET', '/v2/droplets', {'tag_name': tag, 'per_page': 200})
        return body['droplets']

    def wait_tagged(self, tag, done, timeout, interval, what):
        """Poll the tag's Droplets until ``done(droplets)``; the last list read."""
        deadline = time.monotonic() + timeout
        while True:
            droplets = self.tagged(tag)
            if done(droplets):
                return droplets
            if time.monotonic() > deadline:
                raise RuntimeError('timed out after %d s waiting for %s' % (timeout, what))
            time.sleep(interval)

    def delete_tagged(self, tag):
        """DELETE /v2/droplets?tag_name=; a 404 means the tag no longer exists (nothing left)."""
        status, unused = self.call('DELETE', '/v2/droplets', {'tag_name': tag}, expect=(204, 404))
        return status

    def delete_tag(self, tag):
        status, unused = self.call('DELETE', '/v2/tags/%s' % quote(tag, safe=''), expect=(204, 404))
        return status
