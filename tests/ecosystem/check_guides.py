"""Check that the guides show what the tests run.

Every YAML code block in docs/docsite/rst/*.rst must parse. Every example file in docs/docsite/examples/
must be named by a guide, and its content must be shown there: each task of an example playbook, or the
whole document of any other example, equal (as YAML data) to one in a guide's code blocks. The examples
are linted and run against the simulator by ecosystem.sh, so the guides cannot drift from what works.

Usage: python check_guides.py DOCSITE_DIR
"""

import glob
import os
import re
import sys

import yaml

BLOCK_START = re.compile(r'^(?P<indent>\s*)\.\. code-block:: (?P<lang>\S+)\s*$')


def code_blocks(path):
    """Yield (language, line number, text) of each code-block directive in an RST file."""
    with open(path) as handle:
        lines = handle.read().splitlines()
    index = 0
    while index < len(lines):
        match = BLOCK_START.match(lines[index])
        index += 1
        if not match:
            continue
        start = index
        body = []
        while index < len(lines) and (not lines[index].strip() or len(lines[index]) - len(lines[index].lstrip()) > len(match.group('indent'))):
            body.append(lines[index])
            index += 1
        while body and not body[-1].strip():
            body.pop()
        indent = min(len(line) - len(line.lstrip()) for line in body if line.strip()) if body else 0
        yield match.group('lang'), start, '\n'.join(line[indent:] for line in body)


def tasks_of(document):
    """The tasks of a playbook, or of a task list; nothing for other data."""
    if not isinstance(document, list):
        return []
    tasks = []
    for item in document:
        if isinstance(item, dict) and 'hosts' in item:
            tasks.extend(item.get('tasks') or [])
        elif isinstance(item, dict):
            tasks.append(item)
    return tasks


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    docsite = argv[1]
    problems = []
    shown_tasks, shown_documents, guide_text = [], [], ''
    for guide in sorted(glob.glob(os.path.join(docsite, 'rst', '*.rst'))):
        with open(guide) as handle:
            guide_text += handle.read()
        for lang, line, text in code_blocks(guide):
            if not lang.startswith('yaml'):
                continue
            try:
                document = yaml.safe_load(text)
            except yaml.YAMLError as error:
                problems.append('%s:%d: YAML block does not parse: %s' % (os.path.basename(guide), line, error))
                continue
            shown_documents.append(document)
            shown_tasks.extend(tasks_of(document))
    examples = sorted(glob.glob(os.path.join(docsite, 'examples', '*.yml')))
    if not examples:
        problems.append('no examples in %s/examples' % docsite)
    for example in examples:
        name = os.path.basename(example)
        if 'docs/docsite/examples/' + name not in guide_text:
            problems.append('%s: no guide names docs/docsite/examples/%s' % (name, name))
        with open(example) as handle:
            document = yaml.safe_load(handle)
        tasks = tasks_of(document) if isinstance(document, list) else []
        if tasks:
            for task in tasks:
                if task not in shown_tasks:
                    problems.append('%s: task %r is not shown in any guide' % (name, task.get('name')))
        elif document not in shown_documents:
            problems.append('%s: not shown in any guide' % name)
    for problem in problems:
        print('FAIL ' + problem)
    print('guides: %d YAML blocks, %d examples checked' % (len(shown_documents), len(examples)))
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main(sys.argv)
