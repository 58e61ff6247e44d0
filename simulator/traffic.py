"""What went over the wire: counters per endpoint template, the request log, the --record file.

The Authorization header is never stored anywhere; the record keeps only the request's
Content-Type, so a whole run can be validated against the spec afterwards.
"""

import collections
import json
import time


class Traffic:
    def __init__(self, record_path=None):
        self.log = []
        self.requests = collections.Counter()
        self.status_counts = collections.Counter()
        self.record = open(record_path, 'a', encoding='utf-8') if record_path else None  # pylint: disable=consider-using-with

    def clear(self):
        self.log.clear()
        self.requests.clear()
        self.status_counts.clear()

    def note(self, method, template, path, query, status, request_body, response_body, request_content_type=None,
             response_headers=None, fault=None):
        """Count and log one API exchange; ``status`` None means no answer was computed (reset_before)."""
        self.requests['%s %s' % (method, template)] += 1
        if status is not None:
            self.status_counts[str(status)] += 1
        entry = {'seq': len(self.log) + 1, 'time': time.time(), 'method': method, 'path': path, 'template': template,
                 'query': query, 'status': status, 'request_body': request_body, 'response_body': response_body}
        if fault:
            entry['fault'] = fault
        self.log.append(entry)
        if self.record is not None and status is not None:
            line = {'method': method, 'path': path, 'template': template, 'query': query,
                    'request_headers': {'Content-Type': request_content_type} if request_content_type else {},
                    'request_body': request_body, 'status': status, 'response_headers': response_headers or {},
                    'response_body': response_body}
            if fault:
                line['fault'] = fault
            self.record.write(json.dumps(line) + '\n')
            self.record.flush()

    def since(self, seq):
        return self.log[max(0, seq):]  # seq n is at index n - 1

    def stats(self):
        return {'requests': dict(self.requests), 'requests_total': sum(self.requests.values()),
                'posts_total': sum(n for key, n in self.requests.items() if key.startswith('POST ')),
                'status_counts': dict(self.status_counts)}
