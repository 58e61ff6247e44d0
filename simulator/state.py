"""The simulated account and its clock: Droplets, actions, images, tags, and lazy completion.

Nothing runs in the background. Every request first calls ``advance()``, which completes the
actions whose time has come (in time order) and applies their effects, so a thousand running
actions cost nothing until somebody looks. Indexes (by tag, by name, per Droplet, account-wide
order) keep every read proportional to what it returns, not to the whole history.
"""

import heapq
import itertools
import threading
import time

from simulator import backups, catalog, droplets
from simulator.actions import RULES
from simulator.common import ApiError, public, refuse, stamp


class Config:
    """Settings the control API can change while the simulator runs."""

    def __init__(self, action_seconds=2.0, status_lag=0.5):
        self.action_seconds = {'default': float(action_seconds)}
        self.status_lag = float(status_lag)
        self.shutdown_ignored = False
        self.tag_busy = 'refuse'        # by tag with busy Droplets: 'refuse', 'skip' or 'errored' (TAG_BUSY_MODES)
        self.strict_validation = True   # Content-Type and paging bounds as the spec has them

    def duration(self, action_type):
        return float(self.action_seconds.get(action_type, self.action_seconds['default']))


# How a by-tag action treats tagged Droplets that are busy (no evidence: see docs/simulator.md):
# refuse the whole request with the pending-event 422, skip them, or give each an action that ends errored.
TAG_BUSY_MODES = ('refuse', 'skip', 'errored')
PENDING_EVENT = 'Droplet already has a pending event.'

# What a tag can hold here: the store's tables of that name, and the tag's resource kinds in the API.
TAGGABLE = ('droplets', 'images')


class Store(droplets.DropletMixin):
    def __init__(self, config, clock=time.time):
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self.droplet_ids = itertools.count(3164444)
        self.action_ids = itertools.count(36804636)
        self.image_ids = itertools.count(160000001)
        self.seq = itertools.count()
        self.droplets = {}              # id -> Droplet; ids only grow, so this is in id order
        self.by_name = {}               # lower-cased name -> {id: None}
        self.tags = {}                  # canonical name -> {'name', 'droplets': {id: None}, 'images': {id: None}, ...}
        self.images = {}
        self.policies = {}              # Droplet id -> backup policy, while backups are on
        self.actions = {}
        self.action_order = []          # ids, oldest first; lists are served newest first by index
        self.actions_by_droplet = {}
        self.action_counts = {}         # Droplet id -> {type: n}, for /_sim/stats (create not counted)
        self.timeline = []              # heap of (time, seq, callable): action ends and lagging effects
        self.next_outcomes = []         # scripted outcomes: {'droplet_id', 'type', 'outcome'}
        self.finishing_at = None        # end time of the action whose effects are being applied
        for image in catalog.public_images(stamp(self.clock() - 86400 * 60)):
            self.images[image['id']] = image

    # -- time ---------------------------------------------------------------------------------
    def advance(self):
        """Run, in time order, every action end and lagging effect that is due."""
        now = self.clock()
        while self.timeline and self.timeline[0][0] <= now:
            at, unused, effect = heapq.heappop(self.timeline)
            self.finishing_at = at  # effects are timed from when they were due, not from when someone looked
            try:
                effect()
            finally:
                self.finishing_at = None

    def at(self, when, effect):
        heapq.heappush(self.timeline, (when, next(self.seq), effect))

    def later(self, delay, effect):
        """Apply ``effect`` ``delay`` seconds after the effect being applied now was due."""
        self.at(self.effect_time() + delay, effect)

    def effect_time(self):
        return self.finishing_at if self.finishing_at is not None else self.clock()

    # -- actions ------------------------------------------------------------------------------
    def start_action(self, droplet, body, bulk=False, outcome=None):
        """Validate and start one action; raises ApiError exactly as the API refuses it.

        ``bulk``: by tag, a Droplet the action cannot apply to (or a busy one, which the caller lets
        through only in the 'errored' tag_busy mode) gets an errored action instead of failing the whole
        request. ``outcome``: 'errored' or 'stuck' forced by a fault.
        """
        action_type = body.get('type')
        rule = RULES.get(action_type)
        if rule is None:
            raise refuse('You specified an invalid action type: %s.' % action_type)
        if self.is_locked(droplet):
            if not bulk:
                raise refuse(PENDING_EVENT)
            return self._record_action(droplet, action_type, None, 'errored', holds=False)
        try:
            apply = rule(self, droplet, body)
        except ApiError:
            if not bulk:
                raise
            apply, outcome = None, 'errored'
        outcome = outcome or self._scripted_outcome(droplet['id'], action_type) or 'completed'
        return self._record_action(droplet, action_type, apply, outcome)

    def start_create_action(self, droplet):
        def apply(store, created):
            created['_power'] = 'active'
            store.later(store.config.status_lag, lambda: created.update(status='active'))
        return self._record_action(droplet, 'create', apply, 'completed')

    def _scripted_outcome(self, droplet_id, action_type):
        for scripted in self.next_outcomes:
            if scripted.get('droplet_id') in (None, droplet_id) and scripted.get('type') in (None, action_type):
                self.next_outcomes.remove(scripted)
                return scripted['outcome']
        return None

    def _record_action(self, droplet, action_type, apply, outcome, holds=True):
        """``holds``: the action makes its Droplet busy (not so for one errored at once on a busy Droplet)."""
        now = self.clock()
        slug = droplet['region']['slug']
        action = {'id': next(self.action_ids), 'status': 'in-progress', 'type': action_type, 'started_at': stamp(now),
                  'completed_at': None, 'resource_id': droplet['id'], 'resource_type': 'droplet',
                  'region': catalog.region(slug), 'region_slug': slug}
        self.actions[action['id']] = action
        self.action_order.append(action['id'])
        self.actions_by_droplet.setdefault(droplet['id'], []).append(action['id'])
        if action_type != 'create':
            counts = self.action_counts.setdefault(droplet['id'], {})
            counts[action_type] = counts.get(action_type, 0) + 1
        if holds:
            droplet['_pending'] = action['id']
        if outcome != 'stuck':  # a stuck action never ends and keeps its Droplet locked
            self.at(now + self.config.duration(action_type), lambda: self._finish(action, apply, outcome))
        return action

    def _finish(self, action, apply, outcome):
        action['completed_at'] = stamp(self.finishing_at)
        action['status'] = 'errored' if outcome == 'errored' else 'completed'
        droplet = self.droplets.get(action['resource_id'])
        if droplet is None:
            return
        if droplet.get('_pending') == action['id']:
            droplet['_pending'] = None
        if outcome != 'errored' and apply is not None:
            apply(self, droplet)

    def is_locked(self, droplet):
        return droplet.get('_pending') is not None or droplet.get('_forced_lock', False)

    # -- images -------------------------------------------------------------------------------
    def find_image(self, ref):
        """An image by id (int or digits) or by public slug; None when there is none."""
        text = str(ref)
        if text.isdigit():
            return self.images.get(int(text))
        return next((image for image in self.images.values() if image.get('slug') == text), None)

    def image_json(self, image):
        return public(image)

    def add_image(self, droplet, kind, name, created=None):
        """A backup or snapshot of ``droplet``, stored as a private image."""
        image_id = next(self.image_ids)
        self.images[image_id] = {
            'id': image_id, 'name': name, 'distribution': droplet['image'].get('distribution', 'Unknown'),
            'slug': None, 'public': False, 'regions': [droplet['region']['slug']],
            'created_at': stamp(self.effect_time() if created is None else created), 'type': kind,
            'min_disk_size': droplet['disk'], 'size_gigabytes': round(1.2 + droplet['disk'] / 40.0, 2),
            'description': '', 'tags': [], 'status': 'available', 'error_message': '', '_droplet_id': droplet['id']}
        droplet['backup_ids' if kind == 'backup' else 'snapshot_ids'].append(image_id)
        return self.images[image_id]

    def delete_image(self, image_id):
        image = self.images.pop(image_id)
        owner = self.droplets.get(image.get('_droplet_id'))
        if owner is not None:
            for key in ('backup_ids', 'snapshot_ids'):
                if image_id in owner[key]:
                    owner[key] = [i for i in owner[key] if i != image_id]
        for tag in image['tags']:
            self.tags[tag]['images'].pop(image_id, None)

    # -- backups and networking (applied when their actions complete) -------------------------
    def set_backups(self, droplet, enabled, change=None):
        features = [feature for feature in droplet['features'] if feature != 'backups']
        if enabled:
            features.append('backups')
            policy = backups.merged(self.policies.get(droplet['id']), change or {})
            self.policies[droplet['id']] = policy
            droplet['next_backup_window'] = backups.next_window(policy, self.effect_time())
        else:
            self.policies.pop(droplet['id'], None)
            droplet['next_backup_window'] = None
        droplet['features'] = features

    def set_ipv6(self, droplet):
        if 'ipv6' not in droplet['features']:
            droplet['features'] = droplet['features'] + ['ipv6']
            droplet['networks'] = dict(droplet['networks'], v6=[droplets.ipv6_network(droplet['id'])])

    # -- tags ---------------------------------------------------------------------------------
    def find_tag(self, name):
        return self.tags.get(name)

    def ensure_tag(self, name):
        """The tag called ``name``; tag names are case stable, the first spelling stays canonical."""
        existing = self.tags.get(name) or next((t for t in self.tags.values() if t['name'].lower() == name.lower()),
                                               None)
        if existing is None:
            existing = self.tags[name] = dict(((kind, {}) for kind in TAGGABLE), name=name, last=None,
                                              last_of_kind=dict.fromkeys(TAGGABLE))
        return existing

    def tagged_table(self, kind):
        """The records a tag of ``kind`` (one of TAGGABLE) refers to, by id."""
        return getattr(self, kind)

    # ``kind`` is the tag's table, the store's table and the URI part: one of TAGGABLE.
    def tag_resource(self, tag, kind, record):
        if record['id'] not in tag[kind]:
            tag[kind][record['id']] = None
            record['tags'] = record['tags'] + [tag['name']]
        tag['last_of_kind'][kind] = record['id']
        tag['last'] = (kind, record['id'])

    def untag_resource(self, tag, kind, record):
        if tag[kind].pop(record['id'], 'absent') != 'absent':
            record['tags'] = [name for name in record['tags'] if name != tag['name']]

    def delete_tag(self, tag):
        for kind in TAGGABLE:
            for record_id in list(tag[kind]):
                self.untag_resource(tag, kind, self.tagged_table(kind)[record_id])
        del self.tags[tag['name']]

    def droplets_tagged(self, name):
        """Droplets carrying tag ``name``, in id order."""
        tag = self.tags.get(name)
        return [self.droplets[i] for i in sorted(tag['droplets'])] if tag else []
