"""Loaded by every Python process started with this folder on PYTHONPATH (tests/harness/ecosystem.sh).

Every temporary file and folder name then ends with an underscore: the one name in 37 that
tempfile.mkdtemp gives by chance and that once made `antsibull-docs lint-collection-docs` fail
("Unknown target name: antsibull-docs-..."), when a path with it reached the generated pages (a
``word_`` is a reference in reStructuredText). The lint runs under it, so that luck is no longer needed.
"""

import tempfile


class _NamesEndingInUnderscore:
    def __init__(self):
        self.count = 0

    def __iter__(self):
        return self

    def __next__(self):
        self.count += 1
        return 'u%07d_' % self.count


_NAMES = _NamesEndingInUnderscore()
tempfile._get_candidate_names = lambda: _NAMES  # pylint: disable=protected-access
