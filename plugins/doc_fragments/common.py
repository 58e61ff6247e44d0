# -*- coding: utf-8 -*-
# Copyright: oceanops.droplets contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Options every module of the collection takes (connection to the API).
    DOCUMENTATION = r'''
options:
  api_token:
    description:
      - DigitalOcean API token (a personal access token or an OAuth token).
      - When not set, the first of the environment variables E(DIGITALOCEAN_TOKEN), E(DIGITALOCEAN_ACCESS_TOKEN),
        E(DO_API_TOKEN), E(DO_API_KEY), E(DO_OAUTH_TOKEN) and E(OAUTH_TOKEN) that is set is used.
      - Whitespace around the token (the newline that C(echo secret | ansible-vault encrypt_string) leaves at its
        end) is stripped. A token with whitespace, a control character or a non-ASCII character inside it is
        refused before any request, with a message that does not show it.
      - The token is sent only to the scheme, host and port of O(api_url), in an C(Authorization) header (C(Bearer) scheme).
        Redirects are never followed and pagination links to another origin are refused; a C(.netrc) entry never
        replaces it.
      - The token is never logged, returned or shown in an error; every failure message and result passes through
        a redactor that removes it, also in its escaped, URL-encoded and base64 forms.
    type: str
    aliases: [oauth_token]
  api_url:
    description:
      - Base URL of the DigitalOcean API, without a path.
      - Point it at the local simulator (for example V(http://127.0.0.1:8080)) to run playbooks with no account.
      - Falls back to the environment variable E(DIGITALOCEAN_API_URL).
      - A user name or password (C(user:pass@)), a query or a fragment is refused before any request.
      - A plain C(http://) URL never goes through a proxy from the environment (E(HTTP_PROXY), E(ALL_PROXY)), which
        would read the token in clear. An C(https://) URL honours E(HTTPS_PROXY), through which the token stays encrypted.
    type: str
    default: https://api.digitalocean.com
  timeout:
    description:
      - Seconds one HTTP exchange may take in all, from sending the request to the last byte of the response
        body, before it is treated as failed. A server that sends its answer slowly cannot stretch it.
      - From 1 to 3600.
    type: int
    default: 30
  validate_certs:
    description:
      - Verify the API's TLS certificate. Only turn this off against a test endpoint you trust.
    type: bool
    default: true
  allow_insecure_http:
    description:
      - Allow a plain C(http://) O(api_url) that is not a loopback address.
      - By default such a URL is refused, because the token would cross the network unencrypted.
        Loopback addresses (the local simulator) are always allowed.
    type: bool
    default: false
  shared_budget:
    description:
      - Share one request budget and the reads of C(GET /v2/actions) and C(GET /v2/droplets) with the other
        module processes on this controller that use the same O(api_token) and O(api_url) (for example the
        forks of a play that runs host by host). Together they then stay under the API's limits (at most 230
        requests a minute and 4,500 an hour per token, from this controller); waiting forks read one poll
        round between them, and a fork plans from a shared page of the Droplet list instead of a read of its own.
      - The processes meet in a private directory, E(OCEANOPS_SHARED_DIR) if set, else
        C($XDG_RUNTIME_DIR/oceanops-droplets), else C(oceanops-droplets-shared-<uid>) in the temporary directory. It must
        be owned by the user and have mode 0700 (it is created so). Its files are named by a hash of token and
        URL and hold request counts, the ids and statuses of actions, the Droplets as the API lists them
        (to share the reads before and after the actions) and the ids of the Droplets they changed, with
        the time the change showed; never the token.
      - When the directory cannot be used (read-only, another owner, open to others), or with V(false), each
        process paces itself alone, its polls slowing down after a 429 and recovering slowly.
      - Falls back to the environment variable E(OCEANOPS_SHARED_BUDGET).
    type: bool
    default: true
    version_added: 0.1.0
requirements:
  - requests
notes:
  - Transient failures are retried in one place with jittered exponential backoff that honours
    C(Retry-After) and C(ratelimit-reset). A rate-limited request (HTTP 429) is retried until
    O(wait_timeout), other failures at most six times. A POST that may already have been carried out
    is never sent again blindly; the module watches the Droplet's actions for it for 15 seconds first, adopts
    only an action that did not exist before the POST, and sends it again at most once.
  - Errors that no retry can mend (TLS certificate verification, an invalid header, URL or port) fail at once.
    C(Retry-After) is read as seconds or as an HTTP date; a value below 1 s waits 1 s, one past the task deadline
    fails at once.
  - Limits that hold whatever the API answers, as docs/security.md explains, are a response body of at most 32 MiB after
    decompression; a listing stops with an error when a next link repeats a page, leaves the API's origin or
    /v2/, goes past what C(meta.total) allows, or passes 500 pages.
'''

    # Options of the modules that can wait for actions.
    WAIT = r'''
options:
  wait:
    description:
      - Wait until the action(s) finished and, where the Droplet shows the effect a moment later,
        until it does.
      - With V(false) the module returns as soon as the action was accepted.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait in all, counted on a monotonic clock from the start of the task.
      - It is also the deadline of every loop of the API client (pages, retries, rate-limit pacing), so the task ends
        within O(wait_timeout) + O(timeout) + a few seconds whatever the API does, saying what it was waiting for.
      - From 1 to 86400.
      - Polling starts at 0.5 s, reaches 2 s after about six seconds and then grows to 10% of the
        time already waited (at most 60 s), so the end of an action is noticed within
        max(2 s, 10% of its length) with few requests.
    type: int
    default: 600
'''
