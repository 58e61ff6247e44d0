"""Check that the collection tarball holds no generated or secret-bearing file.

Usage: python check_tarball.py TARBALL
"""

import fnmatch
import sys
import tarfile

# (pattern on the member path, why it must not ship)
FORBIDDEN = [
    ('tests/output/*', 'ansible-test output'),
    ('.venvs/*', 'virtualenvs'),
    ('.venv/*', 'virtualenvs'),
    ('build/*', 'generated tree'),
    ('.ansible/*', 'ansible-lint and ansible-galaxy cache'),
    ('.git/*', 'git data'),
    ('*integration_config.yml', 'holds an API token'),
    ('*.jsonl', 'a simulator request record'),
    ('*__pycache__*', 'byte code'),
    ('*.pyc', 'byte code'),
    ('*.tar.gz', 'a nested build'),
    ('docs/docsite/build/*', 'generated docs'),
]
REQUIRED = ['MANIFEST.json', 'FILES.json', 'README.md', 'LICENSE', 'meta/runtime.yml',
            'meta/execution-environment.yml', 'requirements.txt', 'bindep.txt', 'docs/docsite/links.yml',
            'docs/docsite/extra-docs.yml', 'plugins/modules/droplet_action.py',
            'plugins/modules/droplet_action_info.py']


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    with tarfile.open(argv[1]) as tarball:
        names = [member.name[2:] if member.name.startswith('./') else member.name for member in tarball.getmembers()]
    problems = ['%s: %s must not ship' % (name, why) for name in names for pattern, why in FORBIDDEN
                if fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(name + '/', pattern)]
    problems += ['%s: missing' % name for name in REQUIRED if name not in names]
    for problem in problems:
        print('FAIL tarball ' + problem)
    print('tarball: %d members checked' % len(names))
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main(sys.argv)
