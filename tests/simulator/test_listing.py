"""Lists page like the API's, filters match, and the read-only endpoints answer as the spec says."""

import pytest


def test_pages_have_absolute_links_and_a_total(api):
    api.seed(count=45, tag='web')
    api.seed(count=5, tag='db')
    first = api.call('GET', '/v2/droplets', params={'tag_name': 'web'}).json()
    assert len(first['droplets']) == 20 and first['meta']['total'] == 45
    assert set(first['links']['pages']) == {'next', 'last'}
    middle = api.call('GET', '/v2/droplets', params={'tag_name': 'web', 'page': 2}).json()
    pages = middle['links']['pages']
    assert set(pages) == {'first', 'prev', 'next', 'last'}
    assert pages['next'] == api.base + '/v2/droplets?page=3&per_page=20&tag_name=web'
    assert pages['last'] == api.base + '/v2/droplets?page=3&per_page=20&tag_name=web'
    assert pages['first'] == api.base + '/v2/droplets?page=1&per_page=20&tag_name=web'
    last = api.call('GET', pages['last'][len(api.base):].split('?')[0],
                    params={'tag_name': 'web', 'page': 3, 'per_page': 20}).json()
    assert len(last['droplets']) == 5 and set(last['links']['pages']) == {'first', 'prev'}
    names = [d['name'] for page in (first, middle, last) for d in page['droplets']]
    assert names == ['web-%04d' % n for n in range(1, 46)]
    beyond = api.call('GET', '/v2/droplets', params={'tag_name': 'web', 'page': 9}).json()
    assert beyond['droplets'] == [] and beyond['meta']['total'] == 45


def test_per_page_is_capped_at_200(api):
    api.seed(count=205)
    page = api.call('GET', '/v2/droplets', params={'per_page': 200}).json()
    assert len(page['droplets']) == 200 and page['links']['pages']['next'].endswith('page=2&per_page=200')
    everything = api.call('GET', '/v2/droplets', params={'per_page': 200, 'page': 2}).json()
    assert len(everything['droplets']) == 5


def test_name_filter_is_exact_and_case_insensitive_and_not_combined_with_a_tag(api):
    api.seed(droplets=[{'name': 'DB-01', 'tag': 'db'}, {'name': 'db-011'}, {'name': 'web-01'}])
    found = api.call('GET', '/v2/droplets', params={'name': 'db-01'}).json()
    assert [d['name'] for d in found['droplets']] == ['DB-01'] and found['meta']['total'] == 1
    both = api.call('GET', '/v2/droplets', params={'name': 'db-01', 'tag_name': 'db'})
    assert both.status_code == 400 and both.json()['id'] == 'bad_request'
    assert api.call('GET', '/v2/droplets', params={'type': 'gpus'}).json()['droplets'] == []


def test_renaming_moves_a_droplet_between_names(api):
    target = api.seed(droplets=[{'name': 'old-name'}])[0]
    action = api.call('POST', '/v2/droplets/%d/actions' % target['id'], json={'type': 'rename', 'name': 'new-name'})
    api.wait_action(action.json()['action']['id'])
    assert api.call('GET', '/v2/droplets', params={'name': 'old-name'}).json()['meta']['total'] == 0
    assert api.call('GET', '/v2/droplets', params={'name': 'new-name'}).json()['meta']['total'] == 1


def test_actions_are_listed_newest_first_per_droplet_and_for_the_account(api):
    one, two = api.seed(count=2)
    made = []
    for target, action_type in ((one, 'reboot'), (two, 'enable_ipv6'), (one, 'password_reset')):
        made.append(api.call('POST', '/v2/droplets/%d/actions' % target['id'], json={'type': action_type}).json()['action'])
        api.wait_action(made[-1]['id'])
    mine = api.call('GET', '/v2/droplets/%d/actions' % one['id']).json()
    assert [a['type'] for a in mine['actions']] == ['password_reset', 'reboot'] and mine['meta']['total'] == 2
    everything = api.call('GET', '/v2/actions', params={'per_page': 2}).json()
    assert [a['id'] for a in everything['actions']] == [made[2]['id'], made[1]['id']]
    assert everything['meta']['total'] == 3 and 'next' in everything['links']['pages']
    second = api.call('GET', '/v2/actions', params={'per_page': 2, 'page': 2}).json()
    assert [a['id'] for a in second['actions']] == [made[0]['id']]
    own = api.call('GET', '/v2/droplets/%d/actions/%d' % (one['id'], made[0]['id']))
    assert own.json()['action']['type'] == 'reboot'
    assert api.call('GET', '/v2/droplets/%d/actions/%d' % (one['id'], made[1]['id'])).status_code == 404


class CountingLookups(dict):
    """The simulator's action store, counting the actions it is asked for."""
    lookups = 0

    def __getitem__(self, key):
        self.lookups += 1
        return dict.__getitem__(self, key)


def test_a_page_of_the_actions_history_reads_only_its_own_actions(api):
    # Counted, not timed: a page of a 3,000-action history must cost its 200 actions, not the history
    # (a copy or sort of every action per page would make 3,000 lookups a page).
    api.configure(action_seconds={'default': 0.05})
    api.seed(count=1000, tag='web')
    for action_type in ('power_off', 'power_on', 'enable_ipv6'):
        response = api.call('POST', '/v2/droplets/actions', params={'tag_name': 'web'}, json={'type': action_type})
        assert len(response.json()['actions']) == 1000
        api.pass_time(0.1)
    store = api.sim.store
    store.actions = CountingLookups(store.actions)
    for page in range(1, 11):
        listed = api.call('GET', '/v2/actions', params={'per_page': 200, 'page': page}).json()
        assert len(listed['actions']) == 200 and listed['meta']['total'] == 3000
    assert store.actions.lookups <= 10 * 200, 'ten pages of 200 looked up %d actions' % store.actions.lookups


def test_backups_kernels_and_supported_policies(api):
    target = api.seed(droplets=[{'name': 'kept', 'backups': True, 'backup_count': 2, 'kernel_id': 7515}])[0]
    backups = api.call('GET', '/v2/droplets/%d/backups' % target['id']).json()
    assert [b['id'] for b in backups['backups']] == target['backup_ids'] and backups['meta']['total'] == 2
    assert all(b['type'] == 'backup' for b in backups['backups'])
    kernels = api.call('GET', '/v2/droplets/%d/kernels' % target['id']).json()
    assert 7515 in [k['id'] for k in kernels['kernels']]
    supported = api.call('GET', '/v2/droplets/backups/supported_policies').json()['supported_policies']
    assert sorted(p['name'] for p in supported) == ['daily', 'weekly']
    assert api.call('GET', '/v2/droplets/%d/backups' % 1).status_code == 404
    assert api.call('GET', '/v2/snapshots/%d' % target['backup_ids'][0]).status_code == 400  # a backup, not a snapshot


def test_catalog_sizes_regions_and_images(api):
    sizes = api.call('GET', '/v2/sizes', params={'per_page': 200}).json()['sizes']
    by_slug = dict((s['slug'], s) for s in sizes)
    for slug in ('s-1vcpu-1gb', 's-1vcpu-2gb', 's-2vcpu-2gb', 's-2vcpu-4gb', 's-4vcpu-8gb'):
        assert slug in by_slug
    assert (by_slug['s-2vcpu-4gb']['memory'], by_slug['s-2vcpu-4gb']['vcpus'], by_slug['s-2vcpu-4gb']['disk']) == (4096, 2, 80)
    regions = [r['slug'] for r in api.call('GET', '/v2/regions').json()['regions']]
    assert regions == ['nyc1', 'nyc3', 'sfo3', 'ams3', 'fra1', 'lon1']
    distributions = api.call('GET', '/v2/images', params={'type': 'distribution'}).json()['images']
    assert {'ubuntu-24-04-x64', 'debian-12-x64'} <= set(i['slug'] for i in distributions)
    applications = api.call('GET', '/v2/images', params={'type': 'application'}).json()['images']
    assert applications and not set(i['slug'] for i in applications) & set(i['slug'] for i in distributions)
    by_slug = api.call('GET', '/v2/images/debian-12-x64').json()['image']
    assert api.call('GET', '/v2/images/%d' % by_slug['id']).json()['image']['slug'] == 'debian-12-x64'
    assert api.call('GET', '/v2/images/no-such-slug').status_code == 404
    assert api.call('GET', '/v2/images', params={'private': 'true'}).json()['images'] == []
    api.seed(droplets=[{'name': 'b', 'backups': True, 'backup_count': 1}])
    private = api.call('GET', '/v2/images', params={'private': 'true'}).json()['images']
    assert [i['type'] for i in private] == ['backup'] and private[0]['public'] is False


def test_account(api):
    account = api.call('GET', '/v2/account').json()['account']
    assert account['status'] == 'active' and account['droplet_limit'] >= 1000


def test_tags_create_list_tag_untag_and_delete(api):
    one, two = api.seed(count=2)
    created = api.call('POST', '/v2/tags', json={'name': 'Blue'})
    assert created.status_code == 201
    assert created.json()['tag'] == {'name': 'Blue', 'resources': {
        'count': 0, 'droplets': {'count': 0}, 'images': {'count': 0}, 'volumes': {'count': 0},
        'volume_snapshots': {'count': 0}, 'databases': {'count': 0}}}
    again = api.call('POST', '/v2/tags', json={'name': 'blue'}).json()['tag']
    assert again['name'] == 'Blue'  # tag names are case stable: the first spelling stays
    bad = api.call('POST', '/v2/tags', json={'name': 'no spaces'})
    assert bad.status_code == 400 and bad.json()['root_causes']
    resources = [{'resource_id': str(d['id']), 'resource_type': 'droplet'} for d in (one, two)]
    assert api.call('POST', '/v2/tags/Blue/resources', json={'resources': resources}).status_code == 204
    tag = api.call('GET', '/v2/tags/Blue').json()['tag']
    assert tag['resources']['droplets']['count'] == 2
    assert tag['resources']['last_tagged_uri'] == '%s/v2/droplets/%d' % (api.base, two['id'])
    tagged = api.call('GET', '/v2/droplets', params={'tag_name': 'Blue'}).json()['droplets']
    assert [d['tags'] for d in tagged] == [['Blue'], ['Blue']]
    assert api.call('DELETE', '/v2/tags/Blue/resources', json={'resources': resources[:1]}).status_code == 204
    assert [d['id'] for d in api.call('GET', '/v2/droplets', params={'tag_name': 'Blue'}).json()['droplets']] == [two['id']]
    missing = [{'resource_id': '1', 'resource_type': 'droplet'}]
    assert api.call('POST', '/v2/tags/Blue/resources', json={'resources': missing}).status_code == 404
    assert [t['name'] for t in api.call('GET', '/v2/tags').json()['tags']] == ['Blue']
    assert api.call('DELETE', '/v2/tags/Blue').status_code == 204
    assert api.call('GET', '/v2/tags/Blue').status_code == 404
    assert api.call('GET', '/v2/droplets/%d' % two['id']).json()['droplet']['tags'] == []


@pytest.mark.parametrize('path', ['/v2/droplets/999', '/v2/actions/999', '/v2/droplets/999/actions',
                                  '/v2/droplets/999/backups/policy', '/v2/snapshots/999', '/v2/tags/nothing',
                                  '/v2/droplets/not-a-number'])
def test_missing_resources_are_404_with_the_api_body(api, path):
    response = api.call('GET', path)
    assert response.status_code == 404
    assert response.json() == {'id': 'not_found', 'message': 'The resource you were accessing could not be found.',
                               'request_id': response.headers['x-request-id']}
