"""Validate one recorded API exchange (request and response) against the spec."""

import json

from openapi_core.testing import MockRequest, MockResponse

BASE = 'http://127.0.0.1:8080'


def validate_exchange(api, entry):
    body = entry.get('request_body')
    request = MockRequest(
        BASE, entry['method'].lower(), entry['path'], args=dict(entry.get('query') or {}),
        headers={'Authorization': 'Bearer contract-test', 'Content-Type': 'application/json'},
        data=json.dumps(body).encode() if body is not None else None, content_type='application/json')
    api.validate_request(request)
    response_body = entry.get('response_body')
    response = MockResponse(json.dumps(response_body).encode() if response_body is not None else b'',
                            status_code=entry['status'], content_type='application/json',
                            headers=dict(entry.get('response_headers') or {}))
    api.validate_response(request, response)


def explain(error):
    """The schema errors behind an openapi-core exception, short enough to read."""
    cause = error.__cause__ or error
    details = []
    for schema_error in getattr(cause, 'schema_errors', None) or []:
        where = '/'.join(str(part) for part in schema_error.path)
        details.append('%s at %s' % (str(schema_error.message)[:160], where or '(root)'))
    return '; '.join(details[:5]) or str(error)[:300]
