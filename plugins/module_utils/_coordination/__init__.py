# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the module processes on one controller share about one token. Private: no API for other collections.

Fifty Ansible forks are fifty processes that know nothing of each other. Those that use the same token
and api_url meet in a private directory (mode 0700, owned by the user), through files named by a hash of
token and URL, never the token itself. Locks are ``fcntl.flock``: the kernel drops the lock of a process
that dies, so a killed fork cannot wedge the others. All of it is an optimisation: any problem with the
directory turns it off, and the task goes on as a lone task would.

- ``directory``: the private directory, held open by descriptor, and its files;
- ``names``: every name written there (one protocol);
- ``budget``: the request budget (the API's limits less headroom);
- ``shared_reads``: one process reads a page, the others use it (a lease per page);
- ``recent_changes``: which Droplets our processes changed, and when;
- ``adaptive_schedule`` and ``inherited_hold``: a process's own reaction to 429s;
- ``gate``: the request gate, all the HTTP client sees;
- ``coordinator``: the gate and the rest for one task (the reading strategy's side, reading.py).
"""
