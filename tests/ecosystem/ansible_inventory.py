"""Write a Sphinx inventory (objects.inv, version 2) for the labels of Ansible's docs the docsite links to.

The pages antsibull-docs generates refer to a few labels of docs.ansible.com. Sphinx resolves them through
intersphinx, which would download Ansible's whole inventory; this small local inventory keeps the build
offline while the links still point at the real pages. A label missing here fails the build (-W).

Usage: python ansible_inventory.py OUTPUT_FILE
"""

import sys
import zlib

# label: (page and anchor under https://docs.ansible.com/projects/ansible/devel/, title)
LABELS = {
    'ansible_configuration_settings': ('reference_appendices/config.html#ansible-configuration-settings',
                                       'Ansible Configuration Settings'),
    'common_return_values': ('reference_appendices/common_return_values.html#common-return-values',
                             'Return Values'),
}


def inventory_bytes(labels):
    header = (
        '# Sphinx inventory version 2\n'
        '# Project: Ansible\n'
        '# Version: devel\n'
        '# The remainder of this file is compressed using zlib.\n'
    ).encode('utf-8')
    lines = ''.join('%s std:label -1 %s %s\n' % (name, uri, title) for name, (uri, title) in sorted(labels.items()))
    return header + zlib.compress(lines.encode('utf-8'))


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    with open(argv[1], 'wb') as output:
        output.write(inventory_bytes(LABELS))


if __name__ == '__main__':
    main(sys.argv)
