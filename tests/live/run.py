"""make test-live / make live-cleanup: the opt-in run of the collection on the real DigitalOcean API.

    run.py run --collections DIR --record-dir DIR      (needs DIGITALOCEAN_TOKEN and OCEANOPS_LIVE=yes)
    run.py cleanup --tag oceanops-live-XXXX --record-dir DIR

Environment: OCEANOPS_LIVE_UPSTREAM (default https://api.digitalocean.com; the dry-path test points it
at a simulator on 127.0.0.1), OCEANOPS_LIVE_REGION (nyc3), OCEANOPS_LIVE_IMAGE (ubuntu-24-04-x64),
OCEANOPS_LIVE_POLL (seconds between polls, 5). Everything goes through a recording proxy on
127.0.0.1 that redacts the token and IP addresses; the Droplets are deleted by their run tag at the end,
whatever happened.
"""

import argparse
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from live_api import Api, ApiError  # noqa: E402  pylint: disable=wrong-import-position
from recording_proxy import RecordingProxy  # noqa: E402  pylint: disable=wrong-import-position

HERE = os.path.dirname(os.path.abspath(__file__))
DROPLET_COUNT = 3  # the tag cycle needs more than one; the issue allows at most three
TAG_PATTERN = re.compile(r'^oceanops-live-[0-9a-f]{8}$')
CREATE_TIMEOUT = 600
DELETE_TIMEOUT = 300
FAIL_POINTS = ('', 'create', 'act')


def gate(environ):
    """Why the live suite must not run, or None when both opt-ins are set."""
    missing = []
    if not environ.get('DIGITALOCEAN_TOKEN'):
        missing.append('DIGITALOCEAN_TOKEN is not set')
    if environ.get('OCEANOPS_LIVE') != 'yes':
        missing.append('OCEANOPS_LIVE is not "yes"')
    if not missing:
        return None
    return ('the live suite creates real, billed Droplets and runs only when asked: %s. Set both '
            '(export DIGITALOCEAN_TOKEN=... OCEANOPS_LIVE=yes) to run it; nothing was sent.' % ' and '.join(missing))


def settings(environ):
    return dict(upstream=environ.get('OCEANOPS_LIVE_UPSTREAM', 'https://api.digitalocean.com'),
                region=environ.get('OCEANOPS_LIVE_REGION', 'nyc3'),
                image=environ.get('OCEANOPS_LIVE_IMAGE', 'ubuntu-24-04-x64'),
                poll=float(environ.get('OCEANOPS_LIVE_POLL', '5')))


def say(text):
    print('== live: %s' % text, flush=True)


def announce(tag, size, conf):
    """Print what the run creates and what it costs, before anything is created."""
    hourly = float(size['price_hourly'])
    say('upstream %s, run tag %s' % (conf['upstream'], tag))
    say('will create %d Droplets: size %s (%s MiB, %s vCPU, the cheapest available in %s), image %s, tag %s'
        % (DROPLET_COUNT, size['slug'], size.get('memory'), size.get('vcpus'), conf['region'], conf['image'], tag))
    say('cost: %s USD/hour each (price_hourly from GET /v2/sizes), at most %.5f USD per started hour for all %d '
        '(they exist only while the run lasts)' % (size['price_hourly'], hourly * DROPLET_COUNT, DROPLET_COUNT))
    say('if this run is killed, delete what it left with: make live-cleanup TAG=%s' % tag)


def create(api, tag, size, conf):
    names = ['%s-%d' % (tag, number + 1) for number in range(DROPLET_COUNT)]
    api.call('POST', '/v2/droplets', body={'names': names, 'region': conf['region'], 'size': size['slug'],
                                           'image': conf['image'], 'tags': [tag]}, expect=(202,))
    droplets = api.wait_tagged(tag, lambda found: len(found) == DROPLET_COUNT and all(
        droplet['status'] == 'active' for droplet in found), CREATE_TIMEOUT, conf['poll'], 'the Droplets to be active')
    say('created %s' % ', '.join('%s (%d)' % (d['name'], d['id']) for d in droplets))
    return sorted(({'id': d['id'], 'name': d['name']} for d in droplets), key=lambda d: d['name'])


def run_cycles(proxy_url, collections, tag, droplets, fail_at):
    env = dict(os.environ, DIGITALOCEAN_API_URL=proxy_url, ANSIBLE_COLLECTIONS_PATH=collections,
               ANSIBLE_HOST_KEY_CHECKING='False', ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='False')
    extra = {'live_tag': tag, 'live_droplets': droplets, 'live_fail_at': fail_at,
             'ansible_python_interpreter': sys.executable}
    command = ['ansible-playbook', '-i', 'localhost,', '-c', 'local', os.path.join(HERE, 'cycles.yml'),
               '-e', json.dumps(extra)]
    say('running the check, act, idempotent and tag cycles (tests/live/cycles.yml)')
    playbook = subprocess.Popen(command, env=env)  # pylint: disable=consider-using-with
    try:
        status = playbook.wait()
    finally:
        if playbook.poll() is None:  # interrupted: stop it before the cleanup deletes its Droplets
            playbook.terminate()
            playbook.wait(30)
    if status != 0:
        raise RuntimeError('the cycles playbook failed')


def clean(api, tag, poll):
    """Delete every Droplet with the run tag and wait until none is listed; True when none is left."""
    say('deleting every Droplet tagged %s (DELETE /v2/droplets?tag_name=%s)' % (tag, tag))
    try:
        if api.delete_tagged(tag) == 404:
            say('the tag does not exist: nothing to delete')
            return True
        api.wait_tagged(tag, lambda found: not found, DELETE_TIMEOUT, poll, 'the Droplets to be gone')
    except Exception as error:  # pylint: disable=broad-except
        say('CLEANUP FAILED (%s): run make live-cleanup TAG=%s, and check the control panel' % (error, tag))
        return False
    say('nothing tagged %s is left' % tag)
    try:
        api.delete_tag(tag)  # an empty tag costs nothing: failing to delete it is not a failed cleanup
    except Exception as error:  # pylint: disable=broad-except
        say('the empty tag %s was not deleted (%s)' % (tag, error))
    return True


def run(args, environ):
    conf = settings(environ)
    tag = 'oceanops-live-%s' % secrets.token_hex(4)
    record = os.path.join(args.record_dir, '%s.jsonl' % tag)
    os.makedirs(args.record_dir, exist_ok=True)
    token = environ['DIGITALOCEAN_TOKEN']
    with RecordingProxy(conf['upstream'], record, secrets=[token], meta={'run_tag': tag}) as proxy:
        api = Api(proxy.url, token)
        size = api.smallest_size(conf['region'])
        announce(tag, size, conf)
        failure = None
        try:
            droplets = create(api, tag, size, conf)
            if args.fail_at == 'create':
                raise RuntimeError('injected failure after create')
            run_cycles(proxy.url, args.collections, tag, droplets, args.fail_at)
        except (Exception, KeyboardInterrupt) as error:  # pylint: disable=broad-except
            failure = error
            say('FAILED: %s' % error)
        finally:
            cleaned = clean(api, tag, conf['poll'])
    say('recorded %s (token and addresses redacted); replay it with: make conformance RECORD=%s' % (record, record))
    if failure is not None or not cleaned:
        return 1
    say('passed')
    return 0


def cleanup(args, environ):
    if not TAG_PATTERN.match(args.tag):
        say('refusing to delete by tag %r: only tags made by the live suite (oceanops-live-<8 hex digits>)' % args.tag)
        return 2
    conf = settings(environ)
    os.makedirs(args.record_dir, exist_ok=True)
    record = os.path.join(args.record_dir, '%s-cleanup.jsonl' % args.tag)
    token = environ['DIGITALOCEAN_TOKEN']
    with RecordingProxy(conf['upstream'], record, secrets=[token], meta={'run_tag': args.tag, 'cleanup': True}) as proxy:
        return 0 if clean(Api(proxy.url, token), args.tag, conf['poll']) else 1


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest='command', required=True)
    live = commands.add_parser('run', help='create, run the cycles, delete')
    live.add_argument('--collections', required=True, help='collections path with the installed collection')
    live.add_argument('--record-dir', required=True)
    live.add_argument('--fail-at', choices=FAIL_POINTS, default='', help='tests only: fail on purpose at this step')
    clean_up = commands.add_parser('cleanup', help='delete what a crashed run left, by its tag')
    clean_up.add_argument('--tag', required=True)
    clean_up.add_argument('--record-dir', required=True)
    return parser.parse_args(argv)


def interrupted(*unused):
    raise KeyboardInterrupt('terminated')


def main(argv=None, environ=None):
    environ = os.environ if environ is None else environ
    args = parse_args(sys.argv[1:] if argv is None else argv)
    refused = gate(environ)
    if refused:
        print('live suite not run: %s' % refused, file=sys.stderr)
        return 2
    # A TERM (a CI job cancelled) unwinds like Ctrl-C, so the cleanup still runs.
    signal.signal(signal.SIGTERM, interrupted)
    started = time.monotonic()
    try:
        status = run(args, environ) if args.command == 'run' else cleanup(args, environ)
    except (ApiError, RuntimeError, OSError, ValueError) as error:  # nothing created yet (sizes, upstream), or cleanup
        say('stopped: %s' % error)
        status = 1
    say('took %.0f s' % (time.monotonic() - started))
    return status


if __name__ == '__main__':
    sys.exit(main())
