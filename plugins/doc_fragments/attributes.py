# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # Descriptions of the attributes; each module states its own level of support.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
"""

    # The comet action group: set the connection options once with module_defaults.
    COMET_GROUP = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/unil.backup.comet) in C(module_defaults) to set the connection options once for all the modules.
    support: full
    membership:
      - unil.backup.comet
"""
