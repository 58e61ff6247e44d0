"""Load DigitalOcean's official OpenAPI spec (never copied into this repo) for contract tests.

The spec lives in ../shared/do-openapi/ next to the repository (CI has it there too). Override
with DO_OPENAPI_SPEC (the YAML file) or DO_OPENAPI_DIR (its folder). A missing spec is an error,
never a skip: a contract test that cannot see the contract must not pass.
"""

import json
import os

import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC_NAME = 'droplet-actions.yaml'
FULL_SPEC_NAME = 'digitalocean-public.v2.yaml'
LOCAL_SERVER = 'http://127.0.0.1:8080'
# Read-only lists the simulator serves for other tools, beyond the Droplet subset: their GET operations
# (and every component they reference) are taken from the full spec next to the subset.
EXTRA_GET_PATHS = ('/v2/firewalls', '/v2/volumes', '/v2/account/keys', '/v2/projects', '/v2/projects/default',
                   '/v2/vpcs')


def spec_path():
    """The spec file: DO_OPENAPI_SPEC, else DO_OPENAPI_DIR, else ../shared/do-openapi from the repository root."""
    explicit = os.environ.get('DO_OPENAPI_SPEC')
    if explicit:
        if not os.path.isfile(explicit):
            raise RuntimeError('DO_OPENAPI_SPEC=%s is not a file' % explicit)
        return explicit
    candidates = [os.environ.get('DO_OPENAPI_DIR')]
    root = HERE
    for unused in range(8):  # the harness may run a copy of the tree under build/, so look up for ../shared
        root = os.path.dirname(root)
        candidates.append(os.path.join(root, '..', 'shared', 'do-openapi'))
    for directory in candidates:
        if directory and os.path.isfile(os.path.join(directory, SPEC_NAME)):
            return os.path.normpath(os.path.join(directory, SPEC_NAME))
    raise RuntimeError('DigitalOcean OpenAPI spec %s not found: put it in ../shared/do-openapi next to the '
                       'repository, or set DO_OPENAPI_SPEC (file) or DO_OPENAPI_DIR (folder)' % SPEC_NAME)


def _references(node):
    """Every '#/components/...' reference inside ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == '$ref' and isinstance(value, str):
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def add_operations(spec, full, paths):
    """Copy the GET operations of ``paths`` from ``full`` into ``spec``, with the components they need."""
    pending = []
    for path in paths:
        spec['paths'][path] = {'get': full['paths'][path]['get']}
        pending.extend(_references(spec['paths'][path]))
    while pending:
        section, name = pending.pop().split('/')[2:4]
        target = spec['components'].setdefault(section, {})
        if name not in target:
            target[name] = full['components'][section][name]
            pending.extend(_references(target[name]))


def load_yaml(path):
    loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)  # the full spec is 2.4 MB
    with open(path) as handle:
        return yaml.load(handle, Loader=loader)  # nosec: a safe loader


def load_spec_dict(server_url=LOCAL_SERVER):
    """The spec as a dict, with the known quirks of the published spec patched."""
    spec = load_yaml(spec_path())
    add_operations(spec, load_yaml(os.path.join(os.path.dirname(spec_path()), FULL_SPEC_NAME)), EXTRA_GET_PATHS)
    # Quirk: the discriminator mapping lists change_backup_policy but droplet_action.type's enum
    # does not, so a strict validator would reject every change_backup_policy request.
    type_enum = spec['components']['schemas']['droplet_action']['properties']['type']['enum']
    if 'change_backup_policy' not in type_enum:
        type_enum.append('change_backup_policy')
    # Quirk (of testing locally): without a matching server entry openapi-core raises ServerNotFound.
    spec['servers'].append({'url': server_url})
    return spec


def load_api(server_url=LOCAL_SERVER):
    return OpenAPI.from_dict(load_spec_dict(server_url))


def check_exchange(api, entry, server_url=LOCAL_SERVER):
    """Validate one exchange: the request when the API accepted it (2xx), the response always.

    ``entry`` holds method, path, query, request_body, status, response_headers, response_body
    (the --record line format). A refused request may break the spec on purpose (an unknown
    type, a bad body), so only its answer is checked. Raises openapi-core's errors.
    """
    body = entry.get('request_body')
    request = MockRequest(
        server_url, entry['method'].lower(), entry['path'], args=dict(entry.get('query') or {}),
        headers={'Authorization': 'Bearer contract-test', 'Content-Type': 'application/json'},
        data=json.dumps(body).encode() if body is not None else None, content_type='application/json')
    if 200 <= entry['status'] < 300:
        api.validate_request(request)
    response_body = entry.get('response_body')
    response = MockResponse(json.dumps(response_body).encode() if response_body is not None else b'',
                            status_code=entry['status'], content_type='application/json',
                            headers=dict(entry.get('response_headers') or {}))
    api.validate_response(request, response)


def explain(error):
    """The schema errors behind an openapi-core exception, short enough to read."""
    cause = error.__cause__ or error
    details = []
    for schema_error in getattr(cause, 'schema_errors', None) or []:
        where = '/'.join(str(part) for part in schema_error.path)
        details.append('%s at %s' % (str(schema_error.message)[:160], where or '(root)'))
    return '; '.join(details[:5]) or ('%s: %s' % (type(error).__name__, str(error)[:300]))
