# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one redactor: removes a secret in every form an error message can carry it in."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import re

from urllib.parse import quote, quote_plus

REDACTED = '********'
# Shorter fragments of a base64 form (the secret at another byte offset) would redact ordinary words.
MIN_FRAGMENT_CHARS = 8


def _escaped(text):
    """The forms ``text`` takes inside repr() and JSON output, once and twice escaped."""
    forms = {text, repr(text)[1:-1], json.dumps(text)[1:-1]}
    for form in list(forms):
        forms.add(repr(form)[1:-1])
        forms.add(json.dumps(form)[1:-1])
    return forms


def _base64_fragments(secret):
    """Base64 of the secret alone and as it shows inside a longer encoded value (Basic auth).

    Inside ``base64(prefix + secret)`` the characters that depend on the secret alone change with
    the prefix length modulo 3; each of the three alignments is one fragment.
    """
    raw = secret.encode('utf-8', 'replace')
    fragments = {base64.b64encode(raw).decode('ascii')}
    for offset in range(3):
        encoded = base64.b64encode(b'\0' * offset + raw).decode('ascii')
        start = -(-offset * 8 // 6)  # ceil: characters touched by the prefix
        end = (offset + len(raw)) * 8 // 6  # floor: characters made of data bits only
        if end - start >= MIN_FRAGMENT_CHARS:
            fragments.add(encoded[start:end])
    return fragments


def secret_forms(secret):
    """Every form of ``secret`` to remove, longest first."""
    if not secret:
        return []
    bases = {secret, secret.strip()}
    forms = set()
    for base in bases:
        if not base:
            continue
        for form in _escaped(base):
            forms.add(form)
            quoted = quote(form, safe='')
            forms.update((quoted, quoted.lower(), quote_plus(form, safe='')))
        forms.update(_base64_fragments(base))
    forms.discard('')
    return sorted(forms, key=len, reverse=True)


def _percent_pattern(secret):
    """A regex matching ``secret`` with any of its characters percent-encoded, in either hex case."""
    def either_case(digit):
        return '[%s%s]' % (digit.upper(), digit.lower())

    def encoded(char):
        pairs = ('%02x' % byte for byte in bytearray(char.encode('utf-8')))
        return ''.join('%' + either_case(pair[0]) + either_case(pair[1]) for pair in pairs)
    return re.compile(''.join('(?:%s|%s)' % (re.escape(char), encoded(char)) for char in secret))


class Redactor:
    """Callable that removes every registered secret from a string, or from all strings in a structure."""

    def __init__(self, *secrets):
        self._forms = []
        self._patterns = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret):
        if secret:
            self._forms = sorted(set(self._forms) | set(secret_forms(secret)), key=len, reverse=True)
            if secret.strip():
                self._patterns.append(_percent_pattern(secret.strip()))

    def __call__(self, text):
        if not isinstance(text, str):
            return text
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        for pattern in self._patterns:
            text = pattern.sub(REDACTED, text)
        return text

    def data(self, value):
        """``value`` with the secrets removed from every string (dict keys too), at any depth."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return dict((self.data(key), self.data(item)) for key, item in value.items())
        if isinstance(value, (list, tuple)):
            return type(value)(self.data(item) for item in value)
        return value
