"""The sixteen Droplet action types: what each checks when requested, what it changes when it ends.

A rule is ``rule(store, droplet, body) -> apply``. It raises ApiError (a 422 naming the problem)
the way the API refuses a request, or returns ``apply(store, droplet)`` (or None for no change),
which the store runs when the action completes. Checks read the Droplet's real power state
(``_power``); the visible ``status`` follows ``status_lag`` seconds after the action ends.
"""

import re

from simulator import backups, catalog
from simulator.common import refuse

# Droplet names must be valid hostnames: letters, digits, dots and dashes.
NAME_PATTERN = re.compile(r'^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$')


def set_power(status):
    def apply(store, droplet):
        droplet['_power'] = status
        store.later(store.config.status_lag, lambda: droplet.update(status=status))
    return apply


def power_on(store, droplet, body):
    if droplet['_power'] == 'active':
        raise refuse('Droplet is already powered on.')
    return set_power('active')


def power_off(store, droplet, body):
    if droplet['_power'] == 'off':
        raise refuse('Droplet is already powered off.')
    return set_power('off')


def shutdown(store, droplet, body):
    if droplet['_power'] == 'off':
        raise refuse('Droplet is already powered off.')
    if store.config.shutdown_ignored:
        return None  # the guest ignored the ACPI signal: the action completes, the Droplet stays on
    return set_power('off')


def reboot(store, droplet, body):
    if droplet['_power'] != 'active':
        raise refuse('Droplet is not powered on.')
    return None


def power_cycle(store, droplet, body):
    return set_power('active')  # an off Droplet comes up, like pressing reset on a machine


def password_reset(store, droplet, body):
    return None


def enable_backups(store, droplet, body):
    change = backups.checked(body.get('backup_policy'), required=False)
    return lambda store, droplet: store.set_backups(droplet, True, change)


def disable_backups(store, droplet, body):
    return lambda store, droplet: store.set_backups(droplet, False)


def change_backup_policy(store, droplet, body):
    if 'backups' not in droplet['features']:
        raise refuse('Backups are not enabled for this Droplet.')
    change = backups.checked(body.get('backup_policy'), required=True)
    return lambda store, droplet: store.set_backups(droplet, True, change)


def resize(store, droplet, body):
    slug = body.get('size')
    if slug is None or slug == '':
        raise refuse('size is required to resize a Droplet.')
    if not isinstance(slug, str) or slug not in catalog.SIZE_TABLE:
        raise refuse('You specified an invalid size for Droplet resize.')
    grow_disk = body.get('disk', False)
    if not isinstance(grow_disk, bool):
        raise refuse('disk must be true or false.')
    # A running Droplet is accepted: the API powers it off for the resize itself (doctl's resize help;
    # DigitalOcean's own live tests resize a freshly created, running Droplet). It keeps its power state.
    memory, vcpus, disk = catalog.SIZE_TABLE[slug][:3]
    if slug == droplet['size_slug'] and (not grow_disk or disk == droplet['disk']):
        raise refuse('Droplet is already this size.')
    if disk < droplet['disk']:
        # a disk can never shrink: a Droplet whose disk grew cannot go back to a smaller-disk size
        raise refuse('This size is not available because it has a smaller disk.')

    def apply(store, droplet):
        droplet.update(memory=memory, vcpus=vcpus, size_slug=slug, size=catalog.size(slug))
        if grow_disk:
            droplet['disk'] = disk
            droplet['disk_info'] = [{'type': 'local', 'size': {'amount': disk, 'unit': 'gib'}}]
    return apply


def rebuild(store, droplet, body):
    ref = body.get('image')
    if ref is None or ref == '':
        raise refuse('image is required to rebuild a Droplet.')
    image = store.find_image(ref) if isinstance(ref, (int, str)) and not isinstance(ref, bool) else None
    if image is None:
        raise refuse('You specified an invalid image for Droplet rebuild.')
    if (image.get('min_disk_size') or 0) > droplet['disk']:
        raise refuse('The image requires a disk of at least %d GB; this Droplet has %d GB.'
                     % (image['min_disk_size'], droplet['disk']))

    def apply(store, droplet):
        droplet['image'] = store.image_json(image)
    return apply


def restore(store, droplet, body):
    image_id = body.get('image')
    if image_id is None:
        raise refuse('image is required to restore a Droplet.')
    if isinstance(image_id, bool) or not isinstance(image_id, int):
        raise refuse('image must be the integer id of a backup of this Droplet.')
    if image_id not in droplet['backup_ids']:
        raise refuse('The image you specified is not a backup of this Droplet.')
    return None  # the disk goes back in time; nothing the API shows changes


def rename(store, droplet, body):
    name = body.get('name')
    if name is None or name == '':
        raise refuse('name is required to rename a Droplet.')
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise refuse('Name is invalid: only letters, digits, dots and dashes, at most 253 characters.')
    return lambda store, droplet: store.rename_droplet(droplet, name)


def change_kernel(store, droplet, body):
    if droplet['kernel'] is None:  # "Only applies to Droplets with externally managed kernels" (API docs)
        raise refuse('This Droplet uses an internally managed kernel; change_kernel applies only to Droplets '
                     'with externally managed kernels.')
    kernel_id = body.get('kernel')
    if kernel_id is None:
        raise refuse('kernel is required to change a Droplet\'s kernel.')
    if isinstance(kernel_id, bool) or kernel_id not in catalog.KERNELS_BY_ID:
        raise refuse('You specified an invalid kernel for this Droplet.')

    def apply(store, droplet):
        droplet['kernel'] = catalog.kernel(kernel_id)
    return apply


def enable_ipv6(store, droplet, body):
    return lambda store, droplet: store.set_ipv6(droplet)


def snapshot(store, droplet, body):
    name = body.get('name')
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise refuse('name must be a non-empty string.')

    def apply(store, droplet):
        store.add_image(droplet, 'snapshot', name or '%s-%d' % (droplet['name'], int(store.effect_time() * 1000)))
    return apply


RULES = dict((rule.__name__, rule) for rule in (
    enable_backups, disable_backups, change_backup_policy, reboot, power_cycle, shutdown, power_off, power_on,
    restore, password_reset, resize, rebuild, rename, change_kernel, enable_ipv6, snapshot))

# The types POST /v2/droplets/actions?tag_name= accepts.
BULK_TYPES = ('power_cycle', 'power_on', 'power_off', 'shutdown', 'enable_ipv6', 'enable_backups',
              'disable_backups', 'snapshot')
