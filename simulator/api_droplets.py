"""Routes: account, Droplets, Droplet actions (by id and by tag), and the actions history."""

from simulator import backups
from simulator.actions import BULK_TYPES, NAME_PATTERN
from simulator.api import NewestFirst, paginate, route
from simulator.common import bad_request, not_found, refuse
from simulator.api_resources import TAG_PATTERN
from simulator.state import PENDING_EVENT

ACCOUNT = {'droplet_limit': 10000, 'floating_ip_limit': 10, 'volume_limit': 100, 'email': 'sammy@example.com',
           'name': 'Sammy the Simulated Shark', 'uuid': 'b6fc48dbf6d9906cace5f3c78dc9851e757381ef',
           'email_verified': True, 'status': 'active', 'status_message': '',
           'team': {'uuid': '5df3e3004a17e242b7c20ca6c9fc25b701a47ece', 'name': 'Simulated Team'}}
MAX_NAMES = 10
DROPLET_OPTIONS = ('monitoring', 'private_networking')


@route('GET', '/v2/account')
def get_account(store, request):
    return 200, {'account': dict(ACCOUNT)}


@route('GET', '/v2/droplets')
def list_droplets(store, request):
    tag, name, kind = (request.query.get(key) for key in ('tag_name', 'name', 'type'))
    if tag and name:
        raise bad_request('tag_name and name cannot be combined.')
    if tag and kind:
        raise bad_request('tag_name and type cannot be combined.')
    if kind not in (None, 'droplets', 'gpus'):
        raise bad_request('type must be droplets or gpus.')
    if kind == 'gpus':
        droplets = []  # this account has no GPU Droplets
    elif tag:
        droplets = store.droplets_tagged(tag)
    elif name:
        droplets = store.droplets_named(name)
    else:
        droplets = list(store.droplets.values())
    return 200, paginate(request, 'droplets', droplets, store.droplet_view)


@route('POST', '/v2/droplets')
def create_droplets(store, request):
    body = request.json_body()
    names = _names(body)
    for field in ('size', 'image'):
        if body.get(field) in (None, ''):
            raise refuse('%s is required to create a Droplet.' % field)
    tags = body.get('tags') or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and TAG_PATTERN.match(t) for t in tags):
        raise refuse('tags must be a list of tag names (letters, digits, colons, dashes and underscores).')
    if len(store.droplets) + len(names) > ACCOUNT['droplet_limit']:
        raise refuse('Creating %d Droplet(s) would exceed your Droplet limit of %d.'
                     % (len(names), ACCOUNT['droplet_limit']))
    features = [option for option in DROPLET_OPTIONS if body.get(option) is True]
    created = []
    for name in names:
        droplet = store.create_droplet(
            name, region=body.get('region') or 'nyc3', size=body['size'], image=body['image'], tags=tags,
            features=features, backups=body.get('backups') is True, backup_policy=_policy(body),
            ipv6=body.get('ipv6') is True, ready=False)
        created.append((droplet, store.start_create_action(droplet)))
    links = {'actions': [{'id': action['id'], 'rel': 'create', 'href': '%s/v2/actions/%d' % (request.base_url, action['id'])}
                         for unused, action in created]}
    if 'names' in body:
        return 202, {'droplets': [store.droplet_view(d) for d, unused in created], 'links': links}
    return 202, {'droplet': store.droplet_view(created[0][0]), 'links': links}


def _names(body):
    if 'names' in body and 'name' in body:
        raise refuse('Specify either name or names, not both.')
    if 'names' in body:
        names = body['names']
        if not isinstance(names, list) or not names:
            raise refuse('names must be a list of 1 to %d Droplet names.' % MAX_NAMES)
        if len(names) > MAX_NAMES:
            raise refuse('You can create at most %d Droplets in one request.' % MAX_NAMES)
    elif body.get('name') in (None, ''):
        raise refuse('name is required to create a Droplet.')
    else:
        names = [body['name']]
    for name in names:
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise refuse('Name is invalid: only letters, digits, dots and dashes, at most 253 characters.')
    return names


def _policy(body):
    if body.get('backups') is not True:
        return None
    return backups.checked(body.get('backup_policy'), required=False)


@route('DELETE', '/v2/droplets')
def delete_by_tag(store, request):
    tag = request.query.get('tag_name')
    if not tag:
        raise bad_request('tag_name is required to delete Droplets by tag.')
    if store.find_tag(tag) is None:
        raise not_found()
    for droplet in store.droplets_tagged(tag):
        store.delete_droplet(droplet)
    return 204, None


@route('GET', '/v2/droplets/{droplet_id}')
def get_droplet(store, request, droplet_id):
    return 200, {'droplet': store.droplet_view(store.droplet_or_404(droplet_id))}


@route('DELETE', '/v2/droplets/{droplet_id}')
def delete_droplet(store, request, droplet_id):
    store.delete_droplet(store.droplet_or_404(droplet_id))
    return 204, None


@route('POST', '/v2/droplets/{droplet_id}/actions')
def post_droplet_action(store, request, droplet_id):
    droplet = store.droplet_or_404(droplet_id)
    body = request.json_body()
    if body.get('type') in (None, ''):
        raise refuse('type is required.')
    return 201, {'action': dict(store.start_action(droplet, body, outcome=request.forced_outcome))}


@route('POST', '/v2/droplets/actions')
def post_tag_action(store, request):
    tag = request.query.get('tag_name')
    if not tag:
        raise refuse('tag_name is required.')
    body = request.json_body()
    if body.get('type') not in BULK_TYPES:
        raise refuse('The action type %s cannot be performed on tagged Droplets; supported types: %s.'
                     % (body.get('type'), ', '.join(BULK_TYPES)))
    droplets = store.droplets_tagged(tag)
    busy_mode = store.config.tag_busy
    if busy_mode == 'refuse' and any(store.is_locked(droplet) for droplet in droplets):
        raise refuse(PENDING_EVENT)
    if busy_mode == 'skip':
        droplets = [droplet for droplet in droplets if not store.is_locked(droplet)]
    actions = [dict(store.start_action(droplet, body, bulk=True, outcome=request.forced_outcome))
               for droplet in droplets]
    return 201, {'actions': actions}


@route('GET', '/v2/droplets/{droplet_id}/actions')
def list_droplet_actions(store, request, droplet_id):
    droplet = store.droplet_or_404(droplet_id)
    ids = store.actions_by_droplet.get(droplet['id'], [])
    return 200, paginate(request, 'actions', NewestFirst(ids, lambda i: dict(store.actions[i])))


@route('GET', '/v2/droplets/{droplet_id}/actions/{action_id}')
def get_droplet_action(store, request, droplet_id, action_id):
    droplet = store.droplet_or_404(droplet_id)
    action = _action_or_404(store, action_id)
    if action['resource_id'] != droplet['id']:
        raise not_found()
    return 200, {'action': action}


@route('GET', '/v2/actions')
def list_actions(store, request):
    return 200, paginate(request, 'actions', NewestFirst(store.action_order, lambda i: dict(store.actions[i])))


@route('GET', '/v2/actions/{action_id}')
def get_action(store, request, action_id):
    return 200, {'action': _action_or_404(store, action_id)}


def _action_or_404(store, action_id):
    action = store.actions.get(int(action_id)) if action_id.isdigit() else None
    if action is None:
        raise not_found()
    return dict(action)
