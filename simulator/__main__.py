"""Start the DigitalOcean API simulator on a loopback address.

From the collection root: ``python3 -m simulator``; from anywhere: ``python3 /path/to/collection/simulator``.
"""

import argparse
import errno
import os
import re
import signal
import sys
import threading

if not __package__:  # run by path: import the package from its parent folder, not its modules as top level
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# pylint: disable=wrong-import-position
from simulator import ratelimit  # noqa: E402
from simulator.server import Simulator, serve  # noqa: E402
from simulator.state import TAG_BUSY_MODES, Config, Store  # noqa: E402

LOOPBACK = ('127.0.0.1', 'localhost', '::1')


def fleet_spec(text):
    """TAG=COUNT[:STATUS] -> (tag, count, status)."""
    found = re.match(r'^([A-Za-z0-9_:-]+)=(\d+)(?::(active|off))?$', text)
    if not found:
        raise argparse.ArgumentTypeError('expected TAG=COUNT or TAG=COUNT:active|off, not %r' % text)
    return found.group(1), int(found.group(2)), found.group(3) or 'active'


def parse_args(argv):
    parser = argparse.ArgumentParser(prog='python3 -m simulator', description='Local DigitalOcean API v2 simulator.',
                                     epilog='From any directory: python3 /path/to/collection/simulator [options]')
    parser.add_argument('--host', default='127.0.0.1', help='loopback address to listen on (default 127.0.0.1)')
    parser.add_argument('--port', type=int, default=8080, help='port, 0 for any free one (default 8080)')
    parser.add_argument('--port-file', help='write the port number here once listening')
    parser.add_argument('--fleet', action='append', default=[], type=fleet_spec, metavar='TAG=COUNT[:STATUS]',
                        help='seed COUNT Droplets tagged TAG, named TAG-0001..., active (default) or off; repeatable')
    parser.add_argument('--demo', action='store_true', help='seed a small mixed fleet for the demo')
    parser.add_argument('--action-seconds', type=float, default=2.0, help='how long an action runs (default 2)')
    parser.add_argument('--status-lag', type=float, default=0.5,
                        help='seconds between an action completing and the Droplet status changing (default 0.5)')
    parser.add_argument('--rate-limit-minute', type=int, default=250, help='requests per token per minute (default 250)')
    parser.add_argument('--rate-limit-hour', type=int, default=5000, help='requests per token per hour (default 5000)')
    parser.add_argument('--rate-limit-mode', choices=ratelimit.MODES, default='lenient',
                        help='strict: refused (429) requests count against the minute too (default lenient)')
    parser.add_argument('--tag-busy', choices=TAG_BUSY_MODES, default='refuse',
                        help='by-tag action when some tagged Droplets are busy: refuse the request (422, default), '
                             'skip the busy ones, or give them an errored action')
    parser.add_argument('--no-strict-validation', dest='strict_validation', action='store_false',
                        help='accept a body without Content-Type: application/json and clamp per_page/page')
    parser.add_argument('--tls', action='store_true',
                        help='serve HTTPS with a self-signed certificate it makes and prints the path of')
    parser.add_argument('--tls-cert', metavar='CERT.pem', help='serve HTTPS with this certificate (with --tls-key)')
    parser.add_argument('--tls-key', metavar='KEY.pem', help='the private key of --tls-cert')
    parser.add_argument('--token', action='append', default=[], help='accept only these bearer tokens (default: any)')
    parser.add_argument('--record', metavar='FILE.jsonl', help='append every API exchange to this JSON-lines file')
    parser.add_argument('--fault-rate', type=float, default=0.0, help='share of API requests given a random fault')
    parser.add_argument('--fault-seed', type=int, default=None, help='seed for the random faults')
    parser.add_argument('--quiet', action='store_true', help='do not print a line per API request')
    return parser.parse_args(argv)


def seed(store, args):
    for tag, count, status in args.fleet:
        for number in range(count):
            store.create_droplet('%s-%04d' % (tag, number + 1), tags=[tag], status=status)
    if args.demo:
        for number in range(3):
            store.create_droplet('web-%02d' % (number + 1), tags=['web', 'demo'])
        for number in range(2):
            store.create_droplet('db-%02d' % (number + 1), tags=['db', 'demo'], status='off', size='s-2vcpu-4gb')
        store.create_droplet('backup-01', tags=['demo'], backups=True, backup_count=2,
                             backup_policy={'plan': 'weekly', 'weekday': 'SUN', 'hour': 20})
        store.create_droplet('legacy-01', tags=['demo'], kernel_id=7515, image='ubuntu-22-04-x64')


def write_port_file(path, port):
    """Write atomically, so a reader never sees an empty file."""
    partial = '%s.%d.tmp' % (path, os.getpid())
    with open(partial, 'w') as handle:
        handle.write('%d\n' % port)
    os.replace(partial, path)


def tls_setup(args):
    """(SSLContext or None, certificate path or None); exits with one line when TLS cannot be set up."""
    if bool(args.tls_cert) != bool(args.tls_key):
        sys.exit('--tls-cert and --tls-key go together')
    if not (args.tls or args.tls_cert):
        return None, None
    from simulator import tls  # pylint: disable=import-outside-toplevel  # ssl and openssl only when asked for
    try:
        cert, key = (args.tls_cert, args.tls_key) if args.tls_cert else tls.generate_certificate()
        return tls.server_context(cert, key), os.path.abspath(cert)
    except tls.TlsError as error:
        sys.exit(str(error))


def listen(sim, host, port, tls_context):
    """The running server; one line and exit status 1 when the port cannot be had (no traceback)."""
    try:
        return serve(sim, host, port, tls_context)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            sys.exit('port %d is already in use on %s: stop what holds it or choose another --port' % (port, host))
        sys.exit('cannot listen on %s port %d: %s' % (host, port, error.strerror or error))


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.host not in LOOPBACK:
        sys.exit('the simulator listens on loopback addresses only, not %s' % args.host)
    tls_context, cert = tls_setup(args)
    store = Store(Config(args.action_seconds, args.status_lag))
    store.config.tag_busy, store.config.strict_validation = args.tag_busy, args.strict_validation
    seed(store, args)
    sim = Simulator(store, tokens=args.token, per_minute=args.rate_limit_minute, per_hour=args.rate_limit_hour,
                    record_path=args.record, fault_rate=args.fault_rate, fault_seed=args.fault_seed, quiet=args.quiet,
                    rate_limit_mode=args.rate_limit_mode)
    server = listen(sim, '127.0.0.1' if args.host == 'localhost' else args.host, args.port, tls_context)
    port = server.server_address[1]
    if cert:
        print('TLS certificate: %s' % cert, flush=True)
    if args.port_file:
        write_port_file(args.port_file, port)
    shown = '[%s]' % args.host if ':' in args.host else args.host
    print('DigitalOcean API simulator listening on %s://%s:%d' % (server.scheme, shown, port), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *unused: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    server.shutdown()
    server.server_close()


if __name__ == '__main__':
    main()
