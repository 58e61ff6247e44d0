"""make conformance RECORD=file.jsonl: replay a recorded API session against the simulator and report.

    replay.py RECORD.jsonl --root REPO [--report report.md] [--simulator-url http://127.0.0.1:PORT]

Starts a simulator (``python3 -m simulator`` from REPO, on a free loopback port) unless one is given,
seeds the Droplets the recording uses without creating them, sends every recorded request in order
with recorded ids replaced by the simulator's, and compares each answer (see compare.py). A read whose
state is behind the recording is read again until it catches up (or --sync-timeout). Exit 0 when the
simulator conforms (tolerated differences only), 1 when it differs, 2 on bad input.
"""

import argparse
import json
import os
import re
import secrets
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import compare  # noqa: E402  pylint: disable=wrong-import-position
import report  # noqa: E402  pylint: disable=wrong-import-position
from simulator_process import SimulatorProcess  # noqa: E402  pylint: disable=wrong-import-position

PATH_IDS = (('droplet', re.compile(r'(/v2/droplets/)(\d+)')), ('action', re.compile(r'(/actions/)(\d+)')),
            ('image', re.compile(r'(/v2/(?:snapshots|images)/)(\d+)')))


def load(path):
    """(meta, exchanges) of a JSON-lines recording (the live proxy's or the simulator's --record)."""
    meta, exchanges = {}, []
    with open(path, encoding='utf-8') as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                raise ValueError('%s line %d is not JSON' % (path, number))
            if 'meta' in entry:
                meta = entry['meta']
            elif isinstance(entry, dict) and 'method' in entry and 'path' in entry and 'status' in entry:
                exchanges.append(entry)
            else:
                raise ValueError('%s line %d is not an exchange (method, path, status)' % (path, number))
    return meta, exchanges


class Replayer:
    def __init__(self, base_url, exchanges, sync_timeout):
        self.base_url = base_url
        self.exchanges = exchanges
        self.sync_timeout = sync_timeout
        self.token = 'replay-%s' % secrets.token_hex(8)
        self.ids = compare.IdMaps()
        self.timeline = compare.Timeline(exchanges)
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.last_action_status = {}

    def translate(self, exchange):
        path = exchange['path']
        for kind, pattern in PATH_IDS:
            path = pattern.sub(lambda m, kind=kind: m.group(1) + str(self.ids.get(kind, int(m.group(2)))), path)
        body = exchange.get('request_body')
        if isinstance(body, dict) and isinstance(body.get('image'), int):
            body = dict(body, image=self.ids.get('image', body['image']))
        return path, dict(exchange.get('query') or {}), body

    def send(self, method, path, query, body, content_type):
        url = self.base_url + path + ('?' + urlencode(query) if query else '')
        data = (json.dumps(body) if not isinstance(body, str) else body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header('Authorization', 'Bearer %s' % self.token)
        if content_type:
            request.add_header('Content-Type', content_type)
        try:
            with self.opener.open(request, timeout=30) as response:
                status, headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, raw = error.code, error.headers, error.read()
        try:
            answer = json.loads(raw) if raw.strip() else None
        except ValueError:
            answer = raw.decode('utf-8', 'replace')[:2000]
        return status, dict((key.lower(), value) for key, value in headers.items()), answer

    def replay_one(self, index, exchange):
        """(path sent, status, findings, reads) for one exchange; reads > 1 when the simulator had to catch up."""
        path, query, body = self.translate(exchange)
        content_type = (exchange.get('request_headers') or {}).get('Content-Type')
        deadline = time.monotonic() + self.sync_timeout
        reads = 0
        while True:
            status, headers, answer = self.send(exchange['method'], path, query, body, content_type)
            reads += 1
            compare.learn_ids(exchange.get('response_body'), answer, self.ids)
            final = exchange['method'] != 'GET' or time.monotonic() > deadline
            findings = compare.compare_exchange(index, exchange, status, headers, answer, self.ids, self.timeline, final)
            if final or not any(finding.kind == 'state' for finding in findings):
                break
            time.sleep(0.1)
        findings += self.progression(exchange.get('response_body'), answer)
        return path, status, findings, reads

    def progression(self, recorded, answer):
        """An action whose status goes back (completed, then in-progress) in the simulator's answers."""
        found = []
        for kind, rec, rep in compare.entities(recorded, answer, self.ids):
            if kind != 'action' or not isinstance(rep, dict):
                continue
            rank = {'in-progress': 0, 'completed': 1, 'errored': 1}.get(rep.get('status'), 0)
            previous = self.last_action_status.get(rep.get('id'))
            if previous is not None and previous[0] > rank:
                found.append(compare.Finding('progression', 'action %s.status' % rec.get('id'), previous[1],
                                             rep.get('status'), note='went back'))
            self.last_action_status[rep.get('id')] = (rank, rep.get('status'))
        return found

    def seed(self, seeds):
        """Create the Droplets the recording uses without creating them, and map their ids."""
        for recorded in seeds:
            spec = dict(name=recorded['name'], tags=recorded.get('tags') or [],
                        status=recorded['status'] if recorded.get('status') in ('active', 'off') else 'active')
            try:
                created = self.control_seed(dict(spec, size=recorded.get('size_slug') or 's-1vcpu-1gb'))
            except urllib.error.HTTPError:  # a size the simulator's catalogue lacks: its default size instead
                created = self.control_seed(spec)
            self.ids.learn('droplet', recorded['id'], created['id'])

    def control_seed(self, spec):
        request = urllib.request.Request(self.base_url + '/_sim/droplets', data=json.dumps({'droplets': [spec]}).encode(),
                                         method='POST', headers={'Content-Type': 'application/json'})
        with self.opener.open(request, timeout=30) as response:
            return json.load(response)['droplets'][0]


def droplets_to_seed(exchanges):
    """Droplets a recording reads before (or without) creating them: the first view of each."""
    seen, seeds = set(), []
    for exchange in exchanges:
        body = exchange.get('response_body')
        creating = exchange['method'] == 'POST' and exchange['path'] == '/v2/droplets'
        for kind, droplet, unused in compare.entities(body, body, compare.IdMaps()):
            if kind != 'droplet' or droplet.get('id') in seen or not droplet.get('name'):
                continue
            seen.add(droplet.get('id'))
            if not creating:
                seeds.append(droplet)
    return seeds


def skipped(exchange):
    """Why an exchange is not replayed: a fault the recorder injected, or the proxy's own error."""
    if exchange.get('fault'):
        return 'a fault injected by the simulator that recorded it'
    if exchange.get('proxy_error'):
        return 'the recording proxy could not reach the API'
    return None


def replay(record, base_url, sync_timeout):
    meta, exchanges = load(record)
    replayer = Replayer(base_url, exchanges, sync_timeout)
    replayer.seed(droplets_to_seed(exchanges))
    results = []
    for index, exchange in enumerate(exchanges):
        result = dict(index=index + 1, method=exchange['method'], path=exchange['path'], recorded=exchange.get('status'))
        if skipped(exchange):
            results.append(dict(result, skipped=skipped(exchange), replayed=None, findings=[], reads=0))
            continue
        path, status, findings, reads = replayer.replay_one(index, exchange)
        results.append(dict(result, sent=path, replayed=status, findings=findings, reads=reads))
    return meta, results


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('record', help='the JSON-lines recording (make test-live writes build/live/<tag>.jsonl)')
    parser.add_argument('--root', default=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        help='the repository, where python3 -m simulator runs')
    parser.add_argument('--report', help='write the markdown report here too')
    parser.add_argument('--simulator-url', help='replay against this running simulator (loopback) instead of starting one')
    parser.add_argument('--action-seconds', type=float, default=0.5, help="the started simulator's action length")
    parser.add_argument('--status-lag', type=float, default=0.2, help="the started simulator's status lag")
    parser.add_argument('--sync-timeout', type=float, default=10.0,
                        help='seconds a read may be repeated while the simulator catches up with the recording')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.simulator_url and urlsplit(args.simulator_url).hostname not in ('127.0.0.1', 'localhost', '::1'):
        print('conformance: the simulator must be on a loopback address', file=sys.stderr)
        return 2
    try:
        if args.simulator_url:
            meta, results = replay(args.record, args.simulator_url.rstrip('/'), args.sync_timeout)
        else:
            with SimulatorProcess(args.root, '--action-seconds', str(args.action_seconds),
                                  '--status-lag', str(args.status_lag), '--rate-limit-minute', '1000000',
                                  '--rate-limit-hour', '1000000') as sim:
                meta, results = replay(args.record, sim.url, args.sync_timeout)
    except (OSError, ValueError) as error:
        print('conformance: %s' % error, file=sys.stderr)
        return 2
    text = report.markdown(args.record, meta, results)
    if args.report:
        with open(args.report, 'w', encoding='utf-8') as handle:
            handle.write(text)
    print(text)
    return 0 if report.conforms(results) else 1


if __name__ == '__main__':
    sys.exit(main())
