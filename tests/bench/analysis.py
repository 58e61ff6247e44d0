"""What one run did, read from the simulator's own counters and request log (not from the module)."""

import collections
import statistics

IN_PROGRESS = 'in-progress'
RETRYABLE = (429, 500, 502, 503, 504)


def stats_delta(before, after):
    """Requests by endpoint template and responses by status between two /_sim/stats snapshots."""
    def minus(new, old):
        return dict((key, value - old.get(key, 0)) for key, value in new.items() if value - old.get(key, 0))
    return dict(requests=minus(after['requests'], before['requests']),
                requests_total=after['requests_total'] - before['requests_total'],
                posts_total=after['posts_total'] - before['posts_total'],
                status_counts=minus(after['status_counts'], before['status_counts']))


def retries(entries):
    """Answers the client had to repeat: a 429 or 5xx followed later by the same request."""
    later = collections.Counter()
    repeated = 0
    keyed = [(entry, _request_key(entry)) for entry in entries]
    for entry, key in reversed(keyed):
        if entry['status'] in RETRYABLE and later[key]:
            repeated += 1
        later[key] += 1
    return repeated


def waits_after_429(entries, record_lines):
    """For each 429 that carried Retry-After: seconds until the same request came again, and what was asked.

    The --record file has the response headers but no times; the log has times but no headers.
    Both are written in the same order, one line per answered request, so they are paired up.
    """
    answered = [entry for entry in entries if entry['status'] is not None]
    if len(answered) != len(record_lines):
        return None
    waits = []
    for index, (entry, line) in enumerate(zip(answered, record_lines)):
        headers = dict((key.lower(), value) for key, value in (line.get('response_headers') or {}).items())
        if entry['status'] != 429 or 'retry-after' not in headers:
            continue
        key = _request_key(entry)
        again = next((later for later in answered[index + 1:] if _request_key(later) == key), None)
        if again is not None:
            waits.append(dict(asked=float(headers['retry-after']), waited=again['time'] - entry['time']))
    return waits


def _request_key(entry):
    query = entry.get('query') or {}
    if isinstance(query, dict):
        query = tuple(sorted((k, str(v)) for k, v in query.items()))
    return entry['method'], entry['path'], str(query), str(entry.get('request_body'))


def _actions_in(body):
    if not isinstance(body, dict):
        return []
    if isinstance(body.get('action'), dict):
        return [body['action']]
    return [action for action in body.get('actions') or [] if isinstance(action, dict)]


def action_timing(entries, action_seconds):
    """When our actions started, ended and were first seen ended, from the request log.

    An action starts when its POST is handled (the log time of the POST, within milliseconds) and
    ends ``action_seconds`` later. "Seen" is the first logged response that shows it no longer
    in progress. Returns None when the run sent no action.
    """
    ends = {}
    for entry in entries:
        if entry['method'] == 'POST' and entry['status'] in (200, 201, 202):
            for action in _actions_in(entry['response_body']):
                ends.setdefault(action['id'], entry['time'] + action_seconds)
    if not ends:
        return None
    seen = {}
    for entry in entries:
        for action in _actions_in(entry['response_body']):
            if action.get('id') in ends and action.get('status') != IN_PROGRESS and action['id'] not in seen:
                seen[action['id']] = entry['time']
    started = min(ends.values()) - action_seconds
    last_end = max(ends.values())
    late = [seen[action_id] - end for action_id, end in ends.items() if action_id in seen]
    all_seen = max(seen.values()) if len(seen) == len(ends) else None
    return dict(actions=len(ends), unseen=len(ends) - len(seen), first_post=started, last_end=last_end,
                action_span=last_end - started,
                noticed_after_last_end=None if all_seen is None else all_seen - last_end,
                late_max=max(late) if late else None, late_median=statistics.median(late) if late else None)
