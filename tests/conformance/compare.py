"""Compare one recorded API exchange with the simulator's answer to the same request.

What must match: the status code; an error's ``id`` and ``message``; the response's shape (keys at
every level, JSON types, with list elements merged); the rate-limit headers' presence; and the
semantic fields: a Droplet's name, status, locked, size_slug, tags and its backups/ipv6 features, an
action's type, status, resource_type and (mapped) resource_id, and meta.total of a tag's Droplet list.

Tolerated (documented in docs/live.md): ids (mapped), timestamps, IP addresses, request ids,
rate-limit header values and every other value; null against another type; actions in an account-wide
list that are not the run's own; and timing: a state the simulator reaches sooner or later than the
real API did (see ``Timeline``).
"""

SEMANTIC_DROPLET_FIELDS = ('name', 'status', 'locked', 'size_slug', 'tags')
COMPARED_FEATURES = ('backups', 'ipv6')
SEMANTIC_ACTION_FIELDS = ('type', 'status', 'resource_type')
STATE_FIELDS = ('status', 'locked', 'total')  # values that move with time: compared through the timeline
RATELIMIT_HEADERS = ('ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset')
TERMINAL = {'in-progress': ('completed', 'errored'), 'new': ('active',)}


class Finding:
    """One difference; ``tolerated`` ones are reported but do not fail the replay."""

    def __init__(self, kind, where, recorded, replayed, tolerated=False, note=''):
        self.kind, self.where, self.recorded, self.replayed = kind, where, recorded, replayed
        self.tolerated, self.note = tolerated, note

    def __repr__(self):
        note = ' (%s)' % self.note if self.note else ''
        return '%s %s: recorded %r, simulator %r%s' % (self.kind, self.where, self.recorded, self.replayed, note)


class IdMaps:
    """Recorded id -> simulator id, one map per kind (droplet, action, image)."""

    def __init__(self):
        self.maps = {'droplet': {}, 'action': {}, 'image': {}}

    def learn(self, kind, recorded, replayed):
        if isinstance(recorded, int) and isinstance(replayed, int):
            self.maps[kind].setdefault(recorded, replayed)

    def get(self, kind, recorded):
        return self.maps[kind].get(recorded, recorded)

    def known(self, kind, recorded):
        return recorded in self.maps[kind]


# -- shape ------------------------------------------------------------------------------------

def shape(value):
    """A JSON value's shape: dicts by key, list elements merged, scalars as type names."""
    if isinstance(value, dict):
        return dict((key, shape(item)) for key, item in value.items())
    if isinstance(value, list):
        merged = None
        for item in value:
            merged = merge(merged, shape(item))
        return [merged] if merged is not None else []
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'bool'
    if isinstance(value, (int, float)):
        return 'number'
    return 'string'


def merge(left, right):
    if left is None:
        return right
    if isinstance(left, dict) and isinstance(right, dict):
        merged = dict(left)
        for key, item in right.items():
            merged[key] = merge(merged.get(key), item)
        return merged
    if isinstance(left, list) and isinstance(right, list):
        return [merge(left[0] if left else None, right[0] if right else None)] if left or right else []
    if left == 'null':
        return right
    return left


def _kind(node):
    if isinstance(node, dict):
        return 'object'
    if isinstance(node, list):
        return 'array'
    return node


def compare_shape(recorded, replayed, where='body'):
    """Findings for keys missing or extra and for differing JSON types."""
    if recorded == 'null' or replayed == 'null':
        return [] if recorded == replayed else [Finding('shape', where, _kind(recorded), _kind(replayed), True,
                                                        'null against a value')]
    if _kind(recorded) != _kind(replayed):
        return [Finding('shape', where, _kind(recorded), _kind(replayed))]
    if isinstance(recorded, dict):
        found = [Finding('shape', '%s.%s' % (where, key), 'present', 'missing') for key in recorded if key not in replayed]
        found += [Finding('shape', '%s.%s' % (where, key), 'missing', 'present') for key in replayed if key not in recorded]
        for key in recorded:
            if key in replayed:
                found += compare_shape(recorded[key], replayed[key], '%s.%s' % (where, key))
        return found
    if isinstance(recorded, list) and recorded and replayed:
        return compare_shape(recorded[0], replayed[0], where + '[]')
    return []


# -- semantic fields ------------------------------------------------------------------------------

def droplet_fields(droplet):
    fields = dict((key, droplet.get(key)) for key in SEMANTIC_DROPLET_FIELDS if key in droplet)
    if isinstance(fields.get('tags'), list):
        fields['tags'] = sorted(fields['tags'])
    features = droplet.get('features') or []
    for feature in COMPARED_FEATURES:
        fields['feature:%s' % feature] = feature in features
    return fields


def action_fields(action, ids):
    fields = dict((key, action.get(key)) for key in SEMANTIC_ACTION_FIELDS)
    if action.get('resource_type') == 'droplet':
        fields['resource_id'] = ids.get('droplet', action.get('resource_id'))
    return fields


def pair_droplets(recorded, replayed):
    """Pairs (recorded, replayed) by name; names are what the run chose, so they are the same."""
    by_name = dict((droplet.get('name'), droplet) for droplet in replayed if isinstance(droplet, dict))
    return [(droplet, by_name.get(droplet.get('name'))) for droplet in recorded if isinstance(droplet, dict)]


def pair_actions(recorded, replayed, ids):
    """Pairs by mapped id, else the oldest unpaired one of the same type on the same (mapped) Droplet.

    An action on a resource the run never touched is someone else's: it is left out (None), not paired.
    """
    left = [action for action in replayed if isinstance(action, dict)]
    pairs = []
    for action in reversed([item for item in recorded if isinstance(item, dict)]):  # oldest first
        partner = None
        if ids.known('action', action.get('id')):
            partner = next((a for a in left if a.get('id') == ids.get('action', action['id'])), None)
        elif action.get('resource_type') != 'droplet' or not ids.known('droplet', action.get('resource_id')):
            continue
        else:
            wanted = (action.get('type'), ids.get('droplet', action.get('resource_id')))
            partner = next((a for a in reversed(left) if (a.get('type'), a.get('resource_id')) == wanted), None)
        if partner is not None:
            left.remove(partner)
        pairs.append((action, partner))
    return pairs


def entities(recorded, replayed, ids):
    """(kind, recorded object, replayed object or None) for every Droplet and action in two bodies."""
    found = []
    if not isinstance(recorded, dict) or not isinstance(replayed, dict):
        return found
    if isinstance(recorded.get('droplet'), dict):
        found.append(('droplet', recorded['droplet'], replayed.get('droplet')))
    if isinstance(recorded.get('droplets'), list) and isinstance(replayed.get('droplets'), list):
        found += [('droplet', rec, rep) for rec, rep in pair_droplets(recorded['droplets'], replayed['droplets'])]
    if isinstance(recorded.get('action'), dict):
        found.append(('action', recorded['action'], replayed.get('action')))
    if isinstance(recorded.get('actions'), list) and isinstance(replayed.get('actions'), list):
        found += [('action', rec, rep) for rec, rep in pair_actions(recorded['actions'], replayed['actions'], ids)]
    return found


def learn_ids(recorded, replayed, ids):
    """Map the ids of paired objects: Droplets, actions, snapshots/images, and the create links."""
    for kind, rec, rep in entities(recorded, replayed, ids):
        if isinstance(rep, dict):
            ids.learn(kind, rec.get('id'), rep.get('id'))
    for key in ('snapshot', 'image'):
        if isinstance(recorded, dict) and isinstance(recorded.get(key), dict) and isinstance(replayed.get(key), dict):
            ids.learn('image', recorded[key].get('id'), replayed[key].get('id'))
    rec_links = ((recorded or {}).get('links') or {}).get('actions') if isinstance(recorded, dict) else None
    rep_links = ((replayed or {}).get('links') or {}).get('actions') if isinstance(replayed, dict) else None
    if isinstance(rec_links, list) and isinstance(rep_links, list):
        for rec, rep in zip(rec_links, rep_links):
            ids.learn('action', rec.get('id'), rep.get('id'))


# -- time -----------------------------------------------------------------------------------------

def list_key(exchange):
    """The timeline key of a tag's Droplet list (its meta.total is compared), else None."""
    if exchange.get('method') == 'GET' and exchange.get('path') == '/v2/droplets' and (exchange.get('query') or {}).get('tag_name'):
        return ('list', exchange['query']['tag_name'], 'total')
    return None


class Timeline:
    """Every value a state field took in the recording, in order, so timing differences can be told apart.

    The simulator's actions are shorter than the real API's, so a replayed read may find a state the
    recording shows only later (the simulator is ahead), or an action already finished where the
    recording ended while it ran. Both are tolerated; a state the recording never reaches is not.
    """

    def __init__(self, exchanges):
        self.history = {}
        for index, exchange in enumerate(exchanges):
            body = exchange.get('response_body')
            for kind, item, unused in entities(body, body, IdMaps()):
                for field in STATE_FIELDS:
                    if field in item:
                        self.history.setdefault((kind, item.get('id'), field), []).append((index, item[field]))
            key = list_key(exchange)
            if key and isinstance(body, dict) and isinstance(body.get('meta'), dict):
                self.history.setdefault(key, []).append((index, body['meta'].get('total')))
                members = [d.get('id') for d in body.get('droplets') or [] if isinstance(d, dict)]
                self.history.setdefault(('members',) + key[1:2], []).append((index, members))

    def listed_no_more(self, tag, droplet_id, index):
        """Whether a later read of the tag's Droplets lists this one no more (it was being deleted)."""
        return any(droplet_id not in members for at, members in self.history.get(('members', tag), []) if at > index)

    def neighbours(self, key, index, recorded):
        """(the state before the recorded one, the states after it), as the recording shows them."""
        history = self.history.get(key, [])
        before = [value for at, value in history if at < index and value != recorded]
        after = [value for at, value in history if at > index and value != recorded]
        return (before[-1] if before else None), after

    def tolerates(self, key, index, recorded, replayed, final):
        """A note when ``replayed`` differs from ``recorded`` only by timing, else None.

        A state the recording shows later is the simulator being ahead. Not final (a read that can be
        repeated), the state just before the recorded one is not tolerated: it may be the simulator
        lagging behind, so the read is repeated first.
        """
        before, after = self.neighbours(key, index, recorded)
        if replayed in TERMINAL.get(recorded, ()) and set(after) <= {replayed}:
            return 'the simulator finished sooner'
        if replayed in after and (final or replayed != before):
            return 'the simulator is ahead: the recording shows %r later' % (replayed,)
        return None


def state_finding(timeline, key, index, recorded, replayed, where, final):
    note = timeline.tolerates(key, index, recorded, replayed, final)
    if note:
        return Finding('timing', where, recorded, replayed, True, note)
    return Finding('state', where, recorded, replayed)


def compare_semantics(index, exchange, replayed_body, ids, timeline, final):
    recorded_body = exchange.get('response_body')
    found = []
    key = list_key(exchange)
    for kind, rec, rep in entities(recorded_body, replayed_body, ids):
        where = '%s %s' % (kind, rec.get('id'))
        if not isinstance(rep, dict):
            if key and kind == 'droplet' and timeline.listed_no_more(key[1], rec.get('id'), index):
                found.append(Finding('timing', where, 'present', 'missing', True,
                                     'the simulator is ahead: the recording lists it no more later'))
            else:
                found.append(Finding('semantic', where, 'present', 'missing'))
            continue
        fields = droplet_fields if kind == 'droplet' else (lambda item: action_fields(item, IdMaps()))
        expected = droplet_fields(rec) if kind == 'droplet' else action_fields(rec, ids)
        actual = fields(rep)
        for field, value in expected.items():
            if actual.get(field) == value:
                continue
            if field in STATE_FIELDS:
                found.append(state_finding(timeline, (kind, rec.get('id'), field), index, value, actual.get(field),
                                           '%s.%s' % (where, field), final))
            else:
                found.append(Finding('semantic', '%s.%s' % (where, field), value, actual.get(field)))
    if key and isinstance(recorded_body, dict) and isinstance(replayed_body, dict):
        recorded, replayed = (recorded_body.get('meta') or {}).get('total'), (replayed_body.get('meta') or {}).get('total')
        if recorded != replayed:
            found.append(state_finding(timeline, key, index, recorded, replayed, 'meta.total', final))
    return found


def _messages(recorded, replayed):
    """The two answers' error messages, for a status difference."""
    def message(body):
        return body.get('message') if isinstance(body, dict) else None
    if message(recorded) is None and message(replayed) is None:
        return ''
    return 'recorded: %s; simulator: %s' % (message(recorded) or '-', message(replayed) or '-')


def compare_exchange(index, exchange, status, headers, body, ids, timeline, final=True):
    """All findings for one exchange: status, error, headers, shape, semantics (``final``: see Timeline)."""
    recorded_status = exchange.get('status')
    found = []
    if recorded_status != status:
        note = 'rate limited on the real account' if recorded_status == 429 else _messages(exchange.get('response_body'), body)
        found.append(Finding('status', 'status', recorded_status, status, recorded_status == 429, note))
        return found
    recorded_body = exchange.get('response_body')
    if status >= 400 and isinstance(recorded_body, dict):
        replayed = body if isinstance(body, dict) else {}
        for key in ('id', 'message'):
            if recorded_body.get(key) != replayed.get(key):
                found.append(Finding('error', 'error %s' % key, recorded_body.get(key), replayed.get(key)))
    recorded_headers = exchange.get('response_headers') or {}
    for name in RATELIMIT_HEADERS:
        if name in recorded_headers and name not in headers:
            found.append(Finding('header', name, 'present', 'missing'))
    for finding in compare_shape(shape(recorded_body), shape(body)):
        if finding.where.startswith('body.links.'):  # pages exist when the account holds more than one page
            finding.tolerated, finding.note = True, 'pagination depends on how much the account holds'
        found.append(finding)
    found += compare_semantics(index, exchange, body, ids, timeline, final)
    return found
