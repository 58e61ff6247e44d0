"""HTTPS for the simulator: a self-signed certificate made with the openssl binary, served with stdlib ssl.

SDKs built on azure-core (pydo) refuse to send a bearer token over plain http, so they can use the
simulator only over TLS. The certificate names 127.0.0.1, ::1 and localhost and is its own CA:
clients trust it through their usual setting (REQUESTS_CA_BUNDLE, SSL_CERT_FILE, pydo's
``connection_verify``).
"""

import os
import shutil
import ssl
import subprocess
import tempfile

SUBJECT_ALT_NAMES = 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost'


class TlsError(Exception):
    """The certificate could not be made or loaded; the message says which file and why."""


def generate_certificate(folder=None, days=30):
    """(cert path, key path) of a new self-signed certificate in ``folder`` (a new temporary one by default)."""
    openssl = shutil.which('openssl')
    if openssl is None:
        raise TlsError('--tls needs the openssl binary to make a certificate (or give --tls-cert and --tls-key)')
    folder = folder or tempfile.mkdtemp(prefix='do-simulator-tls-')
    cert, key = os.path.join(folder, 'cert.pem'), os.path.join(folder, 'key.pem')
    command = [openssl, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', str(days),
               '-keyout', key, '-out', cert, '-subj', '/CN=DigitalOcean API simulator',
               '-addext', SUBJECT_ALT_NAMES, '-addext', 'basicConstraints=critical,CA:TRUE',
               '-addext', 'keyUsage=critical,digitalSignature,keyCertSign']
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        last = (finished.stderr.strip().splitlines() or ['no output'])[-1]
        raise TlsError('openssl could not make a certificate in %s: %s' % (folder, last))
    return cert, key


def server_context(cert, key):
    """A server-side SSLContext for ``cert``/``key``; TlsError naming the file when either cannot be used."""
    for path in (cert, key):
        if not os.path.isfile(path):
            raise TlsError('TLS file not found: %s' % path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as error:
        raise TlsError('cannot use %s with %s: %s' % (cert, key, error)) from None
    return context
