"""Redaction for live recordings: the token and every IP address (v4 and v6) leave no trace.

Used by the recording proxy on every string it writes, and by the tests to prove a recording
holds no address: ``find_addresses`` is the same scanner the redaction uses.
"""

import ipaddress
import re

TOKEN_MARK = '[redacted-token]'
IPV4_MARK = '[redacted-ipv4]'
IPV6_MARK = '[redacted-ipv6]'

# DigitalOcean token shapes (personal, OAuth, refresh), redacted even when they are not the run's token.
TOKEN_SHAPES = re.compile(r'\bdo[a-z]_v1_[0-9a-fA-F]{16,}\b')
IPV4_CANDIDATE = re.compile(r'(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])')
# Anything made of hex digits, colons and dots with at least two colons; ipaddress decides.
IPV6_CANDIDATE = re.compile(r'(?<![\w:.])[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%\w+)?(?![\w:])')


def _is_ip(text, version):
    try:
        return ipaddress.ip_address(text.split('%')[0]).version == version
    except ValueError:
        return False


def find_addresses(text):
    """Every IPv4 and IPv6 address in ``text`` (as written)."""
    found = [match for match in IPV4_CANDIDATE.findall(text) if _is_ip(match, 4)]
    found += [match for match in IPV6_CANDIDATE.findall(text) if _is_ip(match.strip('.'), 6)]
    return found


def redact_text(text, secrets=()):
    for secret in secrets:
        if secret:
            text = text.replace(secret, TOKEN_MARK)
    text = TOKEN_SHAPES.sub(TOKEN_MARK, text)
    text = IPV6_CANDIDATE.sub(lambda m: IPV6_MARK if _is_ip(m.group(0).strip('.'), 6) else m.group(0), text)
    return IPV4_CANDIDATE.sub(lambda m: IPV4_MARK if _is_ip(m.group(0), 4) else m.group(0), text)


def redact(value, secrets=()):
    """A copy of a JSON value with every string (keys included) redacted."""
    if isinstance(value, dict):
        return dict((redact_text(key, secrets), redact(item, secrets)) for key, item in value.items())
    if isinstance(value, list):
        return [redact(item, secrets) for item in value]
    if isinstance(value, str):
        return redact_text(value, secrets)
    return value
