"""python3 -m simulator: start the DigitalOcean API simulator on a loopback address."""

import argparse
import signal
import sys
import threading

from simulator.server import Simulator, serve
from simulator.state import Config, Store


def parse_args(argv):
    parser = argparse.ArgumentParser(prog='python3 -m simulator', description='Local DigitalOcean API v2 simulator.')
    parser.add_argument('--host', default='127.0.0.1', help='loopback address to listen on (default 127.0.0.1)')
    parser.add_argument('--port', type=int, default=8080, help='port, 0 for any free one (default 8080)')
    parser.add_argument('--port-file', help='write the port number here once listening')
    parser.add_argument('--fleet', action='append', default=[], metavar='TAG=COUNT[:STATUS]',
                        help='seed COUNT Droplets tagged TAG, named TAG-0001..., active or off (repeatable)')
    parser.add_argument('--demo', action='store_true', help='seed a small mixed fleet for the demo')
    parser.add_argument('--action-seconds', type=float, default=2.0, help='how long an action runs (default 2)')
    parser.add_argument('--status-lag', type=float, default=0.5,
                        help='how long after an action completes the Droplet status changes (default 0.5)')
    parser.add_argument('--rate-limit-minute', type=int, default=250)
    parser.add_argument('--rate-limit-hour', type=int, default=5000)
    parser.add_argument('--token', action='append', default=[], help='accept only these tokens (default: any)')
    parser.add_argument('--record', help='append every API exchange to this JSON-lines file')
    parser.add_argument('--fault-rate', type=float, default=0.0, help='share of API requests given a random fault')
    parser.add_argument('--fault-seed', type=int, default=None)
    parser.add_argument('--quiet', action='store_true')
    return parser.parse_args(argv)


def seed(store, args):
    for spec in args.fleet:
        tag, rest = spec.split('=', 1)
        count, status = (rest.split(':', 1) + [''])[:2]
        for number in range(int(count)):
            store.create_droplet('%s-%04d' % (tag, number + 1), tags=[tag], status=status or 'active')
    if args.demo:
        for number in range(3):
            store.create_droplet('web-%02d' % (number + 1), tags=['web', 'demo'])
        store.create_droplet('db-01', tags=['db', 'demo'], status='off')
        store.create_droplet('backup-01', tags=['demo'], backups=True, backup_count=2)
        store.create_droplet('legacy-01', tags=['demo'], kernel_id=7515)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.host not in ('127.0.0.1', 'localhost', '::1'):
        sys.exit('the simulator listens on loopback addresses only')
    store = Store(Config(args.action_seconds, args.status_lag))
    seed(store, args)
    sim = Simulator(store, tokens=args.token, per_minute=args.rate_limit_minute, per_hour=args.rate_limit_hour,
                    record_path=args.record, fault_rate=args.fault_rate, fault_seed=args.fault_seed)
    sim.defaults = {'action_seconds': args.action_seconds, 'status_lag': args.status_lag}
    server = serve(sim, args.host, args.port)
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file, 'w') as handle:
            handle.write('%d\n' % port)
    print('DigitalOcean API simulator listening on http://%s:%d' % (args.host, port), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *signal_args: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    server.shutdown()


if __name__ == '__main__':
    main()
