"""The simulated account: Droplets, actions, images, and a clock that finishes actions lazily.

Nothing runs in the background. Every request first calls ``advance()``, which completes the
actions whose time has come and applies their effects, so a thousand running actions cost
nothing until somebody looks.
"""

import heapq
import itertools
import threading
import time

from simulator import catalog
from simulator.actions import ACTION_RULES, ApiError, set_backups, set_ipv6, stamp


class Config:
    def __init__(self, action_seconds=2.0, status_lag=0.5):
        self.action_seconds = {'default': action_seconds}
        self.status_lag = status_lag
        self.shutdown_ignored = False

    def duration(self, action_type):
        return float(self.action_seconds.get(action_type, self.action_seconds['default']))


class Store:
    def __init__(self, config, clock=time.time):
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self.ids = itertools.count(3164444)
        self.action_ids = itertools.count(36804636)
        self.droplets = {}
        self.actions = {}
        self.action_order = []          # ids, oldest first (lists are served newest first)
        self.actions_by_droplet = {}
        self.running = []               # heap of (ends_at, action id)
        self.deferred = []              # heap of (at, seq, callable): effects that lag the action
        self.seq = itertools.count()
        self.images = {}
        self.policies = {}              # droplet id -> backup policy
        self.next_outcomes = []         # scripted action outcomes: dicts with droplet_id/type/outcome
        self.finishing_at = None        # end time of the action whose effects are being applied
        created = stamp(self.clock() - 86400 * 30)
        for entry in catalog.DISTRIBUTION_IMAGES:
            image = catalog.distribution_image(entry, created)
            self.images[image['id']] = image

    # -- time ---------------------------------------------------------------------------------
    def advance(self):
        now = self.clock()
        while self.running and self.running[0][0] <= now:
            ends_at, action_id = heapq.heappop(self.running)
            self._finish(self.actions[action_id], ends_at)
        while self.deferred and self.deferred[0][0] <= now:
            heapq.heappop(self.deferred)[2]()

    def later(self, delay, effect):
        """Apply ``effect`` ``delay`` seconds after the action being finished ended (or after now)."""
        base = self.finishing_at if self.finishing_at is not None else self.clock()
        heapq.heappush(self.deferred, (base + delay, next(self.seq), effect))

    def _finish(self, action, ends_at):
        action['completed_at'] = stamp(ends_at)
        if action['_outcome'] == 'errored':
            action['status'] = 'errored'
            return
        action['status'] = 'completed'
        droplet = self.droplets.get(action['resource_id'])
        if droplet is not None and action['_apply'] is not None:
            # Effects are timed from when the action ended, not from when somebody looked.
            self.finishing_at = ends_at
            try:
                action['_apply'](self, droplet)
            finally:
                self.finishing_at = None

    # -- Droplets -----------------------------------------------------------------------------
    def create_droplet(self, name, region='nyc3', size='s-1vcpu-1gb', image='ubuntu-24-04-x64', tags=(),
                       status='active', backups=False, ipv6=False, kernel_id=None, backup_count=0, ready=True):
        if size not in catalog.SIZE_TABLE:
            raise ApiError(422, 'unprocessable_entity', 'You specified an invalid size for Droplet creation.')
        if region not in catalog.REGION_SLUGS:
            raise ApiError(422, 'unprocessable_entity', 'You specified an invalid region for Droplet creation.')
        base_image = self.find_image(image)
        if base_image is None:
            raise ApiError(422, 'unprocessable_entity', 'You specified an invalid image for Droplet creation.')
        droplet_id = next(self.ids)
        octet = droplet_id % 250 + 1
        memory, vcpus, disk = catalog.SIZE_TABLE[size][:3]
        droplet = {
            'id': droplet_id, 'name': name, 'memory': memory, 'vcpus': vcpus, 'disk': disk,
            'disk_info': [{'type': 'local', 'size': {'amount': disk, 'unit': 'gib'}}],
            'locked': False, 'status': status if ready else 'new', 'kernel': None,
            'created_at': stamp(self.clock()), 'features': [], 'backup_ids': [], 'next_backup_window': None,
            'snapshot_ids': [], 'image': dict(base_image), 'volume_ids': [], 'size': catalog.size(size),
            'size_slug': size, 'region': catalog.region(region), 'tags': list(tags),
            'vpc_uuid': 'c0ffee00-0000-4000-8000-%012d' % catalog.REGION_SLUGS.index(region),
            'networks': {'v4': [{'ip_address': '203.0.113.%d' % octet, 'netmask': '255.255.255.0',
                                 'gateway': '203.0.113.254', 'type': 'public'}], 'v6': []},
        }
        if kernel_id is not None:
            droplet['kernel'] = catalog.kernel(next(k for k in catalog.KERNELS if k[0] == kernel_id))
        self.droplets[droplet_id] = droplet
        self.actions_by_droplet[droplet_id] = []
        if backups:
            set_backups(self, droplet, True)
        if ipv6:
            set_ipv6(droplet)
        for number in range(backup_count):
            self.add_image(droplet, 'backup', '%s backup %d' % (name, number + 1))
        return droplet

    def find_image(self, ref):
        text = str(ref)
        if text.isdigit():
            return self.images.get(int(text))
        return next((image for image in self.images.values() if image.get('slug') == text), None)

    def add_image(self, droplet, kind, name):
        image_id = next(self.ids) + 60000000
        self.images[image_id] = {
            'id': image_id, 'name': name, 'distribution': droplet['image'].get('distribution', 'Ubuntu'), 'slug': None,
            'public': False, 'regions': [droplet['region']['slug']], 'created_at': stamp(self.clock()), 'type': kind,
            'min_disk_size': droplet['disk'], 'size_gigabytes': 1.42, 'description': '', 'tags': [],
            'status': 'available', '_droplet_id': droplet['id']}
        droplet['backup_ids' if kind == 'backup' else 'snapshot_ids'].append(image_id)
        return self.images[image_id]

    def delete_droplet(self, droplet_id):
        self.droplets.pop(droplet_id, None)

    def is_locked(self, droplet_id):
        return any(self.actions[a]['status'] == 'in-progress' for a in self.actions_by_droplet.get(droplet_id, [])[-5:])

    def droplet_view(self, droplet):
        view = dict(droplet)
        view['locked'] = self.is_locked(droplet['id'])
        return view

    # -- actions ------------------------------------------------------------------------------
    def start_action_unchecked(self, droplet, action_type, apply):
        """An action the API starts itself (create): no validation, no lock check."""
        return self._record_action(droplet, action_type, apply, 'completed')

    def start_action(self, droplet, body, bulk=False):
        """Validate and start one action; raises ApiError exactly as the API refuses it."""
        action_type = body.get('type')
        rule = ACTION_RULES.get(action_type)
        if rule is None:
            raise ApiError(422, 'unprocessable_entity', 'You specified an invalid action type: %s' % action_type)
        if self.is_locked(droplet['id']):
            raise ApiError(422, 'unprocessable_entity', 'Droplet already has a pending event.')
        outcome = 'completed'
        try:
            apply = rule(self, droplet, body)
        except ApiError:
            if not bulk:
                raise
            apply, outcome = None, 'errored'  # by tag, an inapplicable Droplet gets an errored action
        for scripted in list(self.next_outcomes):
            if scripted.get('droplet_id') in (None, droplet['id']) and scripted.get('type') in (None, action_type):
                outcome = scripted['outcome']
                self.next_outcomes.remove(scripted)
                break
        return self._record_action(droplet, action_type, apply, outcome)

    def _record_action(self, droplet, action_type, apply, outcome):
        now = self.clock()
        action = {'id': next(self.action_ids), 'status': 'in-progress', 'type': action_type, 'started_at': stamp(now),
                  'completed_at': None, 'resource_id': droplet['id'], 'resource_type': 'droplet',
                  'region': catalog.region(droplet['region']['slug']), 'region_slug': droplet['region']['slug'],
                  '_apply': apply, '_outcome': outcome}
        self.actions[action['id']] = action
        self.action_order.append(action['id'])
        self.actions_by_droplet.setdefault(droplet['id'], []).append(action['id'])
        if outcome != 'stuck':
            heapq.heappush(self.running, (now + self.config.duration(action_type), action['id']))
        return action


def public(record):
    """A stored object without the simulator's private keys (those starting with '_')."""
    return dict((key, value) for key, value in record.items() if not key.startswith('_'))
