# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import COLLECTION_VERSION

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))


def test_user_agent_version_is_the_collection_version():
    with open(os.path.join(ROOT, 'galaxy.yml')) as handle:
        version = re.search(r'^version:\s*(\S+)', handle.read(), re.MULTILINE).group(1)
    assert COLLECTION_VERSION == version
