"""Property-based: random module parameters against random API misbehaviour, the invariants hold.

Each example starts a fresh hostile API (and a trap on another origin), scripts one misbehaviour on
a drawn endpoint, runs the real module and checks: the token is in no byte of the result, the
message holds no traceback, the task ended within wait_timeout + timeout + 5 s, nothing reached
another origin or went without the right Authorization, and at most one action was started.
HOSTILE_EXAMPLES raises the number of examples (15 keep the suite within its time budget).
"""

import os

from hypothesis import HealthCheck, given, settings, strategies as st

import hostile_api as hostile
from hostile_api import HostileAPI
from hostile_checks import run_checked
from module_call import TOKEN

EXAMPLES = int(os.environ.get('HOSTILE_EXAMPLES', '15'))

RETRY_AFTER = st.one_of(
    st.sampled_from(['0', '-1', 'NaN', 'inf', '-inf', '1e400', 'soon', '', 'Thu, 01 Jan 1970 00:00:00 GMT']),
    st.floats(min_value=-5, max_value=3, allow_nan=False).map(repr))
MALFORMED = st.one_of(
    st.sampled_from([b'', b'[]', b'null', b'{"droplet": null}', b'{"action": {}}', b'{"droplets": 5}',
                     b'{"actions": [1, 2]}', b'[' * 5000, b'\xff\xfe', b'{"id": true}']),
    st.binary(max_size=40))


def misbehaviour():
    """(description, responder factory taking the trap) pairs."""
    token_echo = hostile.answer(400, dict(id='bad_request', message='you sent %r' % ('Bearer %s\n' % TOKEN)))
    return st.one_of(
        st.tuples(st.just('redirect'), st.sampled_from([301, 302, 303, 307, 308]).map(
            lambda status: lambda trap: hostile.redirect(status, trap.base + '/v2/droplets?x=1'))),
        st.just(('foreign next', lambda trap: hostile.next_link(lambda api, request: trap.base + '/v2/droplets?page=2')),),
        st.just(('looping next', lambda trap: hostile.looping_pages())),
        st.just(('endless pages', lambda trap: hostile.endless_pages())),
        st.just(('dribbled body', lambda trap: hostile.dribbled(dict(droplet=dict(id=1)), 0.3))),
        st.just(('dribbled headers', lambda trap: hostile.dribbled_headers(0.3))),
        st.just(('gzip bomb', lambda trap: hostile.gzip_bomb(1 << 30))),
        st.tuples(st.just('429'), RETRY_AFTER.map(lambda value: lambda trap: hostile.rate_limited(value))),
        st.tuples(st.just('5xx'), st.sampled_from([500, 502, 503, 504]).map(
            lambda status: lambda trap: hostile.answer(status, dict(id='x', message='down')))),
        st.tuples(st.just('malformed'), MALFORMED.map(lambda raw: lambda trap: hostile.malformed(raw))),
        st.just(('text/html 200', lambda trap: hostile.malformed(b'{"droplet": {"id": 1}}', content_type='text/html'))),
        st.just(('token echoed', lambda trap: token_echo)),
    )


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    behaviour=misbehaviour(),
    method=st.sampled_from([None, 'GET', 'POST']),
    path=st.sampled_from(['^/v2/droplets', '^/v2/actions', '/actions$', '^/v2/']),
    times=st.sampled_from([None, 1, 2]),
    task=st.sampled_from([('droplet_action', dict(type='power_off')), ('droplet_action', dict(type='reboot')),
                          ('droplet_action', dict(type='power_on')), ('droplet_action_info', {})]),
    by_name=st.booleans(),
    token_padding=st.sampled_from(['', '\n', '\r\n', ' ']),
    timeout=st.integers(1, 2),
    wait_timeout=st.integers(1, 2),
)
def test_whatever_the_api_does_the_invariants_hold(
        behaviour, method, path, times, task, by_name, token_padding, timeout, wait_timeout):
    api, trap = HostileAPI(action_seconds=0.2), HostileAPI(host='127.0.0.2')
    try:
        droplet = api.seed(status='active' if task[1].get('type') != 'power_on' else 'off')[0]
        api.on(method, path, behaviour[1](trap), times=times)
        target = dict(droplet_name=droplet['name']) if by_name else dict(droplet_id=droplet['id'])
        args = dict(task[1], api_token=TOKEN + token_padding, timeout=timeout, wait_timeout=wait_timeout, **target)
        failed, result, seconds = run_checked(api, module=task[0], **args)
        assert trap.requests == [], behaviour[0]
        assert len(api.actions) <= 1, behaviour[0]
        if failed:
            assert result['msg'].strip(), behaviour[0]
    finally:
        api.close()
        trap.close()
