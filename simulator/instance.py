"""One running simulator's state (store, tokens, limiter, faults, traffic) and the API's error bodies.

The HTTP plumbing (server.py) reaches it through ``server.sim``; the control API resets and tunes it.
"""

from simulator.faults import Faults
from simulator.ratelimit import RateLimiter
from simulator.state import Config, Store
from simulator.traffic import Traffic

ERROR_IDS = {400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 422: 'unprocessable_entity',
             429: 'too_many_requests', 500: 'server_error', 502: 'bad_gateway', 503: 'service_unavailable',
             504: 'gateway_timeout'}
ERROR_MESSAGES = {401: 'Unable to authenticate you', 404: 'The resource you were accessing could not be found.',
                  429: 'API Rate limit exceeded.', 500: 'Unexpected server-side error',
                  502: 'Bad gateway: the server received an invalid response.',
                  503: 'The service is temporarily unavailable. Please try again later.',
                  504: 'Gateway timeout: the server did not answer in time.'}
# The request-headers table of the API docs marks Content-Type "application/json" as required for a body.
# The API's own answer without it is not documented (no evidence): a 400 naming the header is ours.
CONTENT_TYPE_MESSAGE = 'Content-Type must be application/json for a request with a body.'
HTML_502 = (b'<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1>'
            b'<p>The upstream server sent an invalid answer.</p></body></html>\n')


class Simulator:
    """Everything one running simulator holds; request handlers reach it through ``server.sim``."""

    def __init__(self, store, tokens=(), per_minute=250, per_hour=5000, record_path=None, fault_rate=0.0,
                 fault_seed=None, quiet=True, rate_limit_mode='lenient'):
        self.store = store
        self.lock = store.lock
        self.cli_tokens = set(tokens)
        self.tokens = set(tokens)
        self.revoked = set()
        self.limits = (per_minute, per_hour, rate_limit_mode)
        self.limiter = RateLimiter(per_minute, per_hour, clock=store.clock, mode=rate_limit_mode)
        self.random_faults = (fault_rate, fault_seed)
        self.faults = Faults(fault_rate, fault_seed)
        self.traffic = Traffic(record_path)
        self.defaults = {'action_seconds': store.config.action_seconds['default'], 'status_lag': store.config.status_lag,
                         'tag_busy': store.config.tag_busy, 'strict_validation': store.config.strict_validation}
        self.quiet = quiet

    def token(self, header):
        """The bearer token if it is accepted, else None."""
        scheme, unused, token = (header or '').partition(' ')
        token = token.strip()
        if scheme.lower() != 'bearer' or not token or token in self.revoked:
            return None
        return token if not self.tokens or token in self.tokens else None

    def reset(self):
        """Back to the start: no Droplets, actions, log, faults; settings from the command line."""
        fresh = Store(Config(self.defaults['action_seconds'], self.defaults['status_lag']), clock=self.store.clock)
        fresh.config.tag_busy = self.defaults['tag_busy']
        fresh.config.strict_validation = self.defaults['strict_validation']
        fresh.lock = self.lock
        self.store = fresh
        self.traffic.clear()
        self.faults = Faults(*self.random_faults)
        self.limiter = RateLimiter(self.limits[0], self.limits[1], clock=fresh.clock, mode=self.limits[2])
        self.tokens = set(self.cli_tokens)
        self.revoked.clear()


def is_json_media_type(header):
    """Whether a Content-Type header names application/json (parameters such as charset allowed)."""
    return (header or '').split(';')[0].strip().lower() == 'application/json'


def error_body(status, request_id, message=None, error_id=None):
    return {'id': error_id or ERROR_IDS.get(status, 'error'), 'message': message or ERROR_MESSAGES.get(status, 'Error'),
            'request_id': request_id}
