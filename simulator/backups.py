"""Backup policies: checking a requested policy, merging it into the current one, the next window."""

import calendar
import time

from simulator.common import refuse, stamp

PLANS = ('daily', 'weekly')
WEEKDAYS = ('SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT')
HOURS = (0, 4, 8, 12, 16, 20)
WINDOW_HOURS = 4
RETENTION_DAYS = {'daily': 7, 'weekly': 28}

SUPPORTED_POLICIES = [
    {'name': 'weekly', 'possible_window_starts': list(HOURS), 'window_length_hours': WINDOW_HOURS,
     'retention_period_days': RETENTION_DAYS['weekly'], 'possible_days': list(WEEKDAYS)},
    {'name': 'daily', 'possible_window_starts': list(HOURS), 'window_length_hours': WINDOW_HOURS,
     'retention_period_days': RETENTION_DAYS['daily'], 'possible_days': []},
]


def checked(raw, required):
    """The settable keys of a requested ``backup_policy``; raises the API's 422 when it is invalid."""
    if raw is None:
        if required:
            raise refuse('backup_policy is required for change_backup_policy.')
        return {}
    if not isinstance(raw, dict):
        raise refuse('backup_policy must be an object.')
    policy = {}
    if 'plan' in raw:
        if raw['plan'] not in PLANS:
            raise refuse('backup_policy.plan must be one of daily, weekly.')
        policy['plan'] = raw['plan']
    if 'weekday' in raw:
        if raw['weekday'] not in WEEKDAYS:
            raise refuse('backup_policy.weekday must be one of %s.' % ', '.join(WEEKDAYS))
        policy['weekday'] = raw['weekday']
    if 'hour' in raw:
        if isinstance(raw['hour'], bool) or raw['hour'] not in HOURS:
            raise refuse('backup_policy.hour must be one of %s.' % ', '.join(str(h) for h in HOURS))
        policy['hour'] = raw['hour']
    if required and not policy:
        raise refuse('backup_policy must set at least one of plan, weekday, hour.')
    if policy.get('plan') == 'daily' and 'weekday' in policy:
        raise refuse('backup_policy.weekday applies to weekly backups only.')
    return policy


def merged(current, change):
    """The policy after applying ``change`` to ``current`` (None when backups were off).

    A weekday without a plan means weekly; a new policy with no plan is daily, as the spec says.
    """
    current = current or {}
    plan = change.get('plan') or ('weekly' if 'weekday' in change else current.get('plan', 'daily'))
    policy = {'plan': plan, 'hour': change.get('hour', current.get('hour', 0))}
    if plan == 'weekly':
        policy['weekday'] = change.get('weekday') or current.get('weekday') or 'SUN'
    policy['window_length_hours'] = WINDOW_HOURS
    policy['retention_period_days'] = RETENTION_DAYS[plan]
    return policy


def next_window(policy, now):
    """{start, end} of the next backup window after ``now`` under ``policy``."""
    day_start = calendar.timegm(time.gmtime(now)[:3] + (0, 0, 0))
    start = day_start + policy['hour'] * 3600
    if policy['plan'] == 'weekly':
        wanted = WEEKDAYS.index(policy['weekday'])
        today = (time.gmtime(now).tm_wday + 1) % 7  # tm_wday: Monday is 0; WEEKDAYS starts on Sunday
        start += ((wanted - today) % 7) * 86400
        step = 7 * 86400
    else:
        step = 86400
    while start <= now:
        start += step
    return {'start': stamp(start), 'end': stamp(start + WINDOW_HOURS * 3600)}
