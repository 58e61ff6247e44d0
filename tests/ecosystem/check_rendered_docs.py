"""Check that the built module pages render in headless Chromium with every option and return value.

For each module, ansible-doc (from the installed collection) says which options, suboptions, aliases,
types, choices and return values exist; Chromium loads the built HTML page and dumps the DOM it rendered;
every one of them must be in that DOM, in the row of its option.

Usage: python check_rendered_docs.py HTML_DIR MODULE...   (module names without the collection prefix)
"""

import json
import os
import subprocess
import sys
from html.parser import HTMLParser

COLLECTION = 'oceanops.droplets'
CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                  '--disable-component-update', '--no-first-run', '--disable-extensions',
                  # The pages are local files; anything they might fetch from the network goes to a dead proxy.
                  '--proxy-server=http://127.0.0.1:9', '--dump-dom']
TYPE_NAMES = {'str': 'string', 'int': 'integer', 'bool': 'boolean', 'dict': 'dictionary', 'list': 'list',
              'float': 'float', 'path': 'path', 'raw': 'any'}
VOID_TAGS = {'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr'}


class Node(object):
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def text(self):
        return ''.join(child if isinstance(child, str) else child.text() for child in self.children)

    def walk(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()


class TreeBuilder(HTMLParser):
    """Just enough of an HTML tree: Chromium's serialised DOM is well formed."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node('#document', [], None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        if tag not in VOID_TAGS:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def rendered_dom(page):
    result = subprocess.run(['chromium'] + CHROMIUM_FLAGS + ['file://' + os.path.abspath(page)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, check=False)
    if result.returncode != 0 or b'</html>' not in result.stdout:
        raise SystemExit('chromium could not render %s (exit %d): %s' % (
            page, result.returncode, result.stderr.decode('utf-8', 'replace')[-2000:]))
    builder = TreeBuilder()
    builder.feed(result.stdout.decode('utf-8'))
    return builder.root


def module_doc(module):
    output = subprocess.run(['ansible-doc', '--json', '-t', 'module', '%s.%s' % (COLLECTION, module)],
                            stdout=subprocess.PIPE, check=True).stdout
    return json.loads(output)['%s.%s' % (COLLECTION, module)]


def walk_options(options, prefix=''):
    for name, spec in sorted((options or {}).items()):
        path = prefix + name
        yield path, name, spec
        yield from walk_options(spec.get('suboptions'), path + '/')


def walk_returns(returns, prefix=''):
    for name, spec in sorted((returns or {}).items()):
        path = prefix + name
        yield path, name, spec
        yield from walk_returns(spec.get('contains'), path + '/')


def enclosing(node, tag):
    while node is not None and node.tag != tag:
        node = node.parent
    return node


def check_page(page, doc):
    problems = []
    root = rendered_dom(page)
    by_id = dict((node.attrs['id'], node) for node in root.walk() if 'id' in node.attrs)
    title = ''.join(node.text() for node in root.walk() if node.tag == 'title')
    module_name = '%s.%s' % (COLLECTION, doc['doc']['module'])
    if module_name not in title:
        problems.append('page title %r does not name %s' % (title, module_name))
    if doc['doc']['short_description'] not in root.text():
        problems.append('short description missing')
    checked = 0
    for path, name, spec in walk_options(doc['doc'].get('options')):
        anchor = by_id.get('parameter-' + path)
        row = enclosing(anchor, 'tr') if anchor is not None else None
        if row is None:
            problems.append('option %s: no rendered row' % path)
            continue
        row_text = row.text()
        expected = [name] + list(spec.get('aliases') or []) + [TYPE_NAMES.get(spec.get('type', 'str'), spec.get('type'))]
        expected += [str(choice).lower() if isinstance(choice, bool) else str(choice) for choice in spec.get('choices') or []]
        missing = [word for word in expected if word not in row_text]
        if missing:
            problems.append('option %s: %s not shown in its row' % (path, ', '.join(missing)))
        checked += 1
    for path, name, spec in walk_returns(doc.get('return')):
        anchor = by_id.get('return-' + path)
        row = enclosing(anchor, 'tr') if anchor is not None else None
        if row is None or name not in row.text():
            problems.append('return value %s: not rendered' % path)
            continue
        checked += 1
    return checked, problems


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    html_dir, modules = argv[1], argv[2:]
    failed = False
    for module in modules:
        page = os.path.join(html_dir, '%s_module.html' % module)
        if not os.path.isfile(page):
            print('FAIL %s: %s was not built' % (module, page))
            failed = True
            continue
        checked, problems = check_page(page, module_doc(module))
        for problem in problems:
            print('FAIL %s: %s' % (module, problem))
        failed = failed or bool(problems) or checked == 0
        print('%s %s: %d options and return values rendered in Chromium' % ('ok' if not problems else 'FAIL', module, checked))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main(sys.argv)
