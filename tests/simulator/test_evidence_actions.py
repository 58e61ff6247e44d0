"""Action rules corrected from evidence (issue 12): each names its source in docs/simulator.md's ledger."""


import pytest
import requests


def act(api, droplet_id, **body):
    return api.call('POST', '/v2/droplets/%d/actions' % droplet_id, json=body)


def by_tag(api, tag, **body):
    return api.call('POST', '/v2/droplets/actions', params={'tag_name': tag}, json=body)


def droplet(api, droplet_id):
    return api.call('GET', '/v2/droplets/%d' % droplet_id).json()['droplet']


# -- locked: an admin lock only (DigitalOcean's support answer in droplet_kit issue 218) -------------
def test_locked_stays_false_while_an_action_runs(api):
    api.configure(action_seconds={'default': 0.5})
    target = api.seed(count=1)[0]
    action = act(api, target['id'], type='power_off').json()['action']
    assert droplet(api, target['id'])['locked'] is False
    listed = api.call('GET', '/v2/droplets').json()['droplets']
    assert [d['locked'] for d in listed] == [False]
    assert api.wait_action(action['id'])['status'] == 'completed'


def test_someone_elses_running_action_is_a_pending_event_and_is_in_the_actions_lists(api):
    api.configure(action_seconds={'default': 0.5})
    target = api.seed(count=1)[0]
    running = act(api, target['id'], type='snapshot', name='theirs').json()['action']
    refused = act(api, target['id'], type='power_off')
    assert refused.status_code == 422
    assert refused.json() == {'id': 'unprocessable_entity', 'message': 'Droplet already has a pending event.',
                              'request_id': refused.headers['x-request-id']}
    mine = api.call('GET', '/v2/droplets/%d/actions' % target['id']).json()['actions']
    assert [(a['id'], a['status']) for a in mine] == [(running['id'], 'in-progress')]
    account = api.call('GET', '/v2/actions').json()['actions']
    assert account[0]['id'] == running['id'] and account[0]['status'] == 'in-progress'


def test_a_created_droplet_is_new_but_not_locked(api):
    body = {'name': 'fresh-01', 'size': 's-1vcpu-1gb', 'image': 'ubuntu-24-04-x64'}
    created = api.call('POST', '/v2/droplets', json=body).json()['droplet']
    assert (created['status'], created['locked']) == ('new', False)
    refused = act(api, created['id'], type='power_off')
    assert refused.status_code == 422 and refused.json()['message'] == 'Droplet already has a pending event.'


def test_the_admin_lock_is_set_and_cleared_through_the_control_api(api):
    target = api.seed(count=1)[0]
    shown = api.control('PATCH', 'droplets/%d' % target['id'], {'locked': True})['droplet']
    assert shown['locked'] is True and droplet(api, target['id'])['locked'] is True
    refused = act(api, target['id'], type='power_off')
    assert refused.status_code == 422
    api.control('PATCH', 'droplets/%d' % target['id'], {'locked': False})
    assert droplet(api, target['id'])['locked'] is False
    assert act(api, target['id'], type='power_off').status_code == 201


# -- resize: DigitalOcean's live tests resize a running Droplet; doctl: the API powers it off itself --
def test_resize_of_a_running_droplet_is_accepted_and_it_is_running_afterwards(api):
    target = api.seed(count=1)[0]
    response = act(api, target['id'], type='resize', size='s-2vcpu-4gb', disk=True)
    assert response.status_code == 201, response.text
    assert api.wait_action(response.json()['action']['id'])['status'] == 'completed'
    api.pass_time(api.sim.store.config.status_lag + 0.05)
    after = droplet(api, target['id'])
    assert (after['size_slug'], after['disk'], after['status']) == ('s-2vcpu-4gb', 80, 'active')
    # one action, the resize: no power_off/power_on of the API's own appears in the history
    types = [a['type'] for a in api.call('GET', '/v2/droplets/%d/actions' % target['id']).json()['actions']]
    assert types == ['resize']


def test_resize_of_an_off_droplet_leaves_it_off(api):
    target = api.seed(count=1, status='off')[0]
    api.wait_action(act(api, target['id'], type='resize', size='s-2vcpu-4gb').json()['action']['id'])
    api.pass_time(api.sim.store.config.status_lag + 0.05)
    assert droplet(api, target['id'])['status'] == 'off'


@pytest.mark.parametrize('disk', [True, False])
def test_a_smaller_disk_is_refused_with_todays_message(api, disk):
    target = api.seed(count=1, size='s-1vcpu-2gb')[0]
    api.wait_action(act(api, target['id'], type='resize', size='s-2vcpu-4gb', disk=True).json()['action']['id'])
    refused = act(api, target['id'], type='resize', size='s-1vcpu-2gb', disk=disk)
    assert refused.status_code == 422
    assert refused.json()['message'] == 'This size is not available because it has a smaller disk.'


# -- kernels: "All Droplets created after March 2017 use internal kernels by default" ---------------
def test_droplets_get_internal_kernels_by_default(api):
    created = api.call('POST', '/v2/droplets', json={'name': 'k-01', 'size': 's-1vcpu-1gb',
                                                     'image': 'ubuntu-24-04-x64'}).json()['droplet']
    assert created['kernel'] is None
    assert api.seed(count=1)[0]['kernel'] is None


def test_an_internal_kernel_droplet_has_no_kernels_to_choose_and_change_kernel_is_refused(api):
    target = api.seed(count=1)[0]
    kernels = api.call('GET', '/v2/droplets/%d/kernels' % target['id']).json()
    assert kernels['kernels'] == [] and kernels['meta']['total'] == 0
    refused = act(api, target['id'], type='change_kernel', kernel=7516)
    assert refused.status_code == 422 and 'externally managed' in refused.json()['message']
    assert api.stats()['actions_total'] == 0


def test_a_legacy_kernel_droplet_still_lists_and_changes_kernels(api):
    legacy = api.seed(count=1, kernel_id=7515)[0]
    kernels = api.call('GET', '/v2/droplets/%d/kernels' % legacy['id']).json()['kernels']
    assert [k['id'] for k in kernels] == [7515, 7516, 7517, 7518]
    assert act(api, legacy['id'], type='change_kernel', kernel=7516).status_code == 201


# -- by tag with busy Droplets: no evidence, so every reading is offered ---------------------------
def busy_fleet(api):
    api.configure(action_seconds={'default': 0.6})
    fleet = api.seed(count=3, tag='web')
    busy = act(api, fleet[0]['id'], type='snapshot').json()['action']
    return fleet, busy


def test_by_tag_with_a_busy_droplet_refuses_the_whole_request_by_default(api):
    fleet, unused = busy_fleet(api)
    refused = by_tag(api, 'web', type='power_off')
    assert refused.status_code == 422 and refused.json()['message'] == 'Droplet already has a pending event.'
    assert api.stats()['actions_by_type'] == {'snapshot': 1}


def test_by_tag_busy_mode_skip_acts_on_the_idle_droplets_only(api):
    assert api.configure(tag_busy='skip')['tag_busy'] == 'skip'
    fleet, unused = busy_fleet(api)
    response = by_tag(api, 'web', type='power_off')
    assert response.status_code == 201
    assert sorted(a['resource_id'] for a in response.json()['actions']) == [d['id'] for d in fleet[1:]]


def test_by_tag_busy_mode_errored_gives_the_busy_droplet_an_errored_action(api):
    api.configure(tag_busy='errored')
    fleet, unused = busy_fleet(api)
    actions = by_tag(api, 'web', type='power_off').json()['actions']
    assert len(actions) == 3
    outcome = dict((a['resource_id'], api.wait_action(a['id'])['status']) for a in actions)
    assert outcome == {fleet[0]['id']: 'errored', fleet[1]['id']: 'completed', fleet[2]['id']: 'completed'}


def test_by_tag_busy_mode_is_checked(api):
    response = requests.post(api.base + '/_sim/config', json={'tag_busy': 'sometimes'}, timeout=5)
    assert response.status_code == 400 and 'tag_busy' in response.json()['message']
