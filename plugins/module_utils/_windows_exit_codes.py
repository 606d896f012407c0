# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Windows installer and uninstaller exit codes: the one table of the collection.

PRIVATE to the unil.backup collection. Comet documents no exit code for its Windows installer; these are the Windows
system error codes (Microsoft, "System Error Codes (1300-1699)" and "(3000-3999)") that Windows Installer and
ansible.windows.win_package give a meaning to. Every other place reads them from here: _comet_windows (role
comet_client's installer and uninstaller, its default expected codes), _crashplan (CrashPlan's MSI and non-MSI
uninstallers) and the filters that pass them to win_package's ``expected_return_code``.
"""

from __future__ import annotations

SUCCESS = 0
ERROR_INSTALL_FAILURE = 1603  # fatal error during installation
ERROR_UNKNOWN_PRODUCT = 1605  # "This action is only valid for products that are currently installed."
ERROR_PRODUCT_UNINSTALLED = 1614  # "The product is uninstalled."
ERROR_INSTALL_ALREADY_RUNNING = 1618  # another installation is already in progress
ERROR_SUCCESS_REBOOT_INITIATED = 1641  # done; the installer has started a restart
ERROR_SUCCESS_REBOOT_REQUIRED = 3010  # done; a restart is required to finish

# code: (name, what it means). Only these codes are named in messages; any other is "failed".
TABLE = {
    SUCCESS: ("success", "done"),
    ERROR_INSTALL_FAILURE: ("install_failure", "fatal error during the installation or removal"),
    ERROR_UNKNOWN_PRODUCT: ("unknown_product", "not installed (already absent)"),
    ERROR_PRODUCT_UNINSTALLED: ("product_uninstalled", "removed (product uninstalled)"),
    ERROR_INSTALL_ALREADY_RUNNING: ("install_already_running", "another installation is in progress, try again later"),
    ERROR_SUCCESS_REBOOT_INITIATED: ("reboot_initiated", "done; the installer started a restart of Windows to finish"),
    ERROR_SUCCESS_REBOOT_REQUIRED: ("reboot_required", "done; Windows must restart to finish"),
}

# Success codes after which Windows restarts (1641: it already does) or must restart (3010).
REBOOT_CODES = (ERROR_SUCCESS_REBOOT_REQUIRED, ERROR_SUCCESS_REBOOT_INITIATED)
# Worth trying again later, never a success.
RETRY_CODES = (ERROR_INSTALL_ALREADY_RUNNING,)
# A removal of a product that is not there: success, nothing changed.
ABSENT_CODES = (ERROR_UNKNOWN_PRODUCT,)
# Comet Backup's installer and uninstaller (role comet_client's comet_client_windows_expected_return_codes default):
# done, done with a restart needed, done with a restart started.
INSTALLER_SUCCESS = (SUCCESS, ERROR_SUCCESS_REBOOT_REQUIRED, ERROR_SUCCESS_REBOOT_INITIATED)
# An MSI removal (msiexec /x) or a vendor uninstaller of CrashPlan: also already absent, and uninstalled.
UNINSTALL_SUCCESS = (SUCCESS, ERROR_UNKNOWN_PRODUCT, ERROR_PRODUCT_UNINSTALLED, ERROR_SUCCESS_REBOOT_INITIATED,
                     ERROR_SUCCESS_REBOOT_REQUIRED)


def as_code(rc):
    """``rc`` as an int, or None when it is no exit code (missing, a bool, text that is no integer)."""
    if isinstance(rc, bool) or rc is None:
        return None
    try:
        return int(str(rc).strip())
    except ValueError:
        return None


def codes(values, default=INSTALLER_SUCCESS):
    """A list of exit codes as ints (win_package's expected_return_code), from a list of ints or digit strings, or
    ``default`` when ``values`` is None or empty. Raises ValueError naming the first value that is no exit code."""
    if values is None or values == "" or values == []:
        return list(default)
    if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
        raise ValueError("expected a list of exit codes, got %r" % (values,))
    out = []
    for value in values:
        code = as_code(value)
        if code is None:
            raise ValueError("%r is not an exit code (an integer)" % (value,))
        if code not in out:
            out.append(code)
    return out


def meaning(rc, expected=INSTALLER_SUCCESS):
    """What an exit code means against the ``expected`` success codes: {rc, ok, reboot_required, already_absent,
    retry, name, text}. A code outside ``expected`` is a failure whatever the table says of it (the caller's
    win_package judged it so); a success in REBOOT_CODES needs a restart."""
    code = as_code(rc)
    if code is None:
        return {"rc": None, "ok": False, "reboot_required": False, "already_absent": False, "retry": False,
                "name": "no_code", "text": "the installer gave no exit code (%r)" % (rc,)}
    ok = code in [int(c) for c in expected or []]
    name, text = TABLE.get(code, ("failed", "failed"))
    return {"rc": code, "ok": ok, "reboot_required": ok and code in REBOOT_CODES,
            "already_absent": ok and code in ABSENT_CODES, "retry": code in RETRY_CODES, "name": name, "text": text}
