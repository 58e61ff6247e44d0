"""The /_sim control API: arrange state, script faults, read counters. Not part of DigitalOcean's API.

No auth, no rate limit, not counted, not logged, not recorded. Errors are 400 {"id", "message"}.
"""

import re

from simulator import backups, catalog, faults, ratelimit
from simulator.common import ApiError, known_keys
from simulator.state import TAG_BUSY_MODES

ROUTES = []


def control_route(method, pattern):
    def register(handler):
        ROUTES.append((method, re.compile('^' + pattern + '$'), handler))
        return handler
    return register


def handle(sim, method, path, query, body, bad_json):
    """(status, body) for one control request."""
    if bad_json:
        return 400, {'id': 'bad_request', 'message': 'control API: the body is not JSON'}
    for route_method, pattern, handler in ROUTES:
        found = pattern.match(path)
        if found and route_method == method:
            try:
                return handler(sim, query, body if isinstance(body, dict) else {}, *found.groups())
            except (ApiError, KeyError, ValueError, TypeError) as error:
                message = error.message if isinstance(error, ApiError) else str(error)
                return 400, {'id': 'bad_request', 'message': 'control API: %s' % message}
    return 404, {'id': 'not_found', 'message': 'no control route %s %s' % (method, path)}


SEED_KEYS = ('name', 'region', 'size', 'image', 'tag', 'tags', 'status', 'features', 'backups', 'backup_policy',
             'ipv6', 'kernel_id', 'backup_count')


@control_route('GET', '/_sim/health')
def health(sim, query, body):
    return 200, {'ok': True}


@control_route('GET', '/_sim/stats')
def stats(sim, query, body):
    store = sim.store
    by_type = {}
    for counts in store.action_counts.values():
        for action_type, count in counts.items():
            by_type[action_type] = by_type.get(action_type, 0) + count
    result = sim.traffic.stats()
    result.update(actions_total=sum(by_type.values()), actions_by_type=by_type,
                  actions=dict((str(droplet_id), dict(counts)) for droplet_id, counts in store.action_counts.items()))
    return 200, result


@control_route('GET', '/_sim/log')
def log(sim, query, body):
    return 200, {'entries': sim.traffic.since(int(query.get('since', 0)))}


@control_route('POST', '/_sim/reset')
def reset(sim, query, body):
    sim.reset()
    return 200, {'ok': True}


@control_route('POST', '/_sim/droplets')
def seed_droplets(sim, query, body):
    if 'droplets' in body:
        known_keys('seed', body, ('droplets',))
        specs = [known_keys('seed droplet', spec, SEED_KEYS) for spec in body['droplets']]
    else:
        known_keys('seed', body, SEED_KEYS + ('count', 'name_prefix'))
        prefix = body.get('name_prefix') or ('%s-' % body['tag'] if body.get('tag') else 'droplet-')
        specs = [dict(body, name='%s%04d' % (prefix, number + 1)) for number in range(int(body.get('count', 1)))]
    made = [_seed_one(sim.store, spec) for spec in specs]
    return 201, {'droplets': [sim.store.droplet_view(droplet) for droplet in made]}


def _seed_one(store, spec):
    tags = list(spec.get('tags') or ([spec['tag']] if spec.get('tag') else []))
    policy = backups.checked(spec.get('backup_policy'), required=False) if spec.get('backup_policy') else None
    return store.create_droplet(
        spec['name'], region=spec.get('region', 'nyc3'), size=spec.get('size', 's-1vcpu-1gb'),
        image=spec.get('image', 'ubuntu-24-04-x64'), tags=tags, status=spec.get('status', 'active'),
        features=spec.get('features') or (), backups=bool(spec.get('backups')), backup_policy=policy,
        ipv6=bool(spec.get('ipv6')), kernel_id=spec.get('kernel_id'), backup_count=int(spec.get('backup_count', 0)))


@control_route('PATCH', r'/_sim/droplets/(\d+)')
def patch_droplet(sim, query, body, droplet_id):
    """Set raw state, bypassing actions: status, features, size_slug, locked, name, tags, or any plain field."""
    store = sim.store
    droplet = store.droplets[int(droplet_id)]
    for key, value in body.items():
        if key == 'status':
            if value not in ('new', 'active', 'off', 'archive'):
                raise ValueError('status must be new, active, off or archive')
            droplet['status'] = droplet['_power'] = value
        elif key == 'features':
            store.set_features(droplet, list(value))
        elif key == 'size_slug':
            memory, vcpus = catalog.SIZE_TABLE[value][:2]
            droplet.update(size_slug=value, size=catalog.size(value), memory=memory, vcpus=vcpus)
        elif key == 'locked':
            droplet['_forced_lock'] = bool(value)
        elif key == 'name':
            store.rename_droplet(droplet, value)
        elif key == 'tags':
            for name in list(droplet['tags']):
                store.untag_resource(store.tags[name], 'droplets', droplet)
            for name in value:
                store.tag_resource(store.ensure_tag(name), 'droplets', droplet)
        elif key in droplet and not key.startswith('_') and key != 'id':
            droplet[key] = value
        else:
            raise ValueError('cannot set %r' % key)
    return 200, {'droplet': store.droplet_view(droplet)}


@control_route('POST', '/_sim/config')
def configure(sim, query, body):
    config = sim.store.config
    known_keys('config', body, ('action_seconds', 'status_lag_seconds', 'shutdown_ignored', 'rate_limit', 'tag_busy',
                                'strict_validation'))
    limits = known_keys('rate_limit', body.get('rate_limit') or {}, ('per_minute', 'per_hour', 'mode'))
    if limits.get('mode', ratelimit.MODES[0]) not in ratelimit.MODES:
        raise ValueError('rate_limit mode must be one of %s' % ', '.join(ratelimit.MODES))
    if body.get('tag_busy', TAG_BUSY_MODES[0]) not in TAG_BUSY_MODES:
        raise ValueError('tag_busy must be one of %s' % ', '.join(TAG_BUSY_MODES))
    if 'action_seconds' in body:
        seconds = body['action_seconds']
        updates = seconds if isinstance(seconds, dict) else {'default': seconds}
        config.action_seconds.update((key, float(value)) for key, value in updates.items())
    if 'status_lag_seconds' in body:
        config.status_lag = float(body['status_lag_seconds'])
    if 'shutdown_ignored' in body:
        config.shutdown_ignored = bool(body['shutdown_ignored'])
    config.tag_busy = body.get('tag_busy', config.tag_busy)
    config.strict_validation = bool(body.get('strict_validation', config.strict_validation))
    sim.limiter.per_minute = int(limits.get('per_minute', sim.limiter.per_minute))
    sim.limiter.per_hour = int(limits.get('per_hour', sim.limiter.per_hour))
    sim.limiter.mode = limits.get('mode', sim.limiter.mode)
    return 200, {'action_seconds': config.action_seconds, 'status_lag_seconds': config.status_lag,
                 'shutdown_ignored': config.shutdown_ignored, 'tag_busy': config.tag_busy,
                 'strict_validation': config.strict_validation,
                 'rate_limit': {'per_minute': sim.limiter.per_minute, 'per_hour': sim.limiter.per_hour,
                                'mode': sim.limiter.mode}}


@control_route('POST', '/_sim/faults')
def add_faults(sim, query, body):
    known_keys('faults', body, ('faults', 'random'))
    known_keys('random', body.get('random') or {}, ('rate', 'seed', 'kinds'))
    checked = [faults.check(fault) for fault in body.get('faults', [])]  # all or nothing
    for fault in checked:
        if fault['kind'] in faults.ACTION_KINDS:
            outcome = 'errored' if fault['kind'] == 'action_error' else 'stuck'
            for unused in range(max(1, fault['times'])):
                sim.store.next_outcomes.append({'droplet_id': fault.get('droplet_id'), 'type': fault.get('type'),
                                                'outcome': outcome})
        else:
            sim.faults.scripted.append(fault)
    if 'random' in body:
        settings = body['random']
        sim.faults.configure_random(settings.get('rate', 0), settings.get('seed'),
                                    settings.get('kinds') or faults.HTTP_KINDS)
    return 200, {'scripted': len(sim.faults.scripted), 'action_outcomes': len(sim.store.next_outcomes),
                 'random_rate': sim.faults.rate}


@control_route('DELETE', '/_sim/faults')
def clear_faults(sim, query, body):
    sim.faults.scripted.clear()
    sim.faults.configure_random(0.0)
    sim.store.next_outcomes.clear()
    return 200, {'ok': True}


@control_route('POST', '/_sim/tokens')
def tokens(sim, query, body):
    known_keys('tokens', body, ('revoke', 'allow'))
    sim.revoked.update(body.get('revoke', []))
    for token in body.get('allow', []):
        sim.revoked.discard(token)
        if sim.tokens:
            sim.tokens.add(token)
    return 200, {'revoked': len(sim.revoked)}


@control_route('GET', r'/_sim/actions/(\d+)')
def action(sim, query, body, action_id):
    return 200, {'action': dict(sim.store.actions[int(action_id)])}
