"""What each of the sixteen action types checks when it is requested, and what it changes when it ends.

A rule is ``rule(store, droplet, body) -> apply``: it raises ApiError the way the API refuses a
request (422 with a message), or returns ``apply(store, droplet)``, run when the action completes.
Status changes are applied ``status_lag`` seconds after the action completes, as on the real API.
"""

import time

from simulator import catalog

BACKUP_POLICY_DEFAULT = {'plan': 'weekly', 'weekday': 'SUN', 'hour': 0, 'window_length_hours': 4,
                         'retention_period_days': 28}

POLICY_PLANS = ('daily', 'weekly')
WEEKDAYS = ('SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT')
HOURS = (0, 4, 8, 12, 16, 20)


def stamp(epoch):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(epoch))


class ApiError(Exception):
    def __init__(self, status, error_id, message, headers=None):
        super(ApiError, self).__init__(message)
        self.status = status
        self.error_id = error_id
        self.message = message
        self.headers = headers or {}


def refuse(message):
    return ApiError(422, 'unprocessable_entity', message)


def _set_status(status):
    def apply(store, droplet):
        def effect():
            droplet['status'] = status
        store.later(store.config.status_lag, effect)
    return apply


def power_on(store, droplet, body):
    if droplet['status'] == 'active':
        raise refuse('Droplet is already powered on.')
    return _set_status('active')


def power_off(store, droplet, body):
    if droplet['status'] == 'off':
        raise refuse('Droplet is already powered off.')
    return _set_status('off')


def shutdown(store, droplet, body):
    if droplet['status'] == 'off':
        raise refuse('Droplet is already powered off.')
    if store.config.shutdown_ignored:
        return None  # the guest ignored the ACPI signal: the action completes, the Droplet stays on
    return _set_status('off')


def reboot(store, droplet, body):
    if droplet['status'] != 'active':
        raise refuse('Droplet is not powered on.')
    return None


def power_cycle(store, droplet, body):
    return _set_status('active')


def password_reset(store, droplet, body):
    return None


def enable_backups(store, droplet, body):
    policy = _checked_policy(body.get('backup_policy'), required=False)
    return lambda store, droplet: set_backups(store, droplet, True, policy)


def disable_backups(store, droplet, body):
    return lambda store, droplet: set_backups(store, droplet, False)


def change_backup_policy(store, droplet, body):
    if 'backups' not in droplet['features']:
        raise refuse('Backups are not enabled for this Droplet.')
    policy = _checked_policy(body.get('backup_policy'), required=True)

    def apply(store, droplet):
        store.policies[droplet['id']].update(policy)
    return apply


def _checked_policy(policy, required):
    if policy is None:
        if required:
            raise refuse('backup_policy is required.')
        return {}
    if not isinstance(policy, dict):
        raise refuse('backup_policy must be an object.')
    checks = (('plan', POLICY_PLANS), ('weekday', WEEKDAYS), ('hour', HOURS))
    for key, allowed in checks:
        if key in policy and policy[key] not in allowed:
            raise refuse('backup_policy.%s must be one of %s.' % (key, ', '.join(str(a) for a in allowed)))
    return dict((key, policy[key]) for key, allowed in checks if key in policy)


def resize(store, droplet, body):
    slug = body.get('size')
    if not slug:
        raise refuse('size is required.')
    if slug not in catalog.SIZE_TABLE:
        raise refuse('You specified an invalid size for Droplet resize.')
    if droplet['status'] != 'off':
        raise refuse('Droplet must be powered off before resizing.')
    if slug == droplet['size_slug'] and not body.get('disk'):
        raise refuse('Droplet is already this size.')
    memory, vcpus, disk = catalog.SIZE_TABLE[slug][:3]
    if disk < droplet['disk']:
        raise refuse('This size is not available because it has a smaller disk.')

    def apply(store, droplet):
        droplet.update(memory=memory, vcpus=vcpus, size_slug=slug, size=catalog.size(slug))
        if body.get('disk'):
            droplet['disk'] = disk
            droplet['disk_info'] = [{'type': 'local', 'size': {'amount': disk, 'unit': 'gib'}}]
    return apply


def rebuild(store, droplet, body):
    if body.get('image') is None:
        raise refuse('image is required.')
    image = store.find_image(body['image'])
    if image is None or image['type'] == 'backup':
        raise refuse('You specified an invalid image for Droplet rebuild.')

    def apply(store, droplet):
        droplet['image'] = dict((k, v) for k, v in image.items() if not k.startswith('_'))
    return apply


def restore(store, droplet, body):
    image_id = body.get('image')
    if image_id is None:
        raise refuse('image is required.')
    if not isinstance(image_id, int) or image_id not in droplet['backup_ids']:
        raise refuse('The image you specified is not a backup of this Droplet.')
    return None


def rename(store, droplet, body):
    name = body.get('name')
    if not isinstance(name, str) or not name.strip():
        raise refuse('name is required.')

    def apply(store, droplet):
        droplet['name'] = name
    return apply


def change_kernel(store, droplet, body):
    kernel_id = body.get('kernel')
    offered = dict((entry[0], entry) for entry in catalog.KERNELS)
    if kernel_id not in offered:
        raise refuse('You specified an invalid kernel for this Droplet.')

    def apply(store, droplet):
        droplet['kernel'] = catalog.kernel(offered[kernel_id])
    return apply


def enable_ipv6(store, droplet, body):
    return lambda store, droplet: set_ipv6(droplet)


def snapshot(store, droplet, body):
    name = body.get('name') or '%s-%d' % (droplet['name'], int(store.clock()))
    return lambda store, droplet: store.add_image(droplet, 'snapshot', name)


ACTION_RULES = dict((rule.__name__, rule) for rule in (
    enable_backups, disable_backups, change_backup_policy, reboot, power_cycle, shutdown, power_off, power_on,
    restore, password_reset, resize, rebuild, rename, change_kernel, enable_ipv6, snapshot))

BULK_TYPES = ('power_cycle', 'power_on', 'power_off', 'shutdown', 'enable_ipv6', 'enable_backups',
              'disable_backups', 'snapshot')


def set_backups(store, droplet, enabled, policy=None):
    features = [f for f in droplet['features'] if f != 'backups']
    if enabled:
        features.append('backups')
        current = dict(store.policies.get(droplet['id']) or BACKUP_POLICY_DEFAULT)
        current.update(policy or {})
        store.policies[droplet['id']] = current
        droplet['next_backup_window'] = {'start': stamp(store.clock() + 86400), 'end': stamp(store.clock() + 86400 + 14400)}
    else:
        store.policies.pop(droplet['id'], None)
        droplet['next_backup_window'] = None
    droplet['features'] = features


def set_ipv6(droplet):
    if 'ipv6' not in droplet['features']:
        droplet['features'] = droplet['features'] + ['ipv6']
        droplet['networks'] = dict(droplet['networks'], v6=[{
            'ip_address': '2604:a880:800:10::%x' % (droplet['id'] % 65536), 'netmask': 64, 'gateway': '2604:a880:800:10::1',
            'type': 'public'}])
