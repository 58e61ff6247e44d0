"""The conformance report: a verdict, the distinct differences, and a line per exchange (markdown)."""

import collections
import re

NUMBER = re.compile(r'(?<=/)\d+(?=/|$)|(?<= )\d+(?=\.|$)')


def template(text):
    return NUMBER.sub('{id}', text)


def verdict(result):
    if result.get('skipped'):
        return 'skipped'
    if any(not finding.tolerated for finding in result['findings']):
        return 'DIFFERS'
    return 'tolerated' if result['findings'] else 'same'


def conforms(results):
    return not any(verdict(result) == 'DIFFERS' for result in results)


def distinct(results, tolerated):
    """{(kind, where, recorded, replayed): [exchange numbers]} with ids folded into {id}."""
    found = collections.OrderedDict()
    for result in results:
        for finding in result['findings']:
            if finding.tolerated == tolerated:
                key = (finding.kind, template(finding.where), repr(finding.recorded), repr(finding.replayed), finding.note)
                found.setdefault(key, []).append(result['index'])
    return found


def _exchanges(numbers):
    shown = ', '.join('#%d' % number for number in numbers[:8])
    return shown + (' and %d more' % (len(numbers) - 8) if len(numbers) > 8 else '')


def _distinct_table(found):
    lines = ['| kind | where | recorded | simulator | note | exchanges |', '|---|---|---|---|---|---|']
    for (kind, where, recorded, replayed, note), numbers in found.items():
        cells = (kind, where, _cell(recorded), _cell(replayed), note or '', _exchanges(numbers))
        lines.append('| %s | `%s` | %s | %s | %s | %s |' % cells)
    return lines


def _cell(text):
    text = text.replace('|', '\\|')
    return '`%s`' % (text if len(text) <= 80 else text[:77] + '...')


def _exchange_line(result):
    notes = []
    if result.get('skipped'):
        notes.append(result['skipped'])
    if result.get('reads', 1) > 1:
        notes.append('read %d times while the simulator caught up' % result['reads'])
    kinds = collections.Counter(f.kind + ('' if f.tolerated else '!') for f in result['findings'])
    notes += ['%s x%d' % (kind, count) for kind, count in sorted(kinds.items())]
    replayed = '-' if result['replayed'] is None else result['replayed']
    cells = (result['index'], result['method'], template(result['path']), result['recorded'], replayed, verdict(result),
             '; '.join(notes))
    return '| %d | %s %s | %s | %s | %s | %s |' % cells


def markdown(record, meta, results):
    counts = collections.Counter(verdict(result) for result in results)
    differing = distinct(results, tolerated=False)
    lines = ['# Conformance report', '',
             '- recording: `%s`%s' % (record, ' (run tag `%s`)' % meta['run_tag'] if meta.get('run_tag') else ''),
             '- replayed against: the simulator, recorded ids mapped to the simulator\'s',
             '- exchanges: %d; same: %d; tolerated differences only: %d; differ: %d; skipped: %d'
             % (len(results), counts['same'], counts['tolerated'], counts['DIFFERS'], counts['skipped']), '',
             '**Verdict: %s**' % ('CONFORMS' if conforms(results) else
                                  'DIFFERS (%d distinct differences in %d exchanges)' % (len(differing), counts['DIFFERS'])),
             '']
    if differing:
        lines += ['## Differences', ''] + _distinct_table(differing) + ['']
    tolerated = distinct(results, tolerated=True)
    if tolerated:
        lines += ['## Tolerated differences', '', 'Timing, ids, timestamps, addresses and other values are not '
                  'compared; these are the differences that were seen and allowed (docs/live.md says why).', '']
        lines += _distinct_table(tolerated) + ['']
    lines += ['## Every exchange', '', 'A `!` marks a difference that is not tolerated.', '',
              '| # | request | recorded | simulator | verdict | notes |', '|---|---|---|---|---|---|']
    lines += [_exchange_line(result) for result in results]
    return '\n'.join(lines) + '\n'
