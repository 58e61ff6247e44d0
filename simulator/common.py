"""Small things every module uses: the API error, timestamps, and stripping private keys."""

import time


class ApiError(Exception):
    """An error answer: status, DigitalOcean's error ``id`` and ``message``, extra headers."""

    def __init__(self, status, error_id, message, headers=None, body=None):
        super(ApiError, self).__init__(message)
        self.status = status
        self.error_id = error_id
        self.message = message
        self.headers = headers or {}
        self.body = body  # extra body keys, for the few endpoints whose error schema differs


def refuse(message):
    """The API's 422: the request was understood but cannot be carried out."""
    return ApiError(422, 'unprocessable_entity', message)


def bad_request(message):
    return ApiError(400, 'bad_request', message)


def not_found():
    return ApiError(404, 'not_found', 'The resource you were accessing could not be found.')


def stamp(epoch):
    """ISO 8601 in UTC with a Z, to the second, as the API writes times."""
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(epoch))


def public(record):
    """A stored object without the simulator's private keys (those starting with '_')."""
    return dict((key, value) for key, value in record.items() if not key.startswith('_'))


def known_keys(what, body, allowed):
    """Refuse control keys we do not know: a misspelt one would leave a test without what it asked for."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ValueError('%s: unknown key(s) %s; known: %s' % (what, ', '.join(unknown), ', '.join(sorted(allowed))))
    return body
