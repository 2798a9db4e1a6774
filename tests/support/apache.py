"""A private Apache 2.4 (Debian's apache2 + mod_ssl + mod_wsgi) serving one rendered site file.

Everything lives in a temporary ServerRoot; it listens on 127.0.0.1 only, on the ports given
(find them with tests.support.ports.free_port()), and is stopped by the pid this helper started:

    root = shared_tmpdir("apache-")          # www-data can read below it
    apache = Apache(root, site_file, ports=[https_port, http_port])
    apache.configtest()                      # `apache2 -t`: CompletedProcess
    apache.start(); ...; apache.stop()       # or: with apache.start(): ...

As root, Apache's children (and mod_wsgi's daemon processes) run as www-data, so every file
the site reads (certificates, dsn_dir, a WSGI app's code and data) must be readable by it;
shared_tmpdir() makes a 0755 directory for them, unlike pytest's tmp_path (0700), and
readable_copy() puts there what must come from the clone (its virtualenv, for mod_wsgi's
python-home), which may live where www-data cannot go (/root).
"""
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time

APACHE = "/usr/sbin/apache2"
MODULE_DIR = "/usr/lib/apache2/modules"
# What the rendered vhost needs in either mode (wsgi or proxy), and what Debian loads by default.
MODULES = ("mpm_event", "authz_core", "authn_core", "mime", "alias", "dir", "headers",
           "socache_shmcb", "ssl", "wsgi", "proxy", "proxy_http")
RUN_USER = "www-data"



def shared_tmpdir(prefix="sentry-puppet-"):
    """A new directory under the system tmp dir that Apache's user can traverse and read."""
    path = tempfile.mkdtemp(prefix=prefix)
    os.chmod(path, 0o755)
    return path


def readable_copy(source, target):
    """A copy of the tree SOURCE (a virtualenv, an app) at TARGET that Apache's user can read
    wherever the clone lives: a clone in /root (0700) is out of www-data's reach, and mod_wsgi
    then refuses the whole site with 403 ("Unable to stat Python home"). TARGET's directories
    are 0755; a file already readable by all is hard-linked (a venv of 14,000 files in a
    second), else copied and made readable, so SOURCE's own modes never change. Symlinks
    (a venv's bin/python) are kept as links. Returns TARGET."""
    def link_or_copy(src, dst):
        mode = os.stat(src).st_mode
        if mode & stat.S_IROTH:
            try:
                os.link(src, dst)
                return dst
            except OSError:  # another file system, or links refused
                pass
        shutil.copy2(src, dst)
        os.chmod(dst, stat.S_IMODE(mode) | stat.S_IROTH | stat.S_IRGRP
                 | (stat.S_IXOTH | stat.S_IXGRP if mode & stat.S_IXUSR else 0))
        return dst

    shutil.copytree(source, target, symlinks=True, copy_function=link_or_copy)
    for directory, _, _ in os.walk(target):
        os.chmod(directory, 0o755)
    return target


def readable_venv(venv, target):
    """readable_copy() of a virtualenv whose console scripts (bin/bugsink-manage, ...) run as
    Apache's user too: their `#!` line names the source venv's python, out of that user's reach
    in a clone under /root, so each such script is rewritten (a new file: the hard-linked
    source is never touched) to name the copy's python."""
    readable_copy(venv, target)
    shebang = ("#!%s/bin/" % venv).encode()
    bin_dir = os.path.join(target, "bin")
    for name in os.listdir(bin_dir):
        path = os.path.join(bin_dir, name)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, "rb") as handle:
            data = handle.read()
        if data.startswith(shebang):
            mode = stat.S_IMODE(os.stat(path).st_mode)
            os.unlink(path)
            with open(path, "wb") as handle:
                handle.write(b"#!%s/bin/" % target.encode() + data[len(shebang):])
            os.chmod(path, mode)
    return target


def give_to_run_user(path):
    """Make PATH (recursively) owned by Apache's run user, for files the app writes (a
    database). Nothing to do when not root: then Apache runs as the current user."""
    if os.geteuid() != 0:
        return
    import pwd
    entry = pwd.getpwnam(RUN_USER)
    for directory, dirs, files in os.walk(path):
        os.chown(directory, entry.pw_uid, entry.pw_gid)
        for name in files:
            os.chown(os.path.join(directory, name), entry.pw_uid, entry.pw_gid)


def _port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Apache:
    def __init__(self, root, site_file, ports):
        self.root = os.path.abspath(root)
        self.site_file = site_file
        self.ports = list(ports)
        self.process = None
        self.run_dir = os.path.join(self.root, "run")
        self.conf = os.path.join(self.root, "httpd.conf")
        self.error_log = os.path.join(self.root, "error.log")
        os.makedirs(self.run_dir, exist_ok=True)
        os.chmod(self.root, 0o755)
        os.chmod(self.run_dir, 0o755)
        with open(self.conf, "w", encoding="utf-8") as handle:
            handle.write(self.config_text())

    def config_text(self):
        lines = [
            'ServerRoot "%s"' % self.root,
            "ServerName 127.0.0.1",
            'PidFile "%s/apache.pid"' % self.run_dir,
            'DefaultRuntimeDir "%s"' % self.run_dir,
            'ErrorLog "%s"' % self.error_log,
            "LogLevel warn ssl:info",
            'LogFormat "%h \\"%r\\" %>s %b ssl=%{SSL_CLIENT_VERIFY}x" brief',
            'CustomLog "%s/access.log" brief' % self.root,
        ]
        lines += ["LoadModule %s_module %s/mod_%s.so" % (m, MODULE_DIR, m) for m in MODULES]
        lines += [
            'Mutex file:%s default' % self.run_dir,
            'WSGISocketPrefix "%s/wsgi"' % self.run_dir,
            'SSLSessionCache "shmcb:%s/ssl_scache(512000)"' % self.run_dir,
            "TypesConfig /etc/mime.types",
            "StartServers 1",
            "ServerLimit 2",
            "ThreadsPerChild 16",
            "MaxRequestWorkers 32",
        ]
        if os.geteuid() == 0:
            # Without them the WSGI daemon would run as uid -1 (504); root is refused.
            lines += ["User %s" % RUN_USER, "Group %s" % RUN_USER]
        lines += ["Listen 127.0.0.1:%d" % port for port in self.ports]
        lines += ["<Directory />", "    AllowOverride None", "    Require all denied",
                  "</Directory>", 'Include "%s"' % self.site_file]
        return "\n".join(lines) + "\n"

    def configtest(self):
        """`apache2 -t` on this configuration (site file included)."""
        return subprocess.run([APACHE, "-f", self.conf, "-t"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=self._env())

    def _env(self):
        env = dict(os.environ)
        env.setdefault("LANG", "C.UTF-8")
        return env

    def start(self, timeout=30):
        for port in self.ports:
            if _port_open(port):
                raise RuntimeError("port %d is already in use" % port)
        self.process = subprocess.Popen(
            [APACHE, "-f", self.conf, "-DFOREGROUND"], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.root, "stderr.log"), "wb"),
            env=self._env(), start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("apache2 exited with %d:\n%s"
                                   % (self.process.returncode, self.logs()))
            if all(_port_open(port) for port in self.ports):
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("apache2 did not listen on %s within %d s:\n%s"
                           % (self.ports, timeout, self.logs()))

    def stop(self, timeout=20):
        """Stop the server this helper started (by its pid) and wait until its ports are free."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        deadline = time.monotonic() + timeout
        while any(_port_open(port) for port in self.ports) and time.monotonic() < deadline:
            time.sleep(0.1)

    def logs(self):
        texts = []
        for name in ("stderr.log", "error.log"):
            try:
                with open(os.path.join(self.root, name), encoding="utf-8",
                          errors="replace") as handle:
                    texts.append(handle.read()[-4000:])
            except FileNotFoundError:
                pass
        return "\n".join(texts)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


def remove_tree(path):
    shutil.rmtree(path, ignore_errors=True)
