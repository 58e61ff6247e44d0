"""The conformance replay tells a faithful recording from a doctored one.

Each doctored copy of the dry run's recording changes one thing the simulator would answer
differently: the replay must report that difference, of the right kind, and exit 1.
"""

import json

import pytest

from conftest import records, replay


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
