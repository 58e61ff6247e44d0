"""Read-only lists other DigitalOcean tools read before they act: firewalls, volumes, SSH keys, projects, VPCs.

This account has no firewalls, volumes or SSH keys; it has its default project and one default VPC
per region (the ``vpc_uuid`` its Droplets carry). Shapes follow the spec's list responses, with the
same paging (links.pages, meta.total) as every other list.
"""

from simulator import catalog
from simulator.api import paginate, route
from simulator.api_droplets import ACCOUNT

DEFAULT_PROJECT = {
    'id': '9cc10173-e9ea-4176-9dbc-a4cee4c4ff30', 'owner_uuid': ACCOUNT['uuid'], 'owner_id': 3164444,
    'name': 'first-project', 'description': 'Update your project information under Settings',
    'purpose': 'Just trying out DigitalOcean', 'environment': 'Development', 'is_default': True,
    'created_at': '2024-01-15T09:30:00Z', 'updated_at': '2024-01-15T09:30:00Z'}


def default_vpc(slug):
    """The default VPC of region ``slug``, with the id its Droplets' ``vpc_uuid`` names."""
    number = catalog.REGION_SLUGS.index(slug)
    vpc_id = '5a4981aa-9653-4bd1-bef5-%012x' % number
    return {'id': vpc_id, 'urn': 'do:vpc:%s' % vpc_id, 'name': 'default-%s' % slug, 'description': '',
            'region': slug, 'ip_range': '10.%d.0.0/20' % (100 + number * 16), 'default': True,
            'created_at': '2024-01-15T09:30:00Z'}


@route('GET', '/v2/firewalls')
def list_firewalls(store, request):
    return 200, paginate(request, 'firewalls', [])


@route('GET', '/v2/volumes')
def list_volumes(store, request):
    return 200, paginate(request, 'volumes', [])  # the name and region filters of an empty list are empty


@route('GET', '/v2/account/keys')
def list_ssh_keys(store, request):
    return 200, paginate(request, 'ssh_keys', [])


@route('GET', '/v2/projects')
def list_projects(store, request):
    return 200, paginate(request, 'projects', [dict(DEFAULT_PROJECT)])


@route('GET', '/v2/projects/default')
def get_default_project(store, request):
    return 200, {'project': dict(DEFAULT_PROJECT)}


@route('GET', '/v2/vpcs')
def list_vpcs(store, request):
    return 200, paginate(request, 'vpcs', catalog.REGION_SLUGS, default_vpc)
