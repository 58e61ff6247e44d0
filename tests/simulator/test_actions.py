"""Droplet actions behave like the API's: lifecycle, locks, lag, effects, and the requests it refuses."""

import time

import pytest


def act(api, droplet_id, **body):
    return api.call('POST', '/v2/droplets/%d/actions' % droplet_id, json=body)


def droplet(api, droplet_id):
    return api.call('GET', '/v2/droplets/%d' % droplet_id).json()['droplet']


def settled(api, droplet_id):
    """The Droplet once its action has ended and the status lag has passed."""
    api.pass_time(api.sim.store.config.status_lag + 0.05)
    return droplet(api, droplet_id)


def test_an_action_runs_then_completes_and_the_status_follows_late(api):
    # The account's clock is the test's (ManualClock): on a loaded machine, in real time, the 0.3 s action once
    # ended before the next POST.
    api.configure(action_seconds={'default': 0.3}, status_lag_seconds=1.0)
    target = api.seed(count=1)[0]
    response = act(api, target['id'], type='power_off')
    assert response.status_code == 201
    action = response.json()['action']
    assert action['status'] == 'in-progress' and action['completed_at'] is None and action['started_at']
    assert (action['resource_id'], action['resource_type'], action['region_slug']) == (target['id'], 'droplet', 'nyc3')
    assert action['region']['slug'] == 'nyc3'
    busy = droplet(api, target['id'])
    assert busy['locked'] is False and busy['status'] == 'active'  # locked is an admin lock only
    again = act(api, target['id'], type='reboot')
    assert again.status_code == 422
    assert again.json() == {'id': 'unprocessable_entity', 'message': 'Droplet already has a pending event.',
                            'request_id': again.headers['x-request-id']}
    api.pass_time(0.31)
    finished = api.wait_action(action['id'])
    assert finished['status'] == 'completed' and finished['completed_at'] >= finished['started_at']
    lagging = droplet(api, target['id'])
    assert lagging['locked'] is False and lagging['status'] == 'active'  # the action is done, the status is not yet
    api.pass_time(1.05)
    assert droplet(api, target['id'])['status'] == 'off'


def test_the_status_lag_counts_from_the_end_of_the_action_not_from_the_first_look(api):
    target = api.seed(count=1)[0]
    act(api, target['id'], type='power_off')
    api.pass_time(0.2 + 0.1 + 0.15)  # action 0.2 s, lag 0.1 s, with nobody reading meanwhile
    assert droplet(api, target['id'])['status'] == 'off'


# The API shows nothing different after these: the Droplet must simply be as it was.
SHOWS_NO_CHANGE = ('reboot', 'password_reset', 'restore')
SIXTEEN = [
    ('power_on', {}, {'status': 'off'}, lambda d: d['status'] == 'active'),
    ('power_off', {}, {}, lambda d: d['status'] == 'off'),
    ('shutdown', {}, {}, lambda d: d['status'] == 'off'),
    ('reboot', {}, {}, lambda d: d['status'] == 'active'),
    ('power_cycle', {}, {'status': 'off'}, lambda d: d['status'] == 'active'),
    ('password_reset', {}, {}, lambda d: d['status'] == 'active'),
    ('enable_backups', {}, {}, lambda d: 'backups' in d['features'] and d['next_backup_window']),
    ('disable_backups', {}, {'backups': True}, lambda d: 'backups' not in d['features'] and not d['next_backup_window']),
    ('change_backup_policy', {'backup_policy': {'plan': 'weekly', 'weekday': 'TUE', 'hour': 8}}, {'backups': True},
     lambda d: d['next_backup_window']['start'].endswith('T08:00:00Z')),
    ('enable_ipv6', {}, {}, lambda d: 'ipv6' in d['features'] and d['networks']['v6'][0]['ip_address']),
    ('rename', {'name': 'renamed-01'}, {}, lambda d: d['name'] == 'renamed-01'),
    ('resize', {'size': 's-2vcpu-4gb', 'disk': True}, {'status': 'off'},
     lambda d: (d['size_slug'], d['memory'], d['vcpus'], d['disk'], d['size']['slug']) == ('s-2vcpu-4gb', 4096, 2, 80, 's-2vcpu-4gb')),
    ('resize', {'size': 's-2vcpu-4gb'}, {'status': 'off'}, lambda d: (d['size_slug'], d['disk']) == ('s-2vcpu-4gb', 25)),
    ('rebuild', {'image': 'debian-12-x64'}, {}, lambda d: d['image']['slug'] == 'debian-12-x64'),
    ('change_kernel', {'kernel': 7516}, {'kernel_id': 7515}, lambda d: d['kernel']['id'] == 7516),
    ('snapshot', {'name': 'before-upgrade'}, {}, lambda d: len(d['snapshot_ids']) == 1),
    ('restore', {}, {'backups': True, 'backup_count': 2}, lambda d: d['status'] == 'active' and len(d['backup_ids']) == 2),
]


@pytest.mark.parametrize('action_type, body, state, expected', SIXTEEN,
                         ids=['%s-%d' % (case[0], number) for number, case in enumerate(SIXTEEN)])
def test_each_action_type_completes_and_changes_the_droplet(api, action_type, body, state, expected):
    api.configure(action_seconds={'default': 0.5})  # long enough to look at the Droplet mid-action, even on a busy host
    target = api.seed(count=1, **state)[0]
    if action_type == 'restore':
        body = {'image': target['backup_ids'][0]}
    if action_type not in SHOWS_NO_CHANGE:
        assert not expected(droplet(api, target['id'])), 'the change must not be there before the action'
    response = act(api, target['id'], type=action_type, **body)
    assert response.status_code == 201, response.text
    action = response.json()['action']
    assert action['type'] == action_type and action['status'] == 'in-progress'
    assert droplet(api, target['id'])['locked'] is False  # busy shows as a pending event, never as locked
    busy = act(api, target['id'], type='password_reset')
    assert busy.status_code == 422 and busy.json()['message'] == 'Droplet already has a pending event.'
    if action_type not in SHOWS_NO_CHANGE:
        assert not expected(droplet(api, target['id'])), 'the change must wait for the action to end'
    assert api.wait_action(action['id'])['status'] == 'completed'
    after = settled(api, target['id'])
    assert after['locked'] is False and expected(after)


def test_a_snapshot_becomes_a_private_image_listed_everywhere(api):
    target = api.seed(count=1)[0]
    action = act(api, target['id'], type='snapshot', name='nightly').json()['action']
    api.wait_action(action['id'])
    snapshot_id = droplet(api, target['id'])['snapshot_ids'][0]
    listed = api.call('GET', '/v2/droplets/%d/snapshots' % target['id']).json()['snapshots']
    assert [(s['id'], s['name'], s['type']) for s in listed] == [(snapshot_id, 'nightly', 'snapshot')]
    account = api.call('GET', '/v2/snapshots', params={'resource_type': 'droplet'}).json()['snapshots']
    assert [(s['id'], s['resource_id']) for s in account] == [(str(snapshot_id), str(target['id']))]
    image = api.call('GET', '/v2/images/%d' % snapshot_id).json()['image']
    assert image['public'] is False and image['type'] == 'snapshot'
    assert api.call('GET', '/v2/snapshots/%d' % snapshot_id).json()['snapshot']['name'] == 'nightly'
    assert api.call('DELETE', '/v2/snapshots/%d' % snapshot_id).status_code == 204
    assert droplet(api, target['id'])['snapshot_ids'] == []
    assert api.call('GET', '/v2/snapshots/%d' % snapshot_id).status_code == 404


def test_a_snapshot_image_can_be_tagged_and_untagged(api):
    target = api.seed(count=1)[0]
    api.wait_action(act(api, target['id'], type='snapshot', name='gold').json()['action']['id'])
    snapshot_id = droplet(api, target['id'])['snapshot_ids'][0]
    image_ref = [{'resource_id': str(snapshot_id), 'resource_type': 'image'}]
    assert api.call('POST', '/v2/tags', json={'name': 'golden'}).status_code == 201
    assert api.call('POST', '/v2/tags/golden/resources', json={'resources': image_ref}).status_code == 204
    resources = api.call('GET', '/v2/tags/golden').json()['tag']['resources']
    assert (resources['count'], resources['images']['count'], resources['droplets']['count']) == (1, 1, 0)
    assert resources['images']['last_tagged_uri'] == '%s/v2/images/%d' % (api.base, snapshot_id)
    assert resources['last_tagged_uri'] == resources['images']['last_tagged_uri']
    assert api.call('GET', '/v2/images/%d' % snapshot_id).json()['image']['tags'] == ['golden']
    assert api.call('DELETE', '/v2/tags/golden/resources', json={'resources': image_ref}).status_code == 204
    assert api.call('GET', '/v2/images/%d' % snapshot_id).json()['image']['tags'] == []
    assert api.call('GET', '/v2/tags/golden').json()['tag']['resources']['images'] == {'count': 0}
    public = [{'resource_id': str(api.call('GET', '/v2/images/ubuntu-24-04-x64').json()['image']['id']),
               'resource_type': 'image'}]
    assert api.call('POST', '/v2/tags/golden/resources', json={'resources': public}).status_code == 404


def test_backups_follow_the_policy(api):
    target = api.seed(count=1)[0]
    policy_path = '/v2/droplets/%d/backups/policy' % target['id']
    assert api.call('GET', policy_path).json()['policy'] == {'droplet_id': target['id'], 'backup_enabled': False}
    api.wait_action(act(api, target['id'], type='enable_backups').json()['action']['id'])
    record = api.call('GET', policy_path).json()['policy']
    assert record['backup_policy'] == {'plan': 'daily', 'hour': 0, 'window_length_hours': 4, 'retention_period_days': 7}
    weekly = {'plan': 'weekly', 'weekday': 'FRI', 'hour': 20}
    api.wait_action(act(api, target['id'], type='change_backup_policy', backup_policy=weekly).json()['action']['id'])
    record = api.call('GET', policy_path).json()['policy']
    assert record['backup_policy'] == dict(weekly, window_length_hours=4, retention_period_days=28)
    start = time.strptime(record['next_backup_window']['start'], '%Y-%m-%dT%H:%M:%SZ')
    assert (start.tm_wday, start.tm_hour) == (4, 20)  # Friday 20:00 UTC
    everyone = api.call('GET', '/v2/droplets/backups/policies').json()['policies']
    assert everyone[str(target['id'])]['backup_policy']['weekday'] == 'FRI'


def test_a_disk_that_grew_never_shrinks(api):
    target = api.seed(count=1, status='off')[0]
    api.wait_action(act(api, target['id'], type='resize', size='s-2vcpu-2gb', disk=True).json()['action']['id'])
    assert droplet(api, target['id'])['disk'] == 60
    refused = act(api, target['id'], type='resize', size='s-1vcpu-2gb')
    assert refused.status_code == 422 and 'smaller disk' in refused.json()['message']
    flexible = act(api, target['id'], type='resize', size='s-2vcpu-4gb')  # CPU and RAM only: allowed
    assert flexible.status_code == 201


@pytest.mark.parametrize('body, state, fragment', [
    ({'type': 'resize', 'size': 's-1vcpu-1gb'}, {'status': 'off'}, 'already this size'),
    ({'type': 'resize', 'size': 's-1vcpu-512mb-10gb'}, {}, 'This size is not available because it has a smaller disk.'),
    ({'type': 'resize', 'size': 'm-64vcpu-huge'}, {'status': 'off'}, 'invalid size'),
    ({'type': 'resize'}, {'status': 'off'}, 'size is required'),
    ({'type': 'rebuild'}, {}, 'image is required'),
    ({'type': 'rebuild', 'image': 'no-such-image'}, {}, 'invalid image'),
    ({'type': 'rebuild', 'image': 'docker-20-04'}, {'size': 's-1vcpu-512mb-10gb'}, 'disk of at least 25 GB'),
    ({'type': 'rename'}, {}, 'name is required'),
    ({'type': 'rename', 'name': 'under_score!'}, {}, 'Name is invalid'),
    ({'type': 'change_kernel'}, {'kernel_id': 7515}, 'kernel is required'),
    ({'type': 'change_kernel', 'kernel': 1}, {'kernel_id': 7515}, 'invalid kernel'),
    ({'type': 'change_kernel', 'kernel': 7516}, {}, 'internally managed kernel'),
    ({'type': 'restore'}, {'backups': True, 'backup_count': 1}, 'image is required'),
    ({'type': 'restore', 'image': 129211873}, {'backups': True, 'backup_count': 1}, 'not a backup of this Droplet'),
    ({'type': 'change_backup_policy', 'backup_policy': {'hour': 4}}, {}, 'not enabled'),
    ({'type': 'change_backup_policy'}, {'backups': True}, 'backup_policy is required'),
    ({'type': 'change_backup_policy', 'backup_policy': {'hour': 3}}, {'backups': True}, 'hour'),
    ({'type': 'change_backup_policy', 'backup_policy': {'plan': 'hourly'}}, {'backups': True}, 'plan'),
    ({'type': 'change_backup_policy', 'backup_policy': {'weekday': 'Sunday'}}, {'backups': True}, 'weekday'),
    ({'type': 'enable_backups', 'backup_policy': {'plan': 'daily', 'weekday': 'MON'}}, {}, 'weekly backups only'),
    ({'type': 'power_on'}, {}, 'already powered on'),
    ({'type': 'power_off'}, {'status': 'off'}, 'already powered off'),
    ({'type': 'shutdown'}, {'status': 'off'}, 'already powered off'),
    ({'type': 'reboot'}, {'status': 'off'}, 'not powered on'),
    ({'type': 'teleport'}, {}, 'invalid action type'),
    ({}, {}, 'type is required'),
])
def test_requests_the_api_refuses_leave_the_droplet_alone(api, body, state, fragment):
    target = api.seed(count=1, **state)[0]
    response = act(api, target['id'], **body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert fragment in error['message'] and error['id'] == 'unprocessable_entity'
    assert error['request_id'] == response.headers['x-request-id']
    assert droplet(api, target['id'])['locked'] is False
    assert api.stats()['actions_total'] == 0


def test_restore_accepts_only_this_droplets_backups(api):
    owner, other = api.seed(droplets=[{'name': 'owner', 'backups': True, 'backup_count': 1}, {'name': 'other'}])
    refused = act(api, other['id'], type='restore', image=owner['backup_ids'][0])
    assert refused.status_code == 422
    assert act(api, owner['id'], type='restore', image=owner['backup_ids'][0]).status_code == 201


def test_an_ignored_shutdown_completes_and_the_droplet_stays_on(api):
    api.configure(shutdown_ignored=True)
    target = api.seed(count=1)[0]
    action = act(api, target['id'], type='shutdown').json()['action']
    assert api.wait_action(action['id'])['status'] == 'completed'
    assert settled(api, target['id'])['status'] == 'active'


def test_actions_by_tag_for_the_bulk_types_only(api):
    fleet = api.seed(count=3, tag='web')
    api.seed(count=2, tag='db')
    refused = api.call('POST', '/v2/droplets/actions', params={'tag_name': 'web'}, json={'type': 'reboot'})
    assert refused.status_code == 422 and 'cannot be performed' in refused.json()['message']
    response = api.call('POST', '/v2/droplets/actions', params={'tag_name': 'web'}, json={'type': 'power_off'})
    assert response.status_code == 201
    actions = response.json()['actions']
    assert sorted(a['resource_id'] for a in actions) == [d['id'] for d in fleet]
    busy = api.call('POST', '/v2/droplets/actions', params={'tag_name': 'web'}, json={'type': 'power_on'})
    assert busy.status_code == 422 and 'pending event' in busy.json()['message']
    for action in actions:
        api.wait_action(action['id'])
    api.pass_time(0.15)
    states = api.call('GET', '/v2/droplets', params={'tag_name': 'web'}).json()['droplets']
    assert [d['status'] for d in states] == ['off'] * 3
    assert [d['status'] for d in api.call('GET', '/v2/droplets', params={'tag_name': 'db'}).json()['droplets']] == ['active'] * 2


def test_by_tag_a_droplet_the_action_cannot_apply_to_gets_an_errored_action(api):
    api.seed(droplets=[{'name': 'on', 'tags': ['mixed']}, {'name': 'off', 'tags': ['mixed'], 'status': 'off'}])
    actions = api.call('POST', '/v2/droplets/actions', params={'tag_name': 'mixed'}, json={'type': 'power_off'}).json()['actions']
    assert sorted(api.wait_action(a['id'])['status'] for a in actions) == ['completed', 'errored']


def test_create_single_and_multiple_droplets(api):
    body = {'name': 'app-01', 'region': 'ams3', 'size': 's-1vcpu-2gb', 'image': 'ubuntu-24-04-x64', 'tags': ['app'],
            'ipv6': True, 'monitoring': True}
    response = api.call('POST', '/v2/droplets', json=body)
    assert response.status_code == 202
    created = response.json()
    new = created['droplet']
    assert (new['status'], new['locked'], new['region']['slug'], new['memory']) == ('new', False, 'ams3', 2048)
    assert {'ipv6', 'monitoring'} <= set(new['features']) and new['tags'] == ['app']
    link = created['links']['actions'][0]
    assert link['rel'] == 'create' and link['href'] == '%s/v2/actions/%d' % (api.base, link['id'])
    assert api.wait_action(link['id'])['type'] == 'create'
    assert settled(api, new['id'])['status'] == 'active'
    both = api.call('POST', '/v2/droplets', json=dict(body, names=['app-02']))
    assert both.status_code == 422 and 'either name or names' in both.json()['message']
    del body['name']
    multi = api.call('POST', '/v2/droplets', json=dict(body, names=['app-02', 'app-03'])).json()
    assert [d['name'] for d in multi['droplets']] == ['app-02', 'app-03'] and len(multi['links']['actions']) == 2
    too_many = api.call('POST', '/v2/droplets', json=dict(body, names=['n%d' % i for i in range(11)]))
    assert too_many.status_code == 422
    body['name'] = 'app-04'
    for field in ('size', 'image'):
        missing = dict(body)
        del missing[field]
        response = api.call('POST', '/v2/droplets', json=missing)
        assert response.status_code == 422 and field in response.json()['message']
    assert api.call('POST', '/v2/droplets', json=dict(body, size='s-99')).status_code == 422
    assert api.call('POST', '/v2/droplets', json=dict(body, region='mars1')).status_code == 422


def test_delete_one_and_by_tag(api):
    kept, gone = api.seed(count=1, tag='keep')[0], api.seed(count=3, tag='temp')
    assert api.call('DELETE', '/v2/droplets/%d' % gone[0]['id']).status_code == 204
    assert api.call('GET', '/v2/droplets/%d' % gone[0]['id']).status_code == 404
    assert api.call('DELETE', '/v2/droplets', params={'tag_name': 'temp'}).status_code == 204
    assert api.call('DELETE', '/v2/droplets', params={'tag_name': 'never-used'}).status_code == 404
    remaining = api.call('GET', '/v2/droplets').json()
    assert [d['id'] for d in remaining['droplets']] == [kept['id']] and remaining['meta']['total'] == 1


def test_scripted_action_outcomes(api):
    target = api.seed(count=1)[0]
    api.faults({'kind': 'action_error', 'type': 'reboot'}, {'kind': 'action_stuck', 'droplet_id': target['id']})
    errored = act(api, target['id'], type='reboot').json()['action']
    assert api.wait_action(errored['id'])['status'] == 'errored'
    stuck = act(api, target['id'], type='power_off').json()['action']
    api.pass_time(0.4)
    assert api.call('GET', '/v2/actions/%d' % stuck['id']).json()['action']['status'] == 'in-progress'
    assert droplet(api, target['id'])['locked'] is False and droplet(api, target['id'])['status'] == 'active'
    assert act(api, target['id'], type='reboot').json()['message'] == 'Droplet already has a pending event.'
