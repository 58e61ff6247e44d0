"""The DigitalOcean API routes: each takes (store, request) and returns (status, body) or raises ApiError."""

import re

from simulator import catalog
from simulator.actions import BULK_TYPES, ApiError
from simulator.state import public

NOT_FOUND = ApiError(404, 'not_found', 'The resource you were accessing could not be found.')
ROUTES = []


def route(method, template):
    pattern = re.compile('^' + re.sub(r'\{(\w+)\}', r'(?P<\1>[^/]+)', template) + '$')

    def register(handler):
        ROUTES.append((method, template, pattern, handler))
        return handler
    return register


def match(method, path):
    """(template, handler, path parameters) for a request, or (template, None, {}) when nothing serves it."""
    for route_method, template, pattern, handler in ROUTES:
        found = pattern.match(path)
        if found and route_method == method:
            return template, handler, found.groupdict()
    for route_entry in ROUTES:
        template, pattern = route_entry[1], route_entry[2]
        if pattern.match(path):
            return template, None, {}
    return path, None, {}


def paginate(request, key, items):
    """A page of ``items`` with links.pages and meta.total, as the API pages lists (20 by default, 200 at most)."""
    try:
        page = max(1, int(request.query.get('page', 1)))
        per_page = min(200, max(1, int(request.query.get('per_page', 20))))
    except ValueError:
        raise ApiError(400, 'bad_request', 'page and per_page must be integers.')
    total = len(items)
    last = max(1, (total + per_page - 1) // per_page)
    pages = {}

    def link(number):
        query = dict(request.query, page=str(number), per_page=str(per_page))
        return '%s%s?%s' % (request.base_url, request.path, '&'.join('%s=%s' % kv for kv in sorted(query.items())))
    if page > 1:
        pages.update(first=link(1), prev=link(min(page - 1, last)))
    if page < last:
        pages.update(next=link(page + 1), last=link(last))
    start = (page - 1) * per_page
    return {key: items[start:start + per_page], 'links': {'pages': pages} if pages else {}, 'meta': {'total': total}}


def droplet_or_404(store, droplet_id):
    droplet = store.droplets.get(int(droplet_id)) if str(droplet_id).isdigit() else None
    if droplet is None:
        raise NOT_FOUND
    return droplet


def action_json(store, action_id):
    action = store.actions.get(int(action_id)) if str(action_id).isdigit() else None
    if action is None:
        raise NOT_FOUND
    return public(action)


@route('GET', '/v2/account')
def get_account(store, request):
    return 200, {'account': {'droplet_limit': 10000, 'floating_ip_limit': 5, 'volume_limit': 100,
                             'email': 'sammy@example.com', 'name': 'Sammy the Simulated Shark',
                             'uuid': 'b6fr89dbf6d9156cace5f3c78dc9851d957381ef', 'email_verified': True,
                             'status': 'active', 'status_message': ''}}


@route('GET', '/v2/droplets')
def list_droplets(store, request):
    tag, name = request.query.get('tag_name'), request.query.get('name')
    if tag and name:
        raise ApiError(400, 'bad_request', 'tag_name and name cannot be combined.')
    droplets = sorted(store.droplets.values(), key=lambda d: d['id'])
    if tag:
        droplets = [d for d in droplets if tag in d['tags']]
    if name:
        droplets = [d for d in droplets if d['name'].lower() == name.lower()]
    return 200, paginate(request, 'droplets', [store.droplet_view(d) for d in droplets])


@route('POST', '/v2/droplets')
def create_droplets(store, request):
    body = request.json_body()
    names = body.get('names') or ([body['name']] if body.get('name') else [])
    if not names:
        raise ApiError(422, 'unprocessable_entity', 'name is required.')
    for field in ('size', 'image'):
        if not body.get(field):
            raise ApiError(422, 'unprocessable_entity', '%s is required.' % field)
    created = []
    for name in names[:10]:
        droplet = store.create_droplet(name, region=body.get('region', 'nyc3'), size=body['size'], image=body['image'],
                                       tags=body.get('tags') or [], backups=bool(body.get('backups')),
                                       ipv6=bool(body.get('ipv6')), ready=False)
        action = store.start_action_unchecked(droplet, 'create', lambda s, d: d.update(status='active'))
        created.append((droplet, action))
    links = {'actions': [{'id': a['id'], 'rel': 'create', 'href': '%s/v2/actions/%s' % (request.base_url, a['id'])}
                         for created_droplet, a in created]}
    if body.get('names'):
        return 202, {'droplets': [store.droplet_view(d) for d, create_action in created], 'links': links}
    return 202, {'droplet': store.droplet_view(created[0][0]), 'links': links}


@route('DELETE', '/v2/droplets')
def delete_by_tag(store, request):
    tag = request.query.get('tag_name')
    if not tag:
        raise ApiError(400, 'bad_request', 'tag_name is required.')
    for droplet in [d for d in store.droplets.values() if tag in d['tags']]:
        store.delete_droplet(droplet['id'])
    return 204, None


@route('GET', '/v2/droplets/{droplet_id}')
def get_droplet(store, request, droplet_id):
    return 200, {'droplet': store.droplet_view(droplet_or_404(store, droplet_id))}


@route('DELETE', '/v2/droplets/{droplet_id}')
def delete_droplet(store, request, droplet_id):
    store.delete_droplet(droplet_or_404(store, droplet_id)['id'])
    return 204, None


@route('GET', '/v2/droplets/{droplet_id}/actions')
def list_droplet_actions(store, request, droplet_id):
    droplet = droplet_or_404(store, droplet_id)
    ids = store.actions_by_droplet.get(droplet['id'], [])
    return 200, paginate(request, 'actions', [public(store.actions[i]) for i in reversed(ids)])


@route('POST', '/v2/droplets/{droplet_id}/actions')
def post_droplet_action(store, request, droplet_id):
    droplet = droplet_or_404(store, droplet_id)
    body = request.json_body()
    if not isinstance(body.get('type'), str):
        raise ApiError(422, 'unprocessable_entity', 'type is required.')
    return 201, {'action': public(store.start_action(droplet, body))}


@route('POST', '/v2/droplets/actions')
def post_tag_action(store, request):
    tag = request.query.get('tag_name')
    if not tag:
        raise ApiError(422, 'unprocessable_entity', 'tag_name is required.')
    body = request.json_body()
    if body.get('type') not in BULK_TYPES:
        raise ApiError(422, 'unprocessable_entity', 'The action type %s cannot be performed by tag. Supported types: %s.'
                       % (body.get('type'), ', '.join(BULK_TYPES)))
    droplets = sorted((d for d in store.droplets.values() if tag in d['tags']), key=lambda d: d['id'])
    busy = [d['id'] for d in droplets if store.is_locked(d['id'])]
    if busy:
        raise ApiError(422, 'unprocessable_entity', 'Droplet already has a pending event.')
    return 201, {'actions': [public(store.start_action(d, body, bulk=True)) for d in droplets]}


@route('GET', '/v2/droplets/{droplet_id}/actions/{action_id}')
def get_droplet_action(store, request, droplet_id, action_id):
    droplet = droplet_or_404(store, droplet_id)
    action = action_json(store, action_id)
    if action['resource_id'] != droplet['id']:
        raise NOT_FOUND
    return 200, {'action': action}


@route('GET', '/v2/actions')
def list_actions(store, request):
    return 200, paginate(request, 'actions', LazyActions(store))


@route('GET', '/v2/actions/{action_id}')
def get_action(store, request, action_id):
    return 200, {'action': action_json(store, action_id)}


class LazyActions:
    """The account's actions newest first, sliced without copying the whole history for each page."""

    def __init__(self, store):
        self.store = store

    def __len__(self):
        return len(self.store.action_order)

    def __getitem__(self, window):
        order = self.store.action_order
        total = len(order)
        start, stop = window.start, min(window.stop, total)
        return [public(self.store.actions[order[total - 1 - i]]) for i in range(start, stop)]


@route('GET', '/v2/droplets/{droplet_id}/backups')
def list_backups(store, request, droplet_id):
    droplet = droplet_or_404(store, droplet_id)
    return 200, paginate(request, 'backups', [public(store.images[i]) for i in droplet['backup_ids']])


@route('GET', '/v2/droplets/{droplet_id}/backups/policy')
def get_backup_policy(store, request, droplet_id):
    droplet = droplet_or_404(store, droplet_id)
    return 200, {'policy': policy_record(store, droplet)}


def policy_record(store, droplet):
    record = {'droplet_id': droplet['id'], 'backup_enabled': 'backups' in droplet['features']}
    if record['backup_enabled']:
        record['backup_policy'] = dict(store.policies[droplet['id']])
        record['next_backup_window'] = droplet['next_backup_window']
    return record


@route('GET', '/v2/droplets/backups/policies')
def list_backup_policies(store, request):
    records = [policy_record(store, d) for d in sorted(store.droplets.values(), key=lambda d: d['id'])]
    page = paginate(request, 'policies', records)
    page['policies'] = dict((str(r['droplet_id']), r) for r in page['policies'])
    return 200, page


@route('GET', '/v2/droplets/backups/supported_policies')
def supported_policies(store, request):
    return 200, {'supported_policies': [
        {'name': 'weekly', 'possible_window_starts': [0, 4, 8, 12, 16, 20], 'window_length_hours': 4,
         'retention_period_days': 28, 'possible_days': ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']},
        {'name': 'daily', 'possible_window_starts': [0, 4, 8, 12, 16, 20], 'window_length_hours': 4,
         'retention_period_days': 7, 'possible_days': []}]}


@route('GET', '/v2/droplets/{droplet_id}/snapshots')
def list_droplet_snapshots(store, request, droplet_id):
    droplet = droplet_or_404(store, droplet_id)
    return 200, paginate(request, 'snapshots', [snapshot_json(store.images[i]) for i in droplet['snapshot_ids']
                                                if i in store.images])


def snapshot_json(image):
    return {'id': image['id'], 'name': image['name'], 'created_at': image['created_at'], 'regions': image['regions'],
            'min_disk_size': image['min_disk_size'], 'size_gigabytes': image['size_gigabytes'], 'type': image['type']}


@route('GET', '/v2/snapshots')
def list_snapshots(store, request):
    kind = request.query.get('resource_type')
    snaps = [img for img in store.images.values() if img['type'] == 'snapshot' and kind in (None, 'droplet')]
    items = [dict(snapshot_json(img), resource_id=str(img['_droplet_id']), resource_type='droplet', tags=[])
             for img in sorted(snaps, key=lambda i: i['id'])]
    for item in items:
        item['id'] = str(item['id'])
        item.pop('type')
    return 200, paginate(request, 'snapshots', items)


@route('GET', '/v2/droplets/{droplet_id}/kernels')
def list_kernels(store, request, droplet_id):
    droplet_or_404(store, droplet_id)
    return 200, paginate(request, 'kernels', [catalog.kernel(k) for k in catalog.KERNELS])


@route('GET', '/v2/sizes')
def list_sizes(store, request):
    return 200, paginate(request, 'sizes', [catalog.size(s) for s in sorted(catalog.SIZE_TABLE)])


@route('GET', '/v2/regions')
def list_regions(store, request):
    return 200, paginate(request, 'regions', [catalog.region(r) for r in catalog.REGION_SLUGS])


@route('GET', '/v2/images')
def list_images(store, request):
    kind = request.query.get('type')
    images = [public(i) for i in sorted(store.images.values(), key=lambda i: i['id'])]
    if request.query.get('private') == 'true':
        images = [i for i in images if not i['public']]
    elif kind == 'distribution':
        images = [i for i in images if i['type'] == 'base']
    return 200, paginate(request, 'images', images)


@route('GET', '/v2/images/{image_ref}')
def get_image(store, request, image_ref):
    image = store.find_image(image_ref)
    if image is None:
        raise NOT_FOUND
    return 200, {'image': public(image)}
