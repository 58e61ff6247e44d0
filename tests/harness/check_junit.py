"""Fail a pytest suite that passed without running everything: no tests, or any test skipped.

Usage: check_junit.py SUITE REPORT.xml. pytest returns 0 when tests are skipped; make test must not.
"""

import sys
from xml.etree import ElementTree


def main(suite, report):
    root = ElementTree.parse(report).getroot()
    suites = [root] if root.tag == 'testsuite' else root.findall('testsuite')
    tests = sum(int(s.get('tests', 0)) for s in suites)
    skipped = sum(int(s.get('skipped', 0)) for s in suites)
    if tests == 0:
        print('%s: no tests ran' % suite, file=sys.stderr)
        return 1
    if skipped:
        print('%s: %d of %d tests skipped; a skip is not a pass' % (suite, skipped, tests), file=sys.stderr)
        return 1
    print('%s: %d tests, none skipped' % (suite, tests))
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
