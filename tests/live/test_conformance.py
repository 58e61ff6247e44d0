"""The conformance replay tells a faithful recording from a doctored one.

Each doctored copy of the dry run's recording changes one thing the simulator would answer
differently: the replay must report that difference, of the right kind, and exit 1.
"""

import json

import pytest

import compare
from conftest import records, replay
from live_api import Api
from recording_proxy import RecordingProxy


def first(entries, method, path_end, status=None):
    return next(entry for entry in entries if entry.get('method') == method and entry['path'].endswith(path_end)
                and (status is None or entry['status'] == status))


def doctor_status(entries):
    posted = first(entries, 'POST', '/actions', 201)
    posted['status'] = 422
    posted['response_body'] = {'id': 'unprocessable_entity', 'message': 'Droplet already has a pending event.',
                               'request_id': 'doctored'}
    return '| status | `status` | `422` | `201` |'


def doctor_shape(entries):
    read = next(entry for entry in entries if entry.get('method') == 'GET' and isinstance(entry.get('response_body'), dict)
                and isinstance(entry['response_body'].get('droplet'), dict))
    del read['response_body']['droplet']['locked']
    return "| shape | `body.droplet.locked` | `'missing'` | `'present'` |"


def doctor_action_type(entries):
    posted = first(entries, 'POST', '/actions', 201)
    posted['response_body']['action']['type'] = 'reboot'
    return "| semantic | `action {id}.type` | `'reboot'` | `'power_off'` |"


@pytest.mark.parametrize('doctor', [doctor_status, doctor_shape, doctor_action_type])
def test_a_doctored_recording_is_reported_as_different(dry_run, tmp_path, doctor):
    entries = records(dry_run['record'])
    expected_row = doctor(entries)
    doctored = tmp_path / 'doctored.jsonl'
    doctored.write_text(''.join(json.dumps(entry) + '\n' for entry in entries))
    done = replay(str(doctored), '--sync-timeout', '2', '--action-seconds', '0.2', '--status-lag', '0.05')
    assert done.returncode == 1, done.stdout
    assert '**Verdict: DIFFERS' in done.stdout
    assert expected_row in done.stdout, done.stdout


def test_a_recording_that_is_not_one_is_refused(tmp_path):
    bad = tmp_path / 'bad.jsonl'
    bad.write_text('{"hello": "world"}\n')
    done = replay(str(bad))
    assert done.returncode == 2
    assert 'not an exchange' in done.stdout


def missing_droplet_read(message):
    return {'method': 'GET', 'path': '/v2/droplets/99999999', 'query': {}, 'request_body': None, 'status': 404,
            'response_headers': {}, 'response_body': {'id': 'not_found', 'message': message, 'request_id': 'x'}}


def test_an_error_is_compared_by_id_and_message(tmp_path):
    faithful, doctored = tmp_path / 'faithful.jsonl', tmp_path / 'doctored.jsonl'
    faithful.write_text(json.dumps(missing_droplet_read('The resource you were accessing could not be found.')) + '\n')
    doctored.write_text(json.dumps(missing_droplet_read('Droplet not found.')) + '\n')
    same = replay(str(faithful))
    assert same.returncode == 0, same.stdout
    assert '**Verdict: CONFORMS**' in same.stdout
    different = replay(str(doctored))
    assert different.returncode == 1, different.stdout
    assert "| error | `error message` | `'Droplet not found.'` |" in different.stdout


# -- the comparison rules, on hand-made exchanges -----------------------------------------------------

def droplet_read(droplet_id, status, locked=False):
    return {'method': 'GET', 'path': '/v2/droplets/%d' % droplet_id, 'status': 200,
            'response_body': {'droplet': {'id': droplet_id, 'name': 'd', 'status': status, 'locked': locked}}}


def test_timing_tolerates_a_simulator_ahead_but_not_a_state_the_recording_never_reaches():
    timeline = compare.Timeline([droplet_read(1, 'active'), droplet_read(1, 'off'), droplet_read(1, 'active')])
    key = ('droplet', 1, 'status')
    assert timeline.tolerates(key, 0, 'active', 'off', final=False)            # the next state: ahead
    assert timeline.tolerates(key, 1, 'off', 'active', final=False) is None    # also the previous one: read again
    assert timeline.tolerates(key, 1, 'off', 'active', final=True)             # still there at the end: ahead
    assert timeline.tolerates(key, 0, 'active', 'archive', final=True) is None
    action = {'method': 'GET', 'path': '/v2/actions/5', 'status': 200,
              'response_body': {'action': {'id': 5, 'status': 'in-progress', 'type': 'power_off'}}}
    ended = compare.Timeline([action])
    assert ended.tolerates(('action', 5, 'status'), 0, 'in-progress', 'completed', final=True)
    assert ended.tolerates(('action', 5, 'status'), 0, 'in-progress', 'errored', final=True)
    assert ended.tolerates(('action', 5, 'status'), 0, 'completed', 'in-progress', final=True) is None


def test_a_state_difference_is_tolerated_only_through_the_timeline():
    exchanges = [droplet_read(1, 'active', locked=True), droplet_read(1, 'active')]
    timeline, ids = compare.Timeline(exchanges), compare.IdMaps()
    ahead = compare.compare_exchange(0, exchanges[0], 200, {}, exchanges[1]['response_body'], ids, timeline)
    assert [(f.kind, f.tolerated) for f in ahead] == [('timing', True)]
    turned_off = {'droplet': dict(exchanges[1]['response_body']['droplet'], status='off')}
    wrong = compare.compare_exchange(1, exchanges[1], 200, {}, turned_off, ids, timeline)
    assert [(f.kind, f.where, f.tolerated) for f in wrong] == [('state', 'droplet 1.status', False)]


def test_shape_tolerates_null_but_not_a_changed_type_or_a_missing_key():
    found = compare.compare_shape(compare.shape({'kernel': None, 'size': 1, 'tags': ['a'], 'x': {}}),
                                  compare.shape({'kernel': {'id': 1}, 'size': '1', 'tags': [], 'y': 1}))
    assert sorted((f.where, f.tolerated) for f in found) == [
        ('body.kernel', True), ('body.size', False), ('body.x', False), ('body.y', False)]


def test_someone_elses_actions_in_an_account_list_are_not_compared():
    ids = compare.IdMaps()
    ids.learn('droplet', 10, 110)
    recorded = [{'id': 2, 'type': 'power_on', 'resource_type': 'droplet', 'resource_id': 10, 'status': 'completed'},
                {'id': 1, 'type': 'create', 'resource_type': 'volume', 'resource_id': 99, 'status': 'completed'},
                {'id': 0, 'type': 'reboot', 'resource_type': 'droplet', 'resource_id': 77, 'status': 'completed'}]
    replayed = [{'id': 502, 'type': 'power_on', 'resource_type': 'droplet', 'resource_id': 110, 'status': 'completed'}]
    pairs = compare.pair_actions(recorded, replayed, ids)
    assert [(rec['id'], rep['id']) for rec, rep in pairs] == [(2, 502)]
    compare.learn_ids({'actions': recorded}, {'actions': replayed}, ids)
    assert ids.get('action', 2) == 502


def test_droplets_the_recording_never_created_are_seeded_and_their_ids_mapped(sim, tmp_path):
    """A recording of Droplets that existed before it (ids the replay's simulator never gives out)."""
    sim.request('POST', '/_sim/droplets', {'tag': 'web', 'count': 3})  # burn ids: the replay's will differ
    sim.request('DELETE', '/v2/droplets?tag_name=web')
    sim.request('POST', '/_sim/droplets', {'droplets': [{'name': 'web-1', 'tags': ['web'], 'status': 'off'},
                                                        {'name': 'web-2', 'tags': ['web']}]})
    record = str(tmp_path / 'existing.jsonl')
    with RecordingProxy(sim.url, record) as proxy:
        api = Api(proxy.url, 'recording-token')
        first, second = sorted(api.tagged('web'), key=lambda droplet: droplet['name'])
        api.call('GET', '/v2/droplets/%d' % second['id'])
        unused, posted = api.call('POST', '/v2/droplets/%d/actions' % first['id'], body={'type': 'power_on'}, expect=(201,))
        api.call('GET', '/v2/actions/%d' % posted['action']['id'])
    done = replay(record, '--action-seconds', '0.2', '--status-lag', '0.05')
    assert done.returncode == 0, done.stdout
    assert '- exchanges: 4; same: 4;' in done.stdout or '- exchanges: 4; same: 3; tolerated differences only: 1' in done.stdout


def tag_listing(*droplets):
    return {'method': 'GET', 'path': '/v2/droplets', 'query': {'tag_name': 'run'}, 'status': 200,
            'response_body': {'droplets': [{'id': i, 'name': 'd%d' % i, 'status': 'active'} for i in droplets],
                              'links': {}, 'meta': {'total': len(droplets)}}}


def test_a_droplet_the_simulator_deleted_sooner_is_tolerated_only_if_the_recording_drops_it_later():
    deleting = [tag_listing(1, 2), tag_listing(1), tag_listing()]
    timeline, ids = compare.Timeline(deleting), compare.IdMaps()
    sooner = compare.compare_exchange(0, deleting[0], 200, {}, deleting[2]['response_body'], ids, timeline)
    assert sorted((f.kind, f.where, f.tolerated) for f in sooner) == [
        ('timing', 'droplet 1', True), ('timing', 'droplet 2', True), ('timing', 'meta.total', True)]
    kept = [tag_listing(1, 2), tag_listing(1, 2)]
    lost = compare.compare_exchange(0, kept[0], 200, {}, tag_listing(1)['response_body'], ids, compare.Timeline(kept))
    assert ('semantic', 'droplet 2', False) in [(f.kind, f.where, f.tolerated) for f in lost]


def test_pagination_links_are_not_a_shape_difference():
    one_page = {'method': 'GET', 'path': '/v2/actions', 'status': 200,
                'response_body': {'actions': [], 'links': {'pages': {'next': 'x', 'last': 'y'}}, 'meta': {'total': 90}}}
    found = compare.compare_exchange(0, one_page, 200, {}, {'actions': [], 'links': {}, 'meta': {'total': 2}},
                                     compare.IdMaps(), compare.Timeline([one_page]))
    assert [(f.where, f.tolerated) for f in found] == [('body.links.pages', True)]
