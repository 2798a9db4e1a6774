"""A Debian root booted with systemd as its PID 1 (systemd-nspawn), for what only a real
systemd shows: units, timers, the journal, a reboot. The root is a copy of scripts/debian-root's
cached root (debootstrap + the suite's apt packages, keyed by release and package set); it
shares this machine's network (what runs in it listens on 127.0.0.1 and free ports), commands
run in it through nsenter, and it is powered off and removed by the pids started here.

nspawn needs the machine itself: from a chroot it fails (`Failed to mount n/a ... MS_SLAVE`).
`unavailable()` says why a root cannot boot here; the caller skips with that line, or fails
under CI=true.
"""
import os
import pathlib
import shutil
import subprocess
import time

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def unavailable():
    """-> one line saying why a root cannot be booted here, or None."""
    if os.geteuid() != 0:
        return "booting a root with systemd-nspawn needs root"
    if not shutil.which("systemd-nspawn"):
        return "systemd-nspawn is missing: scripts/install-deps installs systemd-container"
    # In a chroot no mount is at "/": the kernel lists only mounts under the process's root.
    with open("/proc/self/mountinfo") as handle:
        if not any(line.split()[4] == "/" for line in handle):
            return ("this runs in a chroot, where systemd-nspawn cannot mount (run it on the "
                    "machine itself)")
    return None


def template(suite):
    """The cached root of scripts/debian-root SUITE (built the first time: minutes)."""
    result = subprocess.run([str(REPO / "scripts" / "debian-root"), suite],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError("scripts/debian-root %s failed:\n%s" % (suite, result.stderr[-3000:]))
    return result.stdout.strip().splitlines()[-1]


class BootedRoot:
    """A copy of TEMPLATE in DIRECTORY/root. Before `boot()`, `path()` and `disable()` prepare
    it as a bare host would be; `run()` runs a shell command in it as root."""

    def __init__(self, template_dir, directory, binds=(), binds_ro=()):
        self.root = os.path.join(directory, "root")
        self.log = os.path.join(directory, "boot.log")
        os.makedirs(directory, exist_ok=True)
        subprocess.run(["cp", "-a", template_dir, self.root], check=True, timeout=1800)
        os.remove(os.path.join(self.root, ".complete"))
        pip_folders = subprocess.run([str(REPO / "scripts" / "debian-root"), "--binds"],
                                     stdout=subprocess.PIPE, universal_newlines=True,
                                     check=True).stdout.split()
        self.binds = (["--bind=%s" % path for path in binds]
                      + ["--bind-ro=%s" % path for path in list(binds_ro) + pip_folders])
        self.nspawn = None
        self.pid1 = None
        self.boots = 0

    def path(self, inside):
        """Where a path of the root is, seen from this machine."""
        return os.path.join(self.root, inside.lstrip("/"))

    def disable(self, *units):
        """Units the packages enabled that a bare host would not run (or that would take this
        machine's ports): not started at boot."""
        wants = pathlib.Path(self.path("/etc/systemd/system"))
        for link in wants.glob("*.wants/*"):
            if link.name in units:
                link.unlink()

    def boot(self, timeout=180):
        log = open(self.log, "ab")
        self.nspawn = subprocess.Popen(
            ["systemd-nspawn", "-D", self.root, "--register=no", "--keep-unit", "-b",
             "--console=pipe", "--resolv-conf=copy-host"] + self.binds,
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.boots += 1
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            if self.nspawn.poll() is not None:
                raise RuntimeError("the root did not boot (nspawn exited %d): see %s"
                                   % (self.nspawn.returncode, self.log))
            self.pid1 = self._pid1()
            if self.pid1:
                state = self.run("systemctl is-system-running", check=False).stdout.strip()
                if state in ("running", "degraded"):
                    return state
            time.sleep(0.5)
        raise RuntimeError("systemd in the root is %r after %d s: see %s"
                           % (state, timeout, self.log))

    def _pid1(self):
        children = subprocess.run(["pgrep", "-P", str(self.nspawn.pid)], stdout=subprocess.PIPE,
                                  universal_newlines=True).stdout.split()
        return int(children[0]) if children else None

    def run(self, command, check=True, timeout=900):
        """COMMAND (bash) as root in the booted root, with a clean environment but for how
        pip reaches its registry here (PIP_*)."""
        pip = ["%s=%s" % item for item in os.environ.items() if item[0].startswith("PIP_")]
        result = subprocess.run(
            ["nsenter", "-t", str(self.pid1), "-a", "/usr/bin/env", "-i", "HOME=/root",
             "PATH=" + PATH, "LANG=C.UTF-8"] + pip + ["/bin/bash", "-c", command],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
            timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError("in the booted root, `%s` exited %d:\n%s"
                               % (command, result.returncode, result.stdout[-4000:]))
        return result

    def reboot(self, timeout=120):
        """`systemctl reboot` inside: nspawn ends with that boot; the root boots again."""
        self.run("systemctl reboot", check=False)
        self.nspawn.wait(timeout)
        return self.boot()

    def poweroff(self, timeout=90):
        if self.nspawn is None or self.nspawn.poll() is not None:
            return
        self.run("systemctl poweroff", check=False, timeout=30)
        try:
            self.nspawn.wait(timeout)
        except subprocess.TimeoutExpired:
            self.nspawn.kill()
            self.nspawn.wait()

    def remove(self):
        self.poweroff()
        subprocess.run(["rm", "-rf", "--one-file-system", self.root], check=True, timeout=600)
