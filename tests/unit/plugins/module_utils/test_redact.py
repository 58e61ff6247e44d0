# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import pytest

from ansible_collections.oceanops.droplets.plugins.module_utils.redact import REDACTED, Redactor

TOKEN = 'dop_v1_0123456789abcdef+/=?&'


@pytest.mark.parametrize('form', [
    TOKEN,
    repr('Bearer %s\n' % TOKEN),
    repr(repr('Bearer %s\n' % TOKEN)),
    json.dumps('Bearer %s\r\n' % TOKEN),
    'dop_v1_0123456789abcdef%2B%2F%3D%3F%26',
    'dop_v1_0123456789abcdef%2b%2f%3d%3f%26',
    'dop_v1_0123456789abcdef%2B%2F%3D%3F%26'.replace('%', '%'),
    base64.b64encode(TOKEN.encode()).decode(),
    base64.b64encode(('user:' + TOKEN).encode()).decode(),
    base64.b64encode(('us:' + TOKEN).encode()).decode(),
    base64.b64encode(('u:' + TOKEN).encode()).decode(),
    base64.b64encode((TOKEN + ':').encode()).decode(),
])
def test_every_form_of_the_token_is_removed(form):
    redact = Redactor(TOKEN + '\n')
    text = redact('before %s after' % form)
    assert 'dop_v1' not in text and '0123456789' not in text
    assert text.startswith('before ') and text.endswith(' after') and REDACTED in text
    for start in range(0, 4):  # what is left of a base64 form carries no 6 consecutive token characters
        assert base64.b64encode(TOKEN.encode()).decode()[start:start + 12] not in text


def test_data_is_redacted_at_any_depth_keys_included():
    redact = Redactor(TOKEN)
    data = dict(msg=TOKEN, nested=[dict(value='x %s y' % TOKEN)], **{TOKEN: 1})
    assert TOKEN not in json.dumps(redact.data(data))
    assert redact.data(dict(n=1, b=True, none=None)) == dict(n=1, b=True, none=None)


def test_text_without_the_token_is_unchanged_and_several_secrets_are_removed():
    redact = Redactor(TOKEN)
    redact.add('hunter22')
    redact.add(None)
    assert redact('HTTP 404 for GET /v2/droplets/1') == 'HTTP 404 for GET /v2/droplets/1'
    assert 'hunter22' not in redact('password hunter22 and %s' % TOKEN)
