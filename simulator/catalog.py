"""The fixed catalog every simulated account sees: regions, sizes, public images, kernels.

Numbers follow DigitalOcean's published Basic plans (memory, vCPUs, disk, transfer, price); ids are
made up but stable, so tests and docs can name them.
"""

REGION_NAMES = {'nyc1': 'New York 1', 'nyc3': 'New York 3', 'sfo3': 'San Francisco 3', 'ams3': 'Amsterdam 3',
                'fra1': 'Frankfurt 1', 'lon1': 'London 1'}
REGION_SLUGS = list(REGION_NAMES)
REGION_FEATURES = ['backups', 'ipv6', 'metadata', 'install_agent', 'storage', 'image_transfer']

# slug: (memory MiB, vcpus, disk GB, transfer TB, monthly price USD)
SIZE_TABLE = {
    's-1vcpu-512mb-10gb': (512, 1, 10, 0.5, 4.0),
    's-1vcpu-1gb': (1024, 1, 25, 1.0, 6.0),
    's-1vcpu-2gb': (2048, 1, 50, 2.0, 12.0),
    's-2vcpu-2gb': (2048, 2, 60, 3.0, 18.0),
    's-2vcpu-4gb': (4096, 2, 80, 4.0, 24.0),
    's-4vcpu-8gb': (8192, 4, 160, 5.0, 48.0),
    's-8vcpu-16gb': (16384, 8, 320, 6.0, 96.0),
}
SIZE_SLUGS = sorted(SIZE_TABLE, key=lambda slug: SIZE_TABLE[slug][4])

# (id, slug, name, distribution, min disk GB, size GB)
DISTRIBUTION_IMAGES = [
    (129211873, 'ubuntu-24-04-x64', '24.04 (LTS) x64', 'Ubuntu', 7, 2.36),
    (129211874, 'ubuntu-22-04-x64', '22.04 (LTS) x64', 'Ubuntu', 7, 2.2),
    (129211875, 'debian-12-x64', '12 x64', 'Debian', 7, 1.1),
    (129211876, 'fedora-40-x64', '40 x64', 'Fedora', 7, 1.5),
    (129211877, 'rockylinux-9-x64', '9 x64', 'Rocky Linux', 7, 1.4),
]
# One-click application images: public, typed "base" like distributions, listed with type=application.
APPLICATION_IMAGES = [
    (130100001, 'docker-20-04', 'Docker on Ubuntu 22.04', 'Ubuntu', 25, 5.1),
    (130100002, 'wordpress-20-04', 'WordPress on Ubuntu 22.04', 'Ubuntu', 25, 6.4),
]

KERNELS = [
    (7515, 'DigitalOcean GrubLoader v0.2 (20160714)', '2016.07.13-DigitalOcean_loader_Ubuntu'),
    (7516, 'Ubuntu 22.04 x64 vmlinuz-5.15.0-91-generic', '5.15.0-91-generic'),
    (7517, 'Ubuntu 22.04 x64 vmlinuz-5.15.0-94-generic', '5.15.0-94-generic'),
    (7518, 'Ubuntu 24.04 x64 vmlinuz-6.8.0-31-generic', '6.8.0-31-generic'),
]
KERNELS_BY_ID = dict((entry[0], entry) for entry in KERNELS)


def region(slug):
    return {'name': REGION_NAMES[slug], 'slug': slug, 'features': list(REGION_FEATURES), 'available': True,
            'sizes': list(SIZE_SLUGS)}


def size(slug):
    memory, vcpus, disk, transfer, price = SIZE_TABLE[slug]
    return {'slug': slug, 'memory': memory, 'vcpus': vcpus, 'disk': disk, 'transfer': transfer,
            'price_monthly': price, 'price_hourly': round(price / 672.0, 5), 'regions': list(REGION_SLUGS),
            'available': True, 'description': 'Basic',
            'disk_info': [{'type': 'local', 'size': {'amount': disk, 'unit': 'gib'}}]}


def kernel(kernel_id):
    kernel_id, name, version = KERNELS_BY_ID[kernel_id]
    return {'id': kernel_id, 'name': name, 'version': version}


def public_images(created_at):
    """The public images as stored records; '_kind' (private) tells distribution from application."""
    images = []
    for kind, table in (('distribution', DISTRIBUTION_IMAGES), ('application', APPLICATION_IMAGES)):
        for image_id, slug, name, distribution, min_disk, gigabytes in table:
            images.append({
                'id': image_id, 'name': name, 'distribution': distribution, 'slug': slug, 'public': True,
                'regions': list(REGION_SLUGS), 'created_at': created_at, 'type': 'base', 'min_disk_size': min_disk,
                'size_gigabytes': gigabytes, 'description': '%s %s' % (distribution, name), 'tags': [],
                'status': 'available', 'error_message': '', '_kind': kind})
    return images
