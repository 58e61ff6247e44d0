"""Fixtures and the invariants every hostile-ground test checks after running the real module."""

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from hostile_api import HostileAPI
from module_call import TOKEN, run

HERE = os.path.dirname(os.path.abspath(__file__))
# The task must end within wait_timeout + timeout + this, whatever the API does (issue 11).
BUDGET_SLACK_SECONDS = 5.0
MIB = 1024 * 1024


@pytest.fixture
def api():
    running = HostileAPI()
    yield running
    running.close()


@pytest.fixture
def trap():
    """Another origin (127.0.0.2): nothing may ever arrive here."""
    running = HostileAPI(host='127.0.0.2')
    yield running
    running.close()


def budget(args):
    return args.get('wait_timeout', 600) + args.get('timeout', 30) + BUDGET_SLACK_SECONDS


def assert_clean(result, token=TOKEN):
    """No form of the token anywhere in the result, and no traceback in the message."""
    text = json.dumps(result)
    assert token not in text and token.strip() not in text, 'the token leaked'
    assert token.strip()[7:23] not in text, 'part of the token leaked'
    assert 'Traceback' not in result.get('msg', '')


def run_checked(api, module='droplet_action', **args):
    """Run the real module in-process; check the invariants; (failed, result, seconds)."""
    args.setdefault('timeout', 2)
    args.setdefault('wait_timeout', 3)
    started = time.monotonic()
    failed, result = run(api, module=module, **args)
    seconds = time.monotonic() - started
    assert_clean(result, args.get('api_token', TOKEN))
    assert seconds <= budget(args), 'took %.1f s, budget %.1f s: %s' % (seconds, budget(args), result.get('msg'))
    for request in api.requests:
        assert request.headers.get('Authorization') == 'Bearer ' + TOKEN
        assert request.arrived_on == '%s:%d' % (api.host, api.port)
    return failed, result, seconds


# The child's own peak: VmHWM of its memory map. ru_maxrss is no good here: Linux carries the
# parent's high-water mark across the vfork+exec that starts the child (pytest holds ~150 MB).
CHILD = textwrap.dedent('''
    import json, resource, sys, time
    sys.path.insert(0, %(here)r)
    from module_call import run

    def peak_kib():
        try:
            with open('/proc/self/status') as status:
                return int([line for line in status if line.startswith('VmHWM:')][0].split()[1])
        except (OSError, IndexError, ValueError):
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    class Target:
        base = %(base)r

    started = time.monotonic()
    failed, result = run(Target, module=%(module)r, **json.loads(%(args)r))
    print(json.dumps(dict(failed=failed, result=result, seconds=time.monotonic() - started,
                          peak_kib=peak_kib())))
''')


def run_in_subprocess(api, module='droplet_action', **args):
    """Run the module in a fresh Python, for its own peak memory; (failed, result, seconds, peak MiB)."""
    args.setdefault('timeout', 2)
    args.setdefault('wait_timeout', 3)
    code = CHILD % dict(here=HERE, base=api.base, module=module, args=json.dumps(args))
    completed = subprocess.run([sys.executable, '-c', code], capture_output=True, timeout=budget(args) + 30,
                               check=False, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    output = completed.stdout + completed.stderr
    assert TOKEN.encode() not in output
    assert completed.returncode == 0, output.decode(errors='replace')[-3000:]
    report = json.loads(completed.stdout.decode().strip().splitlines()[-1])
    assert_clean(report['result'])
    assert report['seconds'] <= budget(args)
    return report['failed'], report['result'], report['seconds'], report['peak_kib'] / 1024.0
