"""Routing and pagination for the DigitalOcean API routes (the routes are in api_*.py).

A route is ``handler(store, request, **path_parameters) -> (status, body)``; it raises ApiError
for an error answer. Path templates are written as in the OpenAPI spec, so /_sim/stats can count
requests per template.
"""

import re
from urllib.parse import urlencode

from simulator.common import bad_request

ROUTES = []
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 20


def route(method, template):
    pattern = re.compile('^' + re.sub(r'\{(\w+)\}', r'(?P<\1>[^/]+)', template) + '$')

    def register(handler):
        ROUTES.append((method, template, pattern, handler))
        return handler
    return register


def match(method, path):
    """(template, handler, path parameters); handler is None when no route serves the request."""
    template_for_path = None
    for route_method, template, pattern, handler in ROUTES:
        found = pattern.match(path)
        if found is None:
            continue
        if route_method == method:
            return template, handler, found.groupdict()
        template_for_path = template_for_path or template
    return template_for_path or path, None, {}


class Request:
    """What a route sees of one request."""

    def __init__(self, method, path, query, base_url, body=None, forced_outcome=None, strict=True):
        self.method, self.path, self.query, self.base_url = method, path, query, base_url
        self.body = body
        self.strict = strict  # paging bounds refused as the spec has them (else clamped, the old leniency)
        self.forced_outcome = forced_outcome  # 'errored' / 'stuck' from a random action fault

    def json_body(self):
        """The JSON object sent, {} when there was no body; 400 when it is not an object."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise bad_request('The request body must be a JSON object.')
        return self.body


class NewestFirst:
    """A list of ids served newest first, sliced without copying the whole history per page."""

    def __init__(self, ids, lookup):
        self.ids, self.lookup = ids, lookup

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, window):
        total = len(self.ids)
        stop = min(window.stop, total)
        return [self.lookup(self.ids[total - 1 - index]) for index in range(window.start, stop)]


def page_window(request):
    """(page, per_page) from the query: per_page 20 by default; the spec's bounds are per_page 1..200, page >= 1.

    The API's answer out of bounds is not documented (no evidence): strict mode refuses with a 400 naming
    the parameter; lenient mode clamps, as this simulator used to.
    """
    try:
        page = int(request.query.get('page', 1))
        per_page = int(request.query.get('per_page', DEFAULT_PER_PAGE))
    except ValueError:
        raise bad_request('page and per_page must be integers.')
    if request.strict and not 1 <= per_page <= MAX_PER_PAGE:
        raise bad_request('per_page must be between 1 and %d, not %d.' % (MAX_PER_PAGE, per_page))
    if request.strict and page < 1:
        raise bad_request('page must be 1 or more, not %d.' % page)
    return max(1, page), min(MAX_PER_PAGE, max(1, per_page))


def paginate(request, key, items, render=None):
    """One page of ``items`` under ``key``, with links.pages (absolute URLs) and meta.total."""
    page, per_page = page_window(request)
    total = len(items)
    last = max(1, (total + per_page - 1) // per_page)

    def link(number):
        query = dict(request.query, page=str(number), per_page=str(per_page))
        return '%s%s?%s' % (request.base_url, request.path, urlencode(sorted(query.items())))
    pages = {}
    if page > 1:
        pages.update(first=link(1), prev=link(min(page - 1, last)))
    if page < last:
        pages.update(next=link(page + 1), last=link(last))
    start = (page - 1) * per_page
    chosen = items[start:start + per_page]
    if render is not None:
        chosen = [render(item) for item in chosen]
    return {key: chosen, 'links': {'pages': pages} if pages else {}, 'meta': {'total': total}}


def register_all():
    """Import the route modules once, so their @route decorators fill ROUTES."""
    from simulator import api_droplets, api_readonly, api_resources  # noqa: F401  pylint: disable=unused-import,import-outside-toplevel
