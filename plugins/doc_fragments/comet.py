# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # The connection to the Comet Server admin API, shared by every comet_* module (comet_argument_spec()).
    DOCUMENTATION = r"""
options:
  server_url:
    description:
      - Base URL of the Comet Server, for example C(https://cometbackup.unil.ch/).
      - The admin API is reached under C(<server_url>/api/v1/admin/).
      - Must start with C(http://) or C(https://) and must not contain credentials.
      - If not set, the value of the E(COMET_SERVER_URL) environment variable is used.
    type: str
    required: true
  admin_username:
    description:
      - Name of the Comet Server administrator the modules authenticate as.
      - If not set, the value of the E(COMET_ADMIN_USERNAME) environment variable is used.
    type: str
    required: true
  admin_password:
    description:
      - Password of O(admin_username). Sent in the body of each POST request, never in the URL or on a command line,
        and never returned or logged by the modules.
      - If not set, the value of the E(COMET_ADMIN_PASSWORD) environment variable is used.
    type: str
    required: true
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the server. Only set to V(false) on test servers.
      - If not set, the value of the E(COMET_VALIDATE_CERTS) environment variable is used, else V(true).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the certificate authorities to trust for the server certificate, instead of the system ones.
      - If not set, the value of the E(COMET_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - Timeout in seconds of each HTTP request to the server.
      - Failed requests (HTTP 5xx, timeouts, dropped connections, truncated answers) are retried a few times with an
        exponential backoff; errors the server states (HTTP 4xx, authentication) are not.
      - HTTP 429 and 503 are retried after the server's C(Retry-After) (at most 60 seconds per wait).
      - A write is never sent twice when its answer is lost after sending; the object is read instead to find out
        whether the write was stored (then the task reports a change).
      - After 3 requests in a row to one server time out, the other calls of the same C(ansible-playbook) run to that
        server fail at once, naming O(server_url), for 5 minutes (a circuit breaker whose state is a file in
        O(lock_dir)).
    type: int
    default: 30
  lock_dir:
    description:
      - Directory, on the controller, of the lock files that serialise the writes to one account (or policy), so that
        the forks of one play wait for each other instead of fighting over the profile hash.
      - Created with mode C(0700) if missing.
      - Defaults to C(unil_backup_locks_<uid>) in the system temporary directory.
    type: path
notes:
  - Every change to a user profile is a read-modify-write of the whole profile with its hash
    (C(get-user-profile-and-hash) then C(set-user-profile-hash)); when someone else changed the profile in between,
    the change is re-read and applied again. Fields the module does not manage are kept as they are.
"""

    # The device a module works on (comet_device_argument_spec()): comet_device, comet_profile, comet_schedule.
    DEVICE = r"""
options:
  account:
    description: The Comet user account (username) the device is registered to.
    type: str
    required: true
  device_id:
    description:
      - The device ID (C(backup-tool info device-id), or the Windows registry value C(DeviceIdentificationID); the
        fact C(comet_client_device_id) of role M(unil.backup.comet_client)).
      - Exactly one of O(device_id) and O(device_name) is required.
    type: str
  device_name:
    description:
      - The device's current name, to find it when its ID is not known. It must be unique in the account.
    type: str
"""

    # Modules that rename a device: comet_device, comet_device_settings.
    RENAME = r"""
options:
  allow_duplicate_name:
    description:
      - Give the device O(name) even when another device of the account has that name. Those devices can then only
        be told apart by their ID.
    type: bool
    default: false
"""
