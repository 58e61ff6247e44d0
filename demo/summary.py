"""Print what the simulator saw during the demo: requests by endpoint and actions by type.

Usage: python demo/summary.py http://127.0.0.1:PORT
"""

import json
import sys
import urllib.request


def main(api_url):
    with urllib.request.urlopen(api_url.rstrip('/') + '/_sim/stats', timeout=10) as response:
        stats = json.load(response)
    print('API requests: %d in all, %d of them POSTs' % (stats['requests_total'], stats['posts_total']))
    for endpoint, count in sorted(stats['requests'].items(), key=lambda item: (-item[1], item[0])):
        print('  %4d  %s' % (count, endpoint))
    print('Actions started: %d' % stats['actions_total'])
    for action_type, count in sorted(stats['actions_by_type'].items()):
        print('  %4d  %s' % (count, action_type))
    throttled = stats.get('status_counts', {}).get('429', 0)
    if throttled:
        print('Rate limited: %d responses were 429' % throttled)


if __name__ == '__main__':
    main(sys.argv[1])
