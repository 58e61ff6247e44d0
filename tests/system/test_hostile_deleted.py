"""A Droplet destroyed while the task waits: every path says so, with what it had sent (issue 19)."""

import pytest

from hostile_api import deleted_when
from hostile_checks import api, run_checked  # noqa: F401 pylint: disable=unused-import


def after_posts(count):
    return lambda hostile, request: len(hostile.posts()) >= count


def test_one_droplet_destroyed_while_its_action_runs(api):
    # Before: its action's 404 was taken for a new action's lag for 10 s (here: "Timed out after 4 s"), then
    # the raw "HTTP 404 ... could not be found".
    droplet = api.seed()[0]
    api.action_seconds = 60
    api.on('GET', r'^/v2/actions/\d+$', deleted_when(droplet['id'], after_posts(1)))
    failed, result, seconds = run_checked(api, droplet_id=droplet['id'], type='power_off', wait_timeout=4)
    assert failed and 'Droplet %d was deleted while' % droplet['id'] in result['msg'], result['msg']
    assert result['changed'] is True and len(result['actions']) == 1


def fleet(selector, droplets):
    return dict(tag_name='web') if selector == 'tag_name' else dict(droplet_ids=[d['id'] for d in droplets])


@pytest.mark.parametrize('selector', ['tag_name', 'droplet_ids'])
def test_a_droplet_of_a_fleet_destroyed_while_the_actions_run(api, selector):
    # Before: the raw "HTTP 404 for GET /v2/actions/N" once its action left the account's list.
    droplets = api.seed(count=2, tag='web')
    api.action_seconds = 1.0
    gone = droplets[1]['id']
    api.on('GET', r'^/v2/actions$', deleted_when(gone, lambda hostile, request: 'page' in request.query))
    failed, result, seconds = run_checked(api, type='power_off', wait_timeout=6, **fleet(selector, droplets))
    assert failed and 'Droplet %d was deleted while' % gone in result['msg'], result['msg']
    assert result['changed'] is True and len(result['actions']) == 2


@pytest.mark.parametrize('selector', ['tag_name', 'droplet_ids'])
def test_a_droplet_of_a_fleet_destroyed_after_its_action_ended(api, selector):
    # Before: droplet_ids said "Droplets N were deleted ...", a tag ended ok without the Droplet.
    droplets = api.seed(count=2, tag='web')
    gone = droplets[1]['id']

    def after_the_posts(hostile, request):  # both POSTs for droplet_ids, the one by tag for a tag
        return len(hostile.posts()) == 2 or bool(request.query.get('tag_name') and hostile.posts())
    api.on('GET', r'^/v2/droplets(/\d+)?$', deleted_when(gone, after_the_posts))
    failed, result, seconds = run_checked(api, type='power_off', wait_timeout=4, **fleet(selector, droplets))
    assert failed and 'Droplet %d was deleted while' % gone in result['msg'], result['msg']
    assert result['changed'] is True and len(result['actions']) == 2


def test_the_info_module_waiting_on_a_destroyed_droplets_actions(api):
    droplet = api.seed()[0]
    api.action_seconds = 60
    api.start_action(droplet['id'], 'reboot')
    api.on('GET', r'^/v2/actions$', deleted_when(droplet['id'], lambda hostile, request: True))
    failed, result, seconds = run_checked(api, module='droplet_action_info', droplet_id=droplet['id'], wait=True,
                                          wait_timeout=4)
    assert failed and 'Droplet %d was deleted while' % droplet['id'] in result['msg'], result['msg']
