"""Fault injection: scripted faults matched by method and path, and seeded random ones.

HTTP faults change what the client gets back (status, reset_before, reset_after, delay, truncate,
non_json). Action faults (action_error, action_stuck) change how an action that the request
creates ends; scripted ones are kept by the store (see control.add_faults).
"""

import random
import re

from simulator.common import known_keys

HTTP_KINDS = ('status', 'reset_before', 'reset_after', 'delay', 'truncate', 'non_json')
ACTION_KINDS = ('action_error', 'action_stuck')
KINDS = HTTP_KINDS + ACTION_KINDS
RANDOM_STATUSES = (500, 502, 503, 504)
FAULT_KEYS = ('kind', 'method', 'path', 'status', 'retry_after', 'delay', 'times', 'after', 'droplet_id', 'type')


def check(fault):
    """A copy of a scripted fault with defaults, or ValueError naming what is wrong."""
    if fault.get('kind') not in KINDS:
        raise ValueError('fault kind must be one of %s, not %r' % (', '.join(KINDS), fault.get('kind')))
    known_keys('fault', fault, FAULT_KEYS)
    checked = dict(fault)
    checked['times'] = int(fault.get('times', 1))   # negative: every matching request
    checked['after'] = int(fault.get('after', 0))   # let this many matching requests through first
    if 'path' in fault:
        re.compile(fault['path'])
    return checked


class Faults:
    def __init__(self, rate=0.0, seed=None, kinds=HTTP_KINDS):
        self.scripted = []
        self.configure_random(rate, seed, kinds)

    def configure_random(self, rate, seed=None, kinds=HTTP_KINDS):
        for kind in kinds:
            if kind not in KINDS:
                raise ValueError('unknown fault kind %r' % kind)
        self.rate = float(rate)
        self.rng = random.Random(seed)
        self.kinds = list(kinds)

    def pick(self, method, path):
        """The fault for this request, or None. Random faults draw the same way for every request."""
        for fault in self.scripted:
            if fault.get('method', method).upper() != method or not re.search(fault.get('path', ''), path):
                continue
            if fault['after'] > 0:
                fault['after'] -= 1
                continue
            if fault['times'] == 0:
                continue
            fault['times'] -= 1
            return fault
        if self.rate and self.rng.random() < self.rate:
            kind = self.rng.choice(self.kinds)
            return {'kind': kind, 'status': self.rng.choice(RANDOM_STATUSES), 'delay': round(self.rng.uniform(0.1, 1.0), 2),
                    'random': True}
        return None
