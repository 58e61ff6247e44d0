# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Droplet as the action rules see it, with the few extra reads some rules need, fetched once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import quote

from ansible_collections.oceanops.droplets.plugins.module_utils.api_client import DigitalOceanAPIError


class Catalog:
    """Account-wide lookups shared by every Droplet of one task (sizes, images)."""

    def __init__(self, client):
        self.client = client
        self._sizes = None
        self._images = {}

    def size(self, slug):
        if self._sizes is None:
            self._sizes = dict((size['slug'], size) for size in self.client.paginate('/v2/sizes', 'sizes'))
        return self._sizes.get(slug)

    def image(self, ref):
        ref = str(ref)
        if ref not in self._images:
            try:
                self._images[ref] = self.client.get('/v2/images/%s' % quote(ref, safe=''), expect='image')
            except DigitalOceanAPIError as error:
                if error.status != 404:
                    raise
                self._images[ref] = None
        return self._images[ref]


class DropletView:
    def __init__(self, client, droplet, params, catalog=None):
        self.client = client
        self.droplet = droplet
        self.params = params
        self.catalog = catalog or Catalog(client)
        self._cache = {}

    @property
    def path(self):
        return '/v2/droplets/%s' % self.droplet['id']

    def _once(self, key, fetch):
        if key not in self._cache:
            self._cache[key] = fetch()
        return self._cache[key]

    def prime(self, key, value):
        """Hand in an extra read done for many Droplets at once (a fleet lists them account-wide)."""
        self._cache[key] = value

    def backup_policy(self):
        """The Droplet's backup policy (plan, weekday, hour, ...), or None when backups are off."""
        def fetch():
            policy = self.client.get(self.path + '/backups/policy', expect='policy')
            return policy.get('backup_policy') if policy.get('backup_enabled', True) else None
        return self._once('policy', fetch)

    def snapshot_named(self, name):
        snapshots = self._once('snapshots', lambda: list(self.client.paginate(self.path + '/snapshots', 'snapshots')))
        return next((snap for snap in snapshots if snap.get('name') == name), None)

    def kernel_ids(self):
        return self._once('kernels', lambda: set(k['id'] for k in self.client.paginate(self.path + '/kernels', 'kernels')))

    def size(self, slug):
        return self.catalog.size(slug)

    def image(self, ref):
        return self.catalog.image(ref)

    def refreshed(self, droplet):
        """A view of a newer read of the same Droplet (fetched extras are read again when asked)."""
        return DropletView(self.client, droplet, self.params, self.catalog)
