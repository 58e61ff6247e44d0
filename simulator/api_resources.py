"""Routes: backups and policies, snapshots, kernels, the catalog (sizes, regions, images), tags."""

import re

from simulator import backups, catalog
from simulator.api import paginate, route
from simulator.common import ApiError, bad_request, not_found
from simulator.state import TAGGABLE

TAG_PATTERN = re.compile(r'^[a-zA-Z0-9_\-:]{1,255}$')


def droplet_image_json(image):
    """A backup or snapshot as listed under a Droplet (integer id, with its type)."""
    return {'id': image['id'], 'name': image['name'], 'created_at': image['created_at'], 'regions': image['regions'],
            'min_disk_size': image['min_disk_size'], 'size_gigabytes': image['size_gigabytes'], 'type': image['type']}


def snapshot_json(image):
    """A Droplet snapshot as /v2/snapshots shows it (string ids, resource_id and resource_type)."""
    return {'id': str(image['id']), 'name': image['name'], 'created_at': image['created_at'],
            'regions': image['regions'], 'min_disk_size': image['min_disk_size'],
            'size_gigabytes': image['size_gigabytes'], 'resource_id': str(image['_droplet_id']),
            'resource_type': 'droplet', 'tags': list(image['tags'])}


# -- backups ----------------------------------------------------------------------------------
@route('GET', '/v2/droplets/{droplet_id}/backups')
def list_backups(store, request, droplet_id):
    droplet = store.droplet_or_404(droplet_id)
    return 200, paginate(request, 'backups', droplet['backup_ids'], lambda i: droplet_image_json(store.images[i]))


def policy_record(store, droplet):
    record = {'droplet_id': droplet['id'], 'backup_enabled': 'backups' in droplet['features']}
    if record['backup_enabled']:
        record['backup_policy'] = dict(store.policies[droplet['id']])
        record['next_backup_window'] = droplet['next_backup_window']
    return record


@route('GET', '/v2/droplets/{droplet_id}/backups/policy')
def get_backup_policy(store, request, droplet_id):
    return 200, {'policy': policy_record(store, store.droplet_or_404(droplet_id))}


@route('GET', '/v2/droplets/backups/policies')
def list_backup_policies(store, request):
    page = paginate(request, 'policies', list(store.droplets.values()), lambda d: policy_record(store, d))
    page['policies'] = dict((str(record['droplet_id']), record) for record in page['policies'])
    return 200, page


@route('GET', '/v2/droplets/backups/supported_policies')
def supported_policies(store, request):
    return 200, {'supported_policies': [dict(policy) for policy in backups.SUPPORTED_POLICIES]}


# -- snapshots --------------------------------------------------------------------------------
@route('GET', '/v2/droplets/{droplet_id}/snapshots')
def list_droplet_snapshots(store, request, droplet_id):
    droplet = store.droplet_or_404(droplet_id)
    return 200, paginate(request, 'snapshots', droplet['snapshot_ids'], lambda i: droplet_image_json(store.images[i]))


@route('GET', '/v2/snapshots')
def list_snapshots(store, request):
    kind = request.query.get('resource_type')
    if kind not in (None, 'droplet', 'volume'):
        raise bad_request('resource_type must be droplet or volume.')
    snaps = [] if kind == 'volume' else [i for i in store.images.values() if i['type'] == 'snapshot']
    return 200, paginate(request, 'snapshots', snaps, snapshot_json)


def _snapshot_or_error(store, snapshot_id):
    image = store.images.get(int(snapshot_id)) if snapshot_id.isdigit() else None
    if image is None:
        raise not_found()
    if image['type'] != 'snapshot':
        raise bad_request('the resource is not a snapshot')
    return image


@route('GET', '/v2/snapshots/{snapshot_id}')
def get_snapshot(store, request, snapshot_id):
    return 200, {'snapshot': snapshot_json(_snapshot_or_error(store, snapshot_id))}


@route('DELETE', '/v2/snapshots/{snapshot_id}')
def delete_snapshot(store, request, snapshot_id):
    store.delete_image(_snapshot_or_error(store, snapshot_id)['id'])
    return 204, None


# -- kernels and the catalog ------------------------------------------------------------------
@route('GET', '/v2/droplets/{droplet_id}/kernels')
def list_kernels(store, request, droplet_id):
    droplet = store.droplet_or_404(droplet_id)
    # a Droplet with an internal kernel (kernel null, every Droplet since March 2017) has none to choose from
    offered = [] if droplet['kernel'] is None else [catalog.kernel(entry[0]) for entry in catalog.KERNELS]
    return 200, paginate(request, 'kernels', offered)


@route('GET', '/v2/sizes')
def list_sizes(store, request):
    return 200, paginate(request, 'sizes', catalog.SIZE_SLUGS, catalog.size)


@route('GET', '/v2/regions')
def list_regions(store, request):
    return 200, paginate(request, 'regions', catalog.REGION_SLUGS, catalog.region)


@route('GET', '/v2/images')
def list_images(store, request):
    kind, private, tag = (request.query.get(key) for key in ('type', 'private', 'tag_name'))
    if kind not in (None, 'distribution', 'application'):
        raise bad_request('type must be distribution or application.')
    images = list(store.images.values())
    if private == 'true':
        images = [image for image in images if not image['public']]
    elif kind is not None:
        images = [image for image in images if image.get('_kind') == kind]
    if tag:
        images = [image for image in images if tag in image['tags']]
    return 200, paginate(request, 'images', images, store.image_json)


@route('GET', '/v2/images/{image_id}')
def get_image(store, request, image_id):
    image = store.find_image(image_id)
    if image is None:
        raise not_found()
    return 200, {'image': store.image_json(image)}


# -- tags -------------------------------------------------------------------------------------
def tag_json(store, tag, base_url):
    def count(kind, ids, last):
        stats = {'count': len(ids)}
        if last in ids:
            stats['last_tagged_uri'] = '%s/v2/%s/%d' % (base_url, kind, last)
        return stats
    droplets, images = (count(kind, tag[kind], tag['last_of_kind'][kind]) for kind in TAGGABLE)
    resources = {'count': droplets['count'] + images['count'], 'droplets': droplets, 'images': images,
                 'volumes': {'count': 0}, 'volume_snapshots': {'count': 0}, 'databases': {'count': 0}}
    kind, last_id = tag['last'] or (None, None)
    if last_id in tag.get(kind, ()):
        resources['last_tagged_uri'] = '%s/v2/%s/%d' % (base_url, kind, last_id)
    return {'name': tag['name'], 'resources': resources}


def _tag_or_404(store, name):
    tag = store.find_tag(name)
    if tag is None:
        raise not_found()
    return tag


@route('GET', '/v2/tags')
def list_tags(store, request):
    return 200, paginate(request, 'tags', list(store.tags.values()), lambda t: tag_json(store, t, request.base_url))


@route('POST', '/v2/tags')
def create_tag(store, request):
    name = request.json_body().get('name')
    if not isinstance(name, str) or not TAG_PATTERN.match(name):
        problem = 'Error validating resource tag: "tag-name %r contains invalid characters"' % (name,)
        raise ApiError(400, 'bad_request', problem, body={'error': problem, 'messages': None, 'root_causes': [problem]})
    return 201, {'tag': tag_json(store, store.ensure_tag(name), request.base_url)}


@route('GET', '/v2/tags/{tag_id}')
def get_tag(store, request, tag_id):
    return 200, {'tag': tag_json(store, _tag_or_404(store, tag_id), request.base_url)}


@route('DELETE', '/v2/tags/{tag_id}')
def delete_tag(store, request, tag_id):
    store.delete_tag(_tag_or_404(store, tag_id))
    return 204, None


def _resources(store, request):
    """The (kind, record) pairs a tag/untag request names, kind 'droplets' or 'images'; 404 for one this
    account does not have."""
    listed = request.json_body().get('resources')
    if not isinstance(listed, list) or not listed:
        raise bad_request('resources must be a non-empty list of {resource_id, resource_type}.')
    found = []
    for entry in listed:
        if not isinstance(entry, dict):
            raise bad_request('each resource must be an object with resource_id and resource_type.')
        kind, ref = '%ss' % entry.get('resource_type'), str(entry.get('resource_id', ''))
        record = store.tagged_table(kind).get(int(ref)) if kind in TAGGABLE and ref.isdigit() else None
        if record is None or (kind == 'images' and record['public']):
            raise not_found()
        found.append((kind, record))
    return found


@route('POST', '/v2/tags/{tag_id}/resources')
def tag_resources(store, request, tag_id):
    tag = _tag_or_404(store, tag_id)
    for kind, record in _resources(store, request):
        store.tag_resource(tag, kind, record)
    return 204, None


@route('DELETE', '/v2/tags/{tag_id}/resources')
def untag_resources(store, request, tag_id):
    tag = _tag_or_404(store, tag_id)
    for kind, record in _resources(store, request):
        store.untag_resource(tag, kind, record)
    return 204, None
