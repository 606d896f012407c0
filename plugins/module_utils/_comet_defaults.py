# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# The UNIL defaults for Comet Backup, shipped ONCE as data. Source: the UNIL Comet Backup page
# ("Fichiers exclus par défaut", "Qu'est-ce qui est sauvegardé par Comet Backup?"). The strings are kept
# byte-exact as published (including the accented "Université" and the doubled backslash in
# "AppData\\Local"); corrections live in SYSTEM_EXCLUSION_FIXES, the entries the seed announces but does not list
# yet in SYSTEM_EXCLUSION_ADDITIONS, the optional ones in OPTIONAL_SYSTEM_EXCLUSIONS, never in the lists themselves.

from __future__ import annotations

# Operating systems as the modules name them (keys of every per-OS table below).
OS_NAMES = ("windows", "macos", "linux")

# Name of the protected item per OS.
PROTECTED_ITEM_NAMES = {
    "windows": "Windows UNIL",
    "macos": "macOS UNIL",
    "linux": "Linux UNIL",
}

# Folders backed up by default per OS.
DEFAULT_FOLDERS = {
    "windows": ["C:/Users"],
    "macos": ["/Users"],
    "linux": ["/home"],
}

# "Exclusion au niveau user (modifiable)": glob patterns, stored as EXCLUDE* EngineProps on the device's item.
USER_EXCLUSIONS = {
    "windows": [
        r"C:\Users\Administrator",
        "C:\\Users\\*\\OneDrive - Universit\u00e9 de Lausanne",
        r"C:\Users/**/CloudStorage",
        r"C:\Users\*\AppData\\Local",
        r"C:\Users\Public",
        r"C:\Users\Default",
        r"C:\Users\Administrateur",
    ],
    "macos": [
        "/Users/*/OneDrive - Universit\u00e9 de Lausanne",
        "/Users/*/Library/CloudStorage",
        "/Users/Guest",
    ],
    "linux": [],
}

# The accent workaround of the user-level globs above that hold an accented character ("OneDrive - Université de
# Lausanne"): ONE regex per glob, written beside it (REXCLUDE*), matching the composed (NFC) and the decomposed (NFD)
# forms of the name - Comet does not apply the glob when the file system stores the other form (seed 000, "Un bug
# dans le logiciel CometBackup rend l'exclusion des fichiers et dossiers contenant un caractère accentué
# impossible"). The glob and its regex are one user-level setting: written together, removed together (the
# person's removal of either is theirs, _comet_settings). The same regex is the known-problem fix
# (_comet_known_problems, accented_exclusion); _comet_exclusions.glob_to_regex() builds it (tested equal).
USER_EXCLUSION_WORKAROUNDS = {
    "windows": {
        "C:\\Users\\*\\OneDrive - Universit\u00e9 de Lausanne":
            "(?i)^C:[/\\\\]+Users[/\\\\]+[^/\\\\]*[/\\\\]+OneDrive - Universit(?:\u00e9|e\u0301) de Lausanne(?:[/\\\\].*)?$",
    },
    "macos": {
        "/Users/*/OneDrive - Universit\u00e9 de Lausanne":
            "^/Users/[^/]*/OneDrive - Universit(?:\u00e9|e\u0301) de Lausanne(?:/.*)?$",
    },
    "linux": {},
}

# "Exclusion au niveau système (non-modifiable)": regular expressions, stored in a policy's
# FileAndFolderMandatoryExclusions with RestrictOS. Key "any" is "Tout OS".
# Two entries are kept byte-exact as the seed writes them although they look mistyped, for the site to confirm
# (README): ".*/(cookies|permissions).sqllite(-.{3})?" ("sqlite"?) and ".*/lost\ found/.*" ("lost+found", whose "+"
# a form encoding may have turned into a space?). They are valid regexes; as written they match other names.
SYSTEM_EXCLUSIONS = {
    "any": [
        r"(?i).*/Google/Chrome/.*cache.*",
        r"(?i).*/Mozilla/Firefox/.*cache.*",
        r".*/iPhoto Library/iPod Photo Cache/.*",
        r".*/(cookies|permissions).sqllite(-.{3})?",
        r".*/.config/google-chrome/Default/Cookies(-journal)?",
        r".*/Google/Chrome/Safe Browsing.*",
    ],
    "windows": [
        r".*/lost\ found/.*",
        r"(?i).*/(Application Data|AppData)/Apple Computer/Mobile Sync/.*",
        r"(?i).*/Microsoft.*/Windows/.*\.edb",
        r"(?i).*/Microsoft.*/Windows/.*\.log",
        r"(?i).*/NTUSER.*",
        r"(?i).*/Safari/Library/Caches/.*",
        r"(?i).*/hiberfil\.sys",
        r"(?i).*/ntuser.dat.*",
        r"(?i).*\$RECYCLE\.BIN/.*",
        r"(?i).*\.ini",
        r"(?i).*\.rbf",
        r".*/AppData/Local/Temp.*",
        r".*/AppData/Temp.*",
        r".*/Application Data/Application Data.*",
        r".*/Cookies/",
        r".*/I386.*",
        r".*/Local Settings/History/",
        r".*/Local Settings/Temp.*",
        r".*/LocalService/",
        r".*/MSOCache.*",
        r".*/Microsoft.*/RecoveryStore.*",
        r".*/Microsoft.*/Windows/Cookies.*",
        r".*/NetHood/",
        r".*/NetworkService/",
        r".*/PrintHood/",
        r".*/RECYCLER/.*",
        r".*/Recent/",
        r".*/SendTo/",
        r".*/Start Menu/",
        r".*/System Volume Information/.*",
        r".*/Temporary Internet Files/.*",
        r".*/Windows/Installer.*",
        r".*/Windows/Temp.*",
        r".*/pagefile.sys",
        r".*/swapfile.sys",
        r".*Thumbs\.db",
        r".*UsrClass\.dat",
        r".*UsrClass\.dat\.LOG.*",
        r".*\.tmp",
        r".*\.tmp/.*",
    ],
    "macos": [
        r".*/Library/Saved Application State/.*",
        r".*MobileBackups/.*",
        r".*\.Trash.*",
        r".*/Network Trash Folder/.*",
        r".*/Library/Caches/.*",
        r".*\.Spotlight-.*/.*",
        r".*/Library/Calendars/Calendar Cache",
        r"(?i).*/backups.backupdb/.*",
        r".*/Application Support/Google/Chrome/Default/Cookies(-journal)?",
        r".*/Application Support/MobileSync/.*",
        r".*/Library/Application Support/SyncServices/.*",
        r".*/Library/Cookies/(Cookies.binarycookies|com.apple.appstore.plist)",
        r".*/Library/Mail/AvailableFeeds/.*",
        r".*/Library/Mail/Envelope Index",
        r".*/Library/Mirrors/.*",
        r".*/Library/PubSub/Database/.*",
        r".*/Library/PubSub/Downloads/.*",
        r".*/Library/PubSub/Feeds/.*",
        r".*/Library/Safari/HistoryIndex.sk",
        r".*/Library/Safari/Icons.db",
        r".*/Library/Safari/WebpageIcons.db",
        r".*/Library/Saved Application State/.*",
        r".*/iPhoto Library/iPod Photo Cache.*",
        r".*/iTunes/Album Artwork/Cache/.*",
        r".*/lost\ found/.*",
        r".*\.fseventsd.*",
        r".*\.hotfiles\.btree.*",
        r"/Users/**/.DS_Store",
    ],
    "linux": [
        r"/tmp/.*",
    ],
}

# Seed entries that are not valid regular expressions (RE2 and Python both reject "**"), with the regex the modules
# write instead when the defaults are used. "/Users/**/.DS_Store" is written in glob syntax in the seed; its intent
# is "every .DS_Store below /Users".
SYSTEM_EXCLUSION_FIXES = {
    r"/Users/**/.DS_Store": r"/Users/.*/\.DS_Store",
}

# System-level exclusions the seed announces but does not list yet, shipped with the UNIL system set
# (default_system_exclusions()). "Erreur "CoreSpotlight" sur macOS": "on peut exclure le dossier
# Users/admin/Library/Metadata/CoreSpotlight de sa sauvegarde. Il le sera d'office lors de la prochaine mise à jour
# des exclusions système." Written like the seed's other folder entries (".*/Library/Caches/.*").
SYSTEM_EXCLUSION_ADDITIONS = {
    "macos": [
        r".*/Library/Metadata/CoreSpotlight/.*",
    ],
}

# Optional system-level sets, only written when asked for by name (module option optional_defaults).
# "datavaults" - "Warning "DataVaults" sur macOS", macOS 10.15 and older: "lstat
# /Users/<name>/Library/Containers/com.apple.mail/Data/DataVaults: operation not permitted". Excluding the folder
# avoids the warning; the seed recommends upgrading macOS instead. The folder itself cannot be read, so the regex
# matches the folder as well as everything below it.
OPTIONAL_SYSTEM_EXCLUSIONS = {
    "datavaults": {
        "macos": [
            r".*/Library/Containers/com.apple.mail/Data/DataVaults(/.*)?",
        ],
    },
}

# Comet's RestrictOS constants for policy mandatory exclusions.
RESTRICT_OS = {
    "any": 0,
    "windows": 1,
    "macos": 4,
    "linux": 5,
}
