"""The /_sim control API: arrange state, script faults, read counters. Not part of DigitalOcean's API."""

import collections

from simulator.state import Config, Store, public


def health(sim, request):
    return 200, {'ok': True}


def stats(sim, request):
    actions = collections.defaultdict(collections.Counter)
    by_type = collections.Counter()
    for action in sim.store.actions.values():
        if action['type'] == 'create':
            continue
        actions[str(action['resource_id'])][action['type']] += 1
        by_type[action['type']] += 1
    posts = sum(count for key, count in sim.counters.items() if key.startswith('POST '))
    return 200, {'requests': dict(sim.counters), 'requests_total': sum(sim.counters.values()), 'posts_total': posts,
                 'status_counts': dict(sim.status_counts), 'actions_total': sum(by_type.values()),
                 'actions': dict((k, dict(v)) for k, v in actions.items()), 'actions_by_type': dict(by_type)}


def log(sim, request):
    since = int(request.query.get('since', 0))
    return 200, {'entries': [entry for entry in sim.log if entry['seq'] > since]}


def reset(sim, request):
    defaults = sim.defaults
    sim.store.__dict__.update(Store(Config(defaults['action_seconds'], defaults['status_lag'])).__dict__,
                              lock=sim.store.lock)
    sim.log.clear()
    sim.counters.clear()
    sim.status_counts.clear()
    sim.faults.scripted.clear()
    sim.limiter.recent.clear()
    sim.limiter.per_minute, sim.limiter.per_hour = sim.limits
    sim.revoked.clear()
    return 200, {'ok': True}


def seed_droplets(sim, request):
    body = request.json_body()
    made = []
    if 'droplets' in body:
        for spec in body['droplets']:
            made.append(_seed_one(sim, spec))
    else:
        for number in range(int(body.get('count', 1))):
            spec = dict(body, name='%s%04d' % (body.get('name_prefix', 'droplet-'), number + 1))
            made.append(_seed_one(sim, spec))
    return 201, {'droplets': [sim.store.droplet_view(d) for d in made]}


def _seed_one(sim, spec):
    tags = list(spec.get('tags') or ([spec['tag']] if spec.get('tag') else []))
    return sim.store.create_droplet(
        spec['name'], region=spec.get('region', 'nyc3'), size=spec.get('size', 's-1vcpu-1gb'),
        image=spec.get('image', 'ubuntu-24-04-x64'), tags=tags, status=spec.get('status', 'active'),
        backups=bool(spec.get('backups')), ipv6=bool(spec.get('ipv6')), kernel_id=spec.get('kernel_id'),
        backup_count=int(spec.get('backup_count', 0)))


def patch_droplet(sim, request, droplet_id):
    droplet = sim.store.droplets[int(droplet_id)]
    for key, value in request.json_body().items():
        droplet[key] = value
    return 200, {'droplet': sim.store.droplet_view(droplet)}


def configure(sim, request):
    body = request.json_body()
    config = sim.store.config
    if 'action_seconds' in body:
        seconds = body['action_seconds']
        config.action_seconds.update(seconds if isinstance(seconds, dict) else {'default': float(seconds)})
    if 'status_lag_seconds' in body:
        config.status_lag = float(body['status_lag_seconds'])
    if 'shutdown_ignored' in body:
        config.shutdown_ignored = bool(body['shutdown_ignored'])
    if 'rate_limit' in body:
        sim.limiter.per_minute = int(body['rate_limit'].get('per_minute', sim.limiter.per_minute))
        sim.limiter.per_hour = int(body['rate_limit'].get('per_hour', sim.limiter.per_hour))
    return 200, {'action_seconds': config.action_seconds, 'status_lag_seconds': config.status_lag,
                 'shutdown_ignored': config.shutdown_ignored,
                 'rate_limit': {'per_minute': sim.limiter.per_minute, 'per_hour': sim.limiter.per_hour}}


def add_faults(sim, request):
    body = request.json_body()
    for fault in body.get('faults', []):
        if fault.get('kind') in ('action_error', 'action_stuck'):
            outcome = 'errored' if fault['kind'] == 'action_error' else 'stuck'
            for unused in range(int(fault.get('times', 1))):
                sim.store.next_outcomes.append({'droplet_id': fault.get('droplet_id'), 'type': fault.get('type'),
                                                'outcome': outcome})
        else:
            sim.faults.scripted.append(dict(fault))
    if 'random' in body:
        sim.faults.__init__(float(body['random'].get('rate', 0)), body['random'].get('seed'))
        if body['random'].get('kinds'):
            sim.faults.kinds = list(body['random']['kinds'])
    return 200, {'scripted': len(sim.faults.scripted), 'action_outcomes': len(sim.store.next_outcomes)}


def clear_faults(sim, request):
    sim.faults.scripted.clear()
    sim.faults.rate = 0.0
    sim.store.next_outcomes.clear()
    return 200, {'ok': True}


def tokens(sim, request):
    body = request.json_body()
    sim.revoked.update(body.get('revoke', []))
    for token in body.get('allow', []):
        sim.revoked.discard(token)
        if sim.tokens:
            sim.tokens.add(token)
    return 200, {'revoked': len(sim.revoked)}


def action(sim, request, action_id):
    return 200, {'action': public(sim.store.actions[int(action_id)])}


CONTROL_ROUTES = [
    ('GET', '/_sim/health', health),
    ('GET', '/_sim/stats', stats),
    ('GET', '/_sim/log', log),
    ('POST', '/_sim/reset', reset),
    ('POST', '/_sim/droplets', seed_droplets),
    (r'PATCH', r'/_sim/droplets/(\d+)', patch_droplet),
    ('POST', '/_sim/config', configure),
    ('POST', '/_sim/faults', add_faults),
    ('DELETE', '/_sim/faults', clear_faults),
    ('POST', '/_sim/tokens', tokens),
    ('GET', r'/_sim/actions/(\d+)', action),
]
