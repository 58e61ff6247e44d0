# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only callback: one JSON line per host result (status, changed, api_requests, time)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: bench_results
type: aggregate
short_description: Write each host's task result summary as a JSON line (benchmark only)
description:
  - Appends one line per host result to the file named by the environment variable E(BENCH_RESULTS_FILE).
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase

KEPT_KEYS = ('changed', 'api_requests', 'msg', 'steps')


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_results'
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, result, status):
        data = getattr(result, 'result', None)
        if not isinstance(data, dict):
            data = getattr(result, '_result', {})  # ansible-core before 2.19
        line = dict((key, data.get(key)) for key in KEPT_KEYS if key in data)
        line.update(host=result.host.get_name(), task=result.task.get_name(), status=status, time=time.time())
        with open(os.environ['BENCH_RESULTS_FILE'], 'a') as handle:
            handle.write(json.dumps(line) + '\n')

    def v2_runner_on_ok(self, result):
        self._write(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result, 'failed')

    def v2_runner_on_unreachable(self, result):
        self._write(result, 'unreachable')
