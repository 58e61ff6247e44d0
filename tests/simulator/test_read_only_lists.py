"""Read-only lists other DigitalOcean tools read first (issue 12): each answer is validated against the spec."""

import pytest


@pytest.mark.parametrize('path, key', [('/v2/firewalls', 'firewalls'), ('/v2/volumes', 'volumes'),
                                       ('/v2/account/keys', 'ssh_keys')])
def test_empty_lists_with_the_spec_shape(api, path, key):
    response = api.call('GET', path)
    assert response.status_code == 200
    assert response.json() == {key: [], 'links': {}, 'meta': {'total': 0}}
    assert 'ratelimit-remaining' in response.headers
    assert api.call('GET', path, params={'per_page': 500}).status_code == 400


def test_volumes_accept_their_filters(api):
    assert api.call('GET', '/v2/volumes', params={'name': 'data', 'region': 'nyc3'}).json()['volumes'] == []


def test_projects_hold_the_default_project(api):
    listed = api.call('GET', '/v2/projects').json()
    assert listed['meta']['total'] == 1
    default = api.call('GET', '/v2/projects/default').json()['project']
    assert listed['projects'] == [default]
    assert default['is_default'] is True and default['name']


def test_vpcs_are_the_default_vpc_of_each_region_the_droplets_use(api):
    target = api.seed(count=1, region='ams3')[0]
    vpcs = api.call('GET', '/v2/vpcs', params={'per_page': 200}).json()
    assert vpcs['meta']['total'] == len(vpcs['vpcs']) >= 1
    by_id = dict((vpc['id'], vpc) for vpc in vpcs['vpcs'])
    assert by_id[target['vpc_uuid']]['region'] == 'ams3' and by_id[target['vpc_uuid']]['default'] is True
    second = api.call('GET', '/v2/vpcs', params={'per_page': 2, 'page': 2}).json()
    assert second['links']['pages']['first'].startswith(api.base + '/v2/vpcs?')


def test_these_lists_need_a_token_like_every_api_call(api):
    import requests  # pylint: disable=import-outside-toplevel
    assert requests.get(api.base + '/v2/firewalls', timeout=5).status_code == 401
