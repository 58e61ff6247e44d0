"""Load DigitalOcean's official OpenAPI spec (never copied into this repo) for contract tests."""

import os

import yaml
from openapi_core import OpenAPI

HERE = os.path.dirname(os.path.abspath(__file__))


def spec_path():
    """../shared/do-openapi/droplet-actions.yaml from the project root, or DO_OPENAPI_DIR. Missing is an error."""
    candidates = [os.environ.get('DO_OPENAPI_DIR')]
    root = HERE
    for unused in range(8):  # the harness runs from a copy under build/, so look up the tree for ../shared
        root = os.path.dirname(root)
        candidates.append(os.path.join(root, '..', 'shared', 'do-openapi'))
    for directory in candidates:
        if directory and os.path.isfile(os.path.join(directory, 'droplet-actions.yaml')):
            return os.path.join(directory, 'droplet-actions.yaml')
    raise RuntimeError('DigitalOcean OpenAPI spec not found: put it in ../shared/do-openapi or set DO_OPENAPI_DIR')


def load_api(server_url):
    with open(spec_path()) as handle:
        spec = yaml.safe_load(handle)
    # The published spec lists change_backup_policy in the discriminator mapping but not in the
    # type enum, so a strict validator would reject every change_backup_policy request.
    type_enum = spec['components']['schemas']['droplet_action']['properties']['type']['enum']
    if 'change_backup_policy' not in type_enum:
        type_enum.append('change_backup_policy')
    # Without a matching server entry openapi-core raises ServerNotFound for a local URL.
    spec['servers'].append({'url': server_url})
    return OpenAPI.from_dict(spec)
