"""Droplet records: building one as the API shows it, deleting, renaming, and the public view."""

from simulator import catalog
from simulator.common import not_found, public, refuse, stamp

EXTRA_FEATURES = ('monitoring', 'private_networking', 'droplet_agent')


def ipv4_public(droplet_id):
    return {'ip_address': '203.0.%d.%d' % (113 + droplet_id // 250 % 3, droplet_id % 250 + 1),
            'netmask': '255.255.255.0', 'gateway': '203.0.113.254', 'type': 'public'}


def ipv4_private(droplet_id):
    return {'ip_address': '10.%d.%d.%d' % (droplet_id // 65536 % 256, droplet_id // 256 % 256, droplet_id % 256),
            'netmask': '255.255.0.0', 'gateway': '10.0.0.1', 'type': 'private'}


def ipv6_network(droplet_id):
    return {'ip_address': '2604:a880:800:10::%x' % (droplet_id % 65536), 'netmask': 64,
            'gateway': '2604:a880:800:10::1', 'type': 'public'}


class DropletMixin:
    """Droplet bookkeeping for the Store: the record, and the name and tag indexes around it."""

    def create_droplet(self, name, region='nyc3', size='s-1vcpu-1gb', image='ubuntu-24-04-x64', tags=(),
                       status='active', features=(), backups=False, backup_policy=None, ipv6=False,
                       kernel_id=None, backup_count=0, ready=True):
        """A new Droplet; ``ready=False`` makes it ``new`` until its create action completes."""
        if size not in catalog.SIZE_TABLE:
            raise refuse('You specified an invalid size for Droplet creation.')
        if region not in catalog.REGION_NAMES:
            raise refuse('You specified an invalid region for Droplet creation.')
        base_image = self.find_image(image) if image is not None else None
        if base_image is None:
            raise refuse('You specified an invalid image for Droplet creation.')
        if kernel_id is not None and kernel_id not in catalog.KERNELS_BY_ID:
            raise refuse('You specified an invalid kernel for this Droplet.')
        if status not in ('active', 'off'):
            raise refuse('status must be active or off.')
        droplet_id = next(self.droplet_ids)
        memory, vcpus, disk = catalog.SIZE_TABLE[size][:3]
        shown = status if ready else 'new'
        droplet = {
            'id': droplet_id, 'name': name, 'memory': memory, 'vcpus': vcpus, 'disk': disk,
            'disk_info': [{'type': 'local', 'size': {'amount': disk, 'unit': 'gib'}}],
            'locked': False, 'status': shown, 'kernel': catalog.kernel(kernel_id) if kernel_id else None,
            'created_at': stamp(self.clock()), 'features': [], 'backup_ids': [], 'next_backup_window': None,
            'snapshot_ids': [], 'image': self.image_json(base_image), 'volume_ids': [], 'size': catalog.size(size),
            'size_slug': size, 'region': catalog.region(region), 'tags': [],
            'vpc_uuid': '5a4981aa-9653-4bd1-bef5-%012x' % catalog.REGION_SLUGS.index(region),
            'networks': {'v4': [ipv4_public(droplet_id)], 'v6': []},
            '_power': shown, '_pending': None, '_forced_lock': False,
        }
        self.droplets[droplet_id] = droplet
        self.by_name.setdefault(name.lower(), {})[droplet_id] = None
        for tag in tags:
            self.tag_resource(self.ensure_tag(tag), 'droplets', droplet)
        self.set_features(droplet, list(features) + (['backups'] if backups else []) + (['ipv6'] if ipv6 else []),
                          backup_policy)
        for number in range(backup_count):
            created = self.clock() - 86400 * (backup_count - number)
            self.add_image(droplet, 'backup', '%s %s' % (name, stamp(created)[:10]), created=created)
        return droplet

    def set_features(self, droplet, features, backup_policy=None):
        """Set a Droplet's features directly (seeding and the control API), with what each implies."""
        wanted = list(dict.fromkeys(features))
        if ('backups' in wanted) != ('backups' in droplet['features']) or (backup_policy and 'backups' in wanted):
            self.set_backups(droplet, 'backups' in wanted, backup_policy)
        if 'ipv6' in wanted:
            self.set_ipv6(droplet)
        else:
            droplet['networks'] = dict(droplet['networks'], v6=[])
        v4 = [net for net in droplet['networks']['v4'] if net['type'] == 'public']
        if 'private_networking' in wanted:
            v4.append(ipv4_private(droplet['id']))
        droplet['networks'] = dict(droplet['networks'], v4=v4)
        droplet['features'] = wanted

    def delete_droplet(self, droplet):
        """Remove a Droplet; its backups go with it, its snapshots stay (as on DigitalOcean)."""
        droplet_id = droplet['id']
        del self.droplets[droplet_id]
        names = self.by_name.get(droplet['name'].lower(), {})
        names.pop(droplet_id, None)
        for tag_name in droplet['tags']:
            self.tags[tag_name]['droplets'].pop(droplet_id, None)
        for image_id in list(droplet['backup_ids']):
            self.delete_image(image_id)
        self.policies.pop(droplet_id, None)
        self.actions_by_droplet.pop(droplet_id, None)

    def rename_droplet(self, droplet, name):
        self.by_name.get(droplet['name'].lower(), {}).pop(droplet['id'], None)
        droplet['name'] = name
        self.by_name.setdefault(name.lower(), {})[droplet['id']] = None

    def droplets_named(self, name):
        return [self.droplets[i] for i in sorted(self.by_name.get(name.lower(), {}))]

    def droplet_view(self, droplet):
        view = public(droplet)
        # an admin lock only: DigitalOcean keeps ``locked`` false while actions run (droplet_kit issue 218)
        view['locked'] = droplet['_forced_lock']
        return view

    def droplet_or_404(self, droplet_id):
        droplet = self.droplets.get(int(droplet_id)) if str(droplet_id).isdigit() else None
        if droplet is None:
            raise not_found()
        return droplet
