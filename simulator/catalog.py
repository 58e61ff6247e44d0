"""The fixed catalog every simulated account sees: regions, sizes, public images, kernels."""

REGION_SLUGS = ['nyc1', 'nyc3', 'sfo3', 'ams3', 'fra1', 'lon1']
REGION_NAMES = {'nyc1': 'New York 1', 'nyc3': 'New York 3', 'sfo3': 'San Francisco 3', 'ams3': 'Amsterdam 3',
                'fra1': 'Frankfurt 1', 'lon1': 'London 1'}
REGION_FEATURES = ['backups', 'ipv6', 'metadata', 'install_agent', 'storage', 'image_transfer']

# slug: (memory MB, vcpus, disk GB, monthly price)
SIZE_TABLE = {
    's-1vcpu-512mb-10gb': (512, 1, 10, 4.0),
    's-1vcpu-1gb': (1024, 1, 25, 6.0),
    's-1vcpu-2gb': (2048, 1, 50, 12.0),
    's-2vcpu-2gb': (2048, 2, 60, 18.0),
    's-2vcpu-4gb': (4096, 2, 80, 24.0),
    's-4vcpu-8gb': (8192, 4, 160, 48.0),
}

DISTRIBUTION_IMAGES = [
    (129211873, 'ubuntu-24-04-x64', '24.04 (LTS) x64', 'Ubuntu'),
    (129211874, 'ubuntu-22-04-x64', '22.04 (LTS) x64', 'Ubuntu'),
    (129211875, 'debian-12-x64', '12 x64', 'Debian'),
    (129211876, 'fedora-40-x64', '40 x64', 'Fedora'),
]

KERNELS = [
    (7515, 'DigitalOcean GrubLoader v0.2 (20160714)', '2016.07.13-DigitalOcean_loader_Ubuntu'),
    (7516, 'Ubuntu 22.04 x64 vmlinuz-5.15.0-91-generic', '5.15.0-91-generic'),
    (7517, 'Ubuntu 22.04 x64 vmlinuz-5.15.0-94-generic', '5.15.0-94-generic'),
]


def region(slug):
    return {'name': REGION_NAMES[slug], 'slug': slug, 'features': list(REGION_FEATURES), 'available': True,
            'sizes': sorted(SIZE_TABLE)}


def size(slug):
    memory, vcpus, disk, price = SIZE_TABLE[slug]
    return {'slug': slug, 'memory': memory, 'vcpus': vcpus, 'disk': disk, 'transfer': 1.0 + memory / 1024.0,
            'price_monthly': price, 'price_hourly': round(price / 672.0, 5), 'regions': list(REGION_SLUGS),
            'available': True, 'description': 'Basic'}


def kernel(entry):
    kernel_id, name, version = entry
    return {'id': kernel_id, 'name': name, 'version': version}


def distribution_image(entry, created_at):
    image_id, slug, name, distribution = entry
    return {'id': image_id, 'name': name, 'distribution': distribution, 'slug': slug, 'public': True,
            'regions': list(REGION_SLUGS), 'created_at': created_at, 'type': 'base', 'min_disk_size': 7,
            'size_gigabytes': 2.36, 'description': '%s %s' % (distribution, name), 'tags': [], 'status': 'available'}
