# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""STAND-IN for Comet Backup's Linux `backup-tool` (test code of unil.backup, never shipped).

It behaves like the real client as far as the unil.backup collection can observe it, against the Comet Server
stand-in (tests/comet_server): CLI `version`, `info device-id`, `login status|prompt|disconnect`, the daemon
`cmd -ValidateConfig=false -Action=delegate-server` (device-heartbeat every few seconds), and the installer logic
(`_standin-install`, called by the self-extracting .run). It talks to the server with urllib only (no curl).

Secrets: the account password is read from stdin only, sent once to web/session/start in a POST body, and never
written anywhere; only the session key is stored (config.dat, mode 0600).

Runs on Python 3.6+ (RHEL 8's platform python) without any third-party module.
"""

import errno
import getpass
import hashlib
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
META_FILE = "standin.json"
PROGRAM_FILES = ("backup-tool", "backup-daemon-start.sh", "backup-daemon-start-background.sh", META_FILE)
LOGIN_STATUS = {
    0: "Logged out (0)",
    1: "Logged in, locked (1)",
    2: "Logged in, unlocked (2)",
    3: "Connection error (3)",
    4: "Unregistered device for the supplied credentials (4)",
}
HTTP_TIMEOUT = 15


# The questions of the seed's documented Linux activation (seed 000, "Linux": the .run's "First time setup - please
# answer the following questions:"), in this order; `login prompt` asks the same. Answers that do not fit them (out
# of order, or more than asked) are refused before any device is registered, so the role's stdin is tested against
# the documented sequence rather than against the collection's own assumption.
QUESTIONS = ("Username", "Password", "Server URL", "Device name")
SEQUENCE_HELP = ("the answers, one per line on stdin, are in this order: Username, Password, Server URL (blank for the "
                 "default), Device name (blank for the default)")
EXIT_BAD_ANSWERS = 2


class AnswerError(Exception):
    """An answer that does not fit its question. The message never quotes an answer (it may be a misplaced
    password)."""


def _looks_like_url(value):
    return "://" in value or value.lower().startswith(("http:", "https:"))


def check_answer(question, value):
    """Refuse (AnswerError) an answer that does not fit ``question``; None is the end of input."""
    value = value.strip() if isinstance(value, str) else value
    if question in ("Username", "Password") and not value:
        raise AnswerError("%s: no answer (end of input or an empty line)" % question)
    if question in ("Username", "Device name") and value and _looks_like_url(value):
        raise AnswerError("%s: the answer is a URL (are the answers out of order?)" % question)
    if question == "Server URL" and value:
        parsed = urllib.parse.urlsplit(value)
        if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc:
            raise AnswerError("Server URL: the answer is not an http:// or https:// URL (are the answers out of order?)")
    return value


def check_no_more_answers():
    """After the last question: refuse more answers (trailing empty lines are fine). Piped input only: a terminal
    would wait for them."""
    if sys.stdin.isatty():
        return
    extra = [line for line in sys.stdin.read().splitlines() if line.strip()]
    if extra:
        raise AnswerError("%d more answer(s) after the last question (Device name)" % len(extra))


def refuse_answers(out, exc):
    out.error("ERROR: Unexpected answers: %s; %s." % (exc, SEQUENCE_HELP))
    return EXIT_BAD_ANSWERS


class LoginError(Exception):
    """The server refused, or could not be reached. The message never holds a password."""

    def __init__(self, message, connection=False):
        Exception.__init__(self, message)
        self.connection = connection


# ---------------------------------------------------------------------------------------------------- basics
def read_meta(directory):
    with open(os.path.join(directory, META_FILE)) as handle:
        return json.load(handle)


def install_root():
    """TEST-ONLY prefix for /opt (STANDIN_INSTALL_ROOT); the real client always uses /opt."""
    return os.environ.get("STANDIN_INSTALL_ROOT", "") or "/"


def home_dir():
    # Like the real client: credentials are found through $HOME, falling back to /root/ when it is unset.
    return os.environ.get("HOME") or "/root/"


def config_path():
    return os.path.join(home_dir(), ".config", "backup-tool", "config.dat")


def load_config():
    try:
        with open(config_path()) as handle:
            data = json.load(handle)
    except (OSError, IOError, ValueError):
        return None
    if not isinstance(data, dict) or not data.get("SessionKey"):
        return None
    return data


def save_config(data):
    path = config_path()
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        handle.write("\n")
    os.chmod(tmp, 0o600)
    os.rename(tmp, path)


def remove_config():
    try:
        os.unlink(config_path())
        return True
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise
        return False


def short_hostname():
    return socket.gethostname().split(".")[0]


def _read(path, binary=False):
    try:
        with open(path, "rb" if binary else "r") as handle:
            return handle.read()
    except (OSError, IOError):
        return b"" if binary else ""


def device_id():
    """Stable for the host, like the real client: a hash of the machine identity and the SSH host keys.

    Cloned machines with the same /etc/machine-id and SSH host keys collide, as with the real client."""
    digest = hashlib.sha256(b"comet-standin-device-id\0")
    machine_id = ""
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id", "/sys/class/dmi/id/product_uuid"):
        machine_id = _read(path).strip()
        if machine_id:
            break
    if not machine_id:
        machine_id = "host:" + socket.gethostname()
    digest.update(machine_id.encode("utf-8") + b"\0")
    ssh_dir = "/etc/ssh"
    try:
        names = sorted(n for n in os.listdir(ssh_dir) if n.startswith("ssh_host_") and n.endswith("_key.pub"))
    except OSError:
        names = []
    for name in names:
        parts = _read(os.path.join(ssh_dir, name)).split()
        if len(parts) >= 2:
            digest.update(parts[0].encode("utf-8") + b" " + parts[1].encode("utf-8") + b"\0")
    return digest.hexdigest()


def current_device_id():
    config = load_config()
    if config and config.get("DeviceID"):
        return config["DeviceID"]
    return device_id()


def os_info():
    release = {}
    for line in _read("/etc/os-release").splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            release[key.strip()] = value.strip().strip('"')
    arch = platform.machine().lower()
    arch = {"x86_64": "amd64", "aarch64": "arm64", "i686": "386", "i386": "386"}.get(arch, arch)
    distribution = " ".join(x for x in (release.get("NAME", "Linux"), release.get("VERSION_ID", "")) if x)
    return {"os": "linux", "distribution": distribution, "arch": arch, "version": release.get("VERSION_ID", ""),
            "build": platform.release()}


def normalize_server(url):
    url = url.strip()
    if url and not url.endswith("/"):
        url += "/"
    return url


# ---------------------------------------------------------------------------------------------------- HTTP
def call(server, endpoint, params):
    """POST form params to <server>api/v1/user/<endpoint>; the JSON answer, or LoginError (never echoing params)."""
    url = normalize_server(server) + "api/v1/user/" + endpoint
    if not url.startswith(("http://", "https://")):
        raise LoginError("invalid server URL %r (expected http:// or https://)" % server, connection=True)
    body = urllib.parse.urlencode(params).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    # The system trust store; SSL_CERT_FILE / SSL_CERT_DIR are honoured by OpenSSL for private CAs.
    context = ssl.create_default_context() if url.startswith("https://") else None
    try:
        response = urllib.request.urlopen(request, timeout=HTTP_TIMEOUT, context=context)
        raw = response.read()
        status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
        try:
            raw = exc.read()
        except (http.client.HTTPException, OSError):
            raw = b""
    except (urllib.error.URLError, http.client.HTTPException, socket.timeout, OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "reason", exc)
        raise LoginError("could not connect to %s (%s)" % (normalize_server(server), reason), connection=True)
    try:
        answer = json.loads(raw.decode("utf-8"))
    except ValueError:
        answer = None
    message = answer.get("Message") if isinstance(answer, dict) else None
    json_status = answer.get("Status") if isinstance(answer, dict) else None
    if status >= 400 or (isinstance(json_status, int) and json_status >= 400):
        code = json_status if isinstance(json_status, int) else status
        raise LoginError(message or ("HTTP %d" % status), connection=code >= 500)
    if not isinstance(answer, dict):
        raise LoginError("unexpected answer from the server (HTTP %d)" % status, connection=True)
    return answer


def session_start(server, username, password):
    answer = call(server, "web/session/start", {"Username": username, "AuthType": "Password", "Password": password})
    key = answer.get("SessionKey")
    if not key:
        raise LoginError("the server returned no session key")
    return key


def session_params(config):
    return {"Username": config["Username"], "AuthType": "SessionKey", "SessionKey": config["SessionKey"]}


def register_device(server, username, session_key, dev_id, name, version):
    params = {"Username": username, "AuthType": "SessionKey", "SessionKey": session_key, "DeviceID": dev_id,
              "FriendlyName": name, "ReportedPlatform": json.dumps(os_info(), sort_keys=True),
              "ReportedVersion": version}
    call(server, "register-device", params)


# ---------------------------------------------------------------------------------------------------- output
class Output(object):
    """stdout plus the optional install log (WRITE_INSTALL_LOG). Nothing secret is ever given to it."""

    def __init__(self, log_path=None):
        self.log = None
        if log_path:
            fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            self.log = os.fdopen(fd, "a")

    def write(self, text, stream=None):
        stream = stream or sys.stdout
        stream.write(text)
        stream.flush()
        if self.log:
            self.log.write(text)
            self.log.flush()

    def line(self, text):
        self.write(text + "\n")

    def error(self, text):
        self.write(text + "\n", stream=sys.stderr)


def ask(out, prompt, secret=False):
    """Prompt on stdout, read one line from stdin (None at end of input). A secret is never echoed nor logged."""
    if sys.stdin.isatty():
        if secret:
            if out.log:
                out.log.write(prompt + "\n")
                out.log.flush()
            return getpass.getpass(prompt)
        out.write(prompt)
        line = sys.stdin.readline()
        if out.log:
            out.log.write(line if line.endswith("\n") else line + "\n")
            out.log.flush()
        return line.rstrip("\r\n") if line else None
    # piped answers are not echoed (the terminal would not echo them either); just end the prompt's line
    out.write(prompt + "\n")
    line = sys.stdin.readline()
    if not line:
        return None
    return line.rstrip("\r\n")


# ---------------------------------------------------------------------------------------------------- login
def interactive_login(out, meta, default_server, first_install):
    """Ask the seed's questions in order, log in, register. Returns the new config or raises LoginError, or
    AnswerError (answers that do not fit the questions: nothing registered)."""
    username = check_answer("Username", ask(out, "Username: "))
    password = ask(out, "Password: ", secret=True)
    check_answer("Password", password)
    server = check_answer("Server URL", ask(out, "Server URL (%s): " % default_server))
    server = normalize_server(server or default_server)
    out.line("Logging in...")
    session_key = session_start(server, username, password)
    del password
    default_name = short_hostname()
    name = check_answer("Device name", ask(out, "Device name (%s): " % default_name)) if first_install else None
    name = (name or "").strip() or default_name
    check_no_more_answers()
    out.line("Registering this device...")
    dev_id = device_id()
    register_device(server, username, session_key, dev_id, name, meta["version"])
    config = {"Username": username, "Server": server, "SessionKey": session_key, "DeviceID": dev_id,
              "FriendlyName": name, "Brand": meta["brand"]}
    return config


def login_status():
    config = load_config()
    if not config:
        return 0
    try:
        answer = call(config.get("Server", ""), "get-profile-and-hash", session_params(config))
    except LoginError as exc:
        return 3 if exc.connection else 0
    profile = answer.get("Profile") or {}
    if config.get("DeviceID") not in (profile.get("Devices") or {}):
        return 4
    return 1 if profile.get("IsSuspended") else 2


def cmd_login(args, meta):
    if not args:
        sys.stderr.write("usage: backup-tool login status|prompt|disconnect\n")
        return 2
    if args[0] == "status":
        print(LOGIN_STATUS[login_status()])
        return 0
    if args[0] == "disconnect":
        remove_config()
        print("Logged out.")
        return 0
    if args[0] == "prompt":
        out = Output()
        previous = load_config() or {}
        default_server = previous.get("Server") or os.environ.get("OVERRIDE_INSTALL_SERVER") or meta["default_server"]
        default_name = previous.get("FriendlyName") or short_hostname()
        # `login prompt` asks the questions of the seed's Linux activation, in their order: username, password,
        # server URL (blank = current), device name (blank = current); anything else is refused before any login
        try:
            username = check_answer("Username", ask_plain("Username: "))
            password = ask_plain("Password: ", secret=True)
            check_answer("Password", password)
            server = check_answer("Server URL", ask_plain("Server URL (%s): " % default_server))
            name = check_answer("Device name", ask_plain("Device name (%s): " % default_name))
            check_no_more_answers()
        except AnswerError as exc:
            return refuse_answers(out, exc)
        server = normalize_server(server or default_server)
        try:
            session_key = session_start(server, username, password)
            del password
            dev_id = previous.get("DeviceID") or device_id()
            name = (name or "").strip() or default_name
            register_device(server, username, session_key, dev_id, name, meta["version"])
        except LoginError as exc:
            out.error("ERROR: Login failed: %s" % exc)
            return 1
        save_config({"Username": username, "Server": server, "SessionKey": session_key, "DeviceID": dev_id,
                     "FriendlyName": name, "Brand": meta["brand"]})
        print("Logged in.")
        return 0
    sys.stderr.write("unknown login action %r\n" % args[0])
    return 2


def ask_plain(prompt, secret=False):
    if prompt:
        if secret and sys.stdin.isatty():
            return getpass.getpass(prompt)
        sys.stdout.write(prompt + ("" if sys.stdin.isatty() else "\n"))
        sys.stdout.flush()
    line = sys.stdin.readline()
    return line.rstrip("\r\n") if line else None


# ---------------------------------------------------------------------------------------------------- daemon
def heartbeat_seconds(config):
    for value in (os.environ.get("STANDIN_HEARTBEAT_SECONDS"), (config or {}).get("HeartbeatSeconds")):
        try:
            if value is not None and float(value) > 0:
                return float(value)
        except (TypeError, ValueError):
            pass
    return 5.0


def daemon_log(text):
    sys.stderr.write("%s backup-tool[%d]: %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), os.getpid(), text))
    sys.stderr.flush()


def still_supervised():
    """When started by backup-daemon-start.sh: stop once that supervisor is gone or replaced (pidfile)."""
    supervisor = os.environ.get("COMET_STANDIN_SUPERVISOR_PID")
    if not supervisor:
        return True
    if str(os.getppid()) != supervisor:
        return False
    return _read(os.path.join(HERE, "daemon.pid")).strip() == supervisor


def run_daemon(meta):
    stopping = []

    def _stop(signum, frame):  # pylint: disable=unused-argument
        stopping.append(signum)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGHUP, _stop)
    daemon_log("delegate-server %s started" % meta["version"])
    last_state = None
    while not stopping:
        if not still_supervised():
            daemon_log("supervisor replaced, exiting")
            break
        config = load_config()
        if not config:
            state = "not logged in"
        else:
            params = session_params(config)
            params.update({"DeviceID": config.get("DeviceID") or device_id(), "ReportedVersion": meta["version"],
                           "ReportedPlatform": json.dumps(os_info(), sort_keys=True)})
            try:
                call(config.get("Server", ""), "device-heartbeat", params)
                state = "online"
            except LoginError as exc:
                state = "heartbeat failed: %s" % exc
            except Exception as exc:  # pylint: disable=broad-except  # the service survives anything the network does
                state = "heartbeat failed: %s: %s" % (type(exc).__name__, exc)
        if state != last_state:
            daemon_log(state)
            last_state = state
        deadline = time.time() + heartbeat_seconds(config)
        while not stopping and time.time() < deadline:
            time.sleep(0.2)
    daemon_log("delegate-server stopped")
    return 0


# ---------------------------------------------------------------------------------------------------- install
def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    # a zombie is not running
    stat = _read("/proc/%d/stat" % pid)
    return not (stat and stat.rsplit(")", 1)[-1].split()[:1] == ["Z"])


def running_supervisor(target):
    try:
        pid = int(_read(os.path.join(target, "daemon.pid")).strip())
    except ValueError:
        return None
    cmdline = _read("/proc/%d/cmdline" % pid, binary=True).replace(b"\0", b" ")
    if _pid_alive(pid) and b"backup-daemon-start" in cmdline:
        return pid
    return None


def stop_daemon(target, timeout=10.0):
    pid = running_supervisor(target)
    if not pid:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + timeout
    while time.time() < deadline and _pid_alive(pid):
        time.sleep(0.1)
    if _pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    return True


def start_daemon_background(target):
    subprocess.check_call([os.path.join(target, "backup-daemon-start-background.sh")], stdin=subprocess.DEVNULL,
                          env=dict(os.environ, HOME=home_dir()))


def copy_program_files(source, target):
    for name in PROGRAM_FILES:
        tmp = os.path.join(target, "." + name + ".new")
        shutil.copyfile(os.path.join(source, name), tmp)
        os.chmod(tmp, 0o644 if name.endswith(".json") else 0o755)
        os.rename(tmp, os.path.join(target, name))


def cmd_install(args, meta):
    """Called by the .run with the extracted payload directory; stdin carries the answers."""
    source = HERE
    out = Output(os.environ.get("WRITE_INSTALL_LOG") or None)
    if os.geteuid() != 0:
        out.error("ERROR: This installer must be run as root.")
        return 1
    target = os.path.join(install_root(), "opt", meta["brand"])
    upgrade = os.path.exists(os.path.join(target, "backup-tool"))
    default_server = normalize_server(os.environ.get("OVERRIDE_INSTALL_SERVER") or meta["default_server"])
    if upgrade:
        out.line("Upgrading existing installation...")
    else:
        out.line("First-time installation...")
    was_running = stop_daemon(target) if upgrade else True
    out.line("Extracting latest software version to '%s'..." % target)
    if not os.path.isdir(target):
        os.makedirs(target, 0o755)
    copy_program_files(source, target)
    if was_running:
        out.line("Starting service...")
        start_daemon_background(target)
    if upgrade:
        config = load_config()
        if config:
            # the running client reports its new version to the server (same device ID, nothing added)
            try:
                register_device(config["Server"], config["Username"], config["SessionKey"],
                                config.get("DeviceID") or device_id(), config.get("FriendlyName") or short_hostname(),
                                meta["version"])
            except LoginError as exc:
                out.line("WARNING: could not report the new version to the server: %s" % exc)
        out.line("Complete!")
        return 0
    remove_config()  # a login left by an earlier installation is replaced (or, on failure, gone)
    out.line("First time setup - please answer the following questions:")
    try:
        config = interactive_login(out, meta, default_server, first_install=True)
    except AnswerError as exc:
        return refuse_answers(out, exc)
    except LoginError as exc:
        out.error("ERROR: Login failed: %s" % exc)
        return 1
    save_config(config)
    out.line("Logged in.")
    out.line("Complete!")
    return 0


# ---------------------------------------------------------------------------------------------------- main
USAGE = """Usage: backup-tool COMMAND
  version                       print the client version
  info device-id                print this device's ID
  login status                  print the login status (asks the server)
  login prompt                  log in with username, password, server URL, device name (one per line on stdin)
  login disconnect              forget the stored login
  cmd -ValidateConfig=false -Action=delegate-server   run the background service (foreground)
"""


def main(argv):
    meta = read_meta(HERE)
    if not argv or argv[0] in ("-h", "--help", "help"):
        sys.stdout.write(USAGE)
        return 0 if argv else 2
    command, args = argv[0], argv[1:]
    if command == "version":
        print(meta["version"])
        return 0
    if command == "info" and args[:1] == ["device-id"]:
        print(current_device_id())
        return 0
    if command == "login":
        return cmd_login(args, meta)
    if command == "cmd" and "-Action=delegate-server" in args:
        return run_daemon(meta)
    if command == "_standin-install":
        return cmd_install(args, meta)
    sys.stderr.write(USAGE)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
