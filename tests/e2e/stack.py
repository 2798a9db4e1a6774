"""A private Puppet infrastructure for the round-trip test: PostgreSQL, PuppetDB and
puppetserver from Debian's packages (whichever releases are installed: Debian 12 has
PostgreSQL 15 and Puppet 7, Debian 13 PostgreSQL 17 and Puppet 8), on 127.0.0.1 and free ports,
every file under one temporary directory (no system config touched, no systemd), stopped by the
pids started here.

Agents get a confdir, vardir, ssldir, publicdir... of their own per certname, so several
nodes run on one machine.
"""
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.request

from tests.support.ports import free_port
from tests.support.postgresql import postgresql_bin

SERVER_CERTNAME = "puppet.localhost"  # with SAN localhost: every client talks to https://localhost
JAVA_QUICK = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]  # Clojure compiles at every start


def run(command, **kwargs):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError("%s exited %d:\n%s" % (" ".join(command), result.returncode,
                                                  result.stdout[-4000:]))
    return result.stdout


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, mode)


def peak_rss_mib(pid):
    try:
        with open("/proc/%d/status" % pid) as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class Stack:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="sentry-puppet-e2e-")
        os.chmod(self.root, 0o755)
        self.pg_port, self.pdb_port, self.pdb_ssl_port, self.ps_port = (
            free_port(), free_port(), free_port(), free_port())
        self.processes = {}
        self.timings = {}
        self.server_conf = os.path.join(self.root, "server")
        self.code = os.path.join(self.root, "code")
        self.ssldir = os.path.join(self.server_conf, "ssl")
        self.cadir = os.path.join(self.server_conf, "ca")

    # -- bring-up ------------------------------------------------------------------------

    def start(self):
        started = time.monotonic()
        self._postgres()
        self.timings["postgresql"] = time.monotonic() - started
        mark = time.monotonic()
        self._server_config()
        self._ca()
        self.timings["ca setup"] = time.monotonic() - mark
        mark = time.monotonic()
        self._start_puppetdb()
        self._start_puppetserver()
        self._wait(self._puppetdb_ready, "PuppetDB", "puppetdb", 240)
        self._wait(self._puppetserver_ready, "puppetserver", "puppetserver", 240)
        self.timings["puppetdb + puppetserver ready"] = time.monotonic() - mark
        return self

    def _postgres(self):
        data = os.path.join(self.root, "pg")
        os.makedirs(data)
        shutil.chown(data, "postgres", "postgres")
        os.chmod(data, 0o700)
        pg_bin = postgresql_bin()
        as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]
        run(as_postgres + [pg_bin + "/initdb", "-D", data, "-U", "postgres", "--auth=trust",
                           "-E", "UTF8", "--no-sync"])
        log = open(os.path.join(self.root, "postgres.log"), "ab")
        self.processes["postgres"] = subprocess.Popen(
            as_postgres + [pg_bin + "/postgres", "-D", data, "-h", "127.0.0.1", "-p",
                           str(self.pg_port), "-k", data, "-c", "fsync=off"],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        psql = [pg_bin + "/psql", "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres",
                "-v", "ON_ERROR_STOP=1"]
        deadline = time.monotonic() + 60
        while subprocess.run(psql + ["-c", "select 1"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL).returncode != 0:
            if time.monotonic() > deadline or self.processes["postgres"].poll() is not None:
                raise RuntimeError("PostgreSQL did not start: see %s/postgres.log" % self.root)
            time.sleep(0.3)
        run(psql + ["-c", "CREATE ROLE puppetdb LOGIN PASSWORD 'puppetdb'",
                    "-c", "CREATE DATABASE puppetdb OWNER puppetdb"])
        run(psql + ["-d", "puppetdb", "-c", "CREATE EXTENSION pg_trgm"])

    def _server_config(self):
        c = self.server_conf
        write(os.path.join(c, "puppet.conf"), """[main]
certname = {cert}
server = localhost
serverport = {ps}
ssldir = {c}/ssl
vardir = {c}/var
logdir = {c}/log
rundir = {c}/run
codedir = {code}
[server]
cadir = {c}/ca
autosign = true
storeconfigs = true
storeconfigs_backend = puppetdb
reports = store,puppetdb
environment_timeout = 0
""".format(cert=SERVER_CERTNAME, ps=self.ps_port, c=c, code=self.code))
        write(os.path.join(c, "puppetdb.conf"),
              "[main]\nserver_urls = https://localhost:%d\nsoft_write_failure = false\n"
              % self.pdb_ssl_port)
        write(os.path.join(c, "routes.yaml"),
              "---\nserver:\n  facts:\n    terminus: puppetdb\n    cache: yaml\n")
        os.makedirs(os.path.join(self.code, "environments", "production", "modules"))
        write(os.path.join(self.code, "environments", "production", "manifests", "site.pp"),
              "node default { }\n")

        ps = os.path.join(self.root, "puppetserver")
        logback = os.path.join(ps, "logback.xml")
        write(logback, """<configuration>
  <appender name="F1" class="ch.qos.logback.core.FileAppender">
    <file>{log}</file>
    <encoder><pattern>%d %-5p [%c{{2}}] %m%n</pattern></encoder>
  </appender>
  <root level="info"><appender-ref ref="F1"/></root>
</configuration>
""".format(log=os.path.join(ps, "puppetserver.log")))
        confd = os.path.join(ps, "conf.d")
        os.makedirs(confd)
        for name in ("auth.conf", "ca.conf", "metrics.conf", "web-routes.conf"):
            shutil.copy("/etc/puppet/puppetserver/conf.d/" + name, confd)
        write(os.path.join(confd, "global.conf"), "global: { logging-config: %s }\n" % logback)
        write(os.path.join(confd, "webserver.conf"),
              "webserver: { client-auth: want, ssl-host: 127.0.0.1, ssl-port: %d }\n"
              % self.ps_port)
        write(os.path.join(confd, "puppetserver.conf"), """jruby-puppet: {{
    ruby-load-path: [/usr/lib/puppetserver/ruby/vendor_ruby]
    gem-home: /var/lib/puppetserver/jruby-gems
    gem-path: [${{jruby-puppet.gem-home}}, "/usr/lib/puppetserver/vendored-jruby-gems"]
    server-conf-dir: {c}
    server-code-dir: {code}
    server-var-dir: {ps}/var
    server-run-dir: {ps}/run
    server-log-dir: {ps}/log
    max-active-instances: 1
}}
http-client: {{}}
profiler: {{}}
""".format(c=c, code=self.code, ps=ps))
        self.ps_confd = confd

        pdb = os.path.join(self.root, "puppetdb")
        write(os.path.join(pdb, "logback.xml"), open(logback).read().replace(
            os.path.join(ps, "puppetserver.log"), os.path.join(pdb, "puppetdb.log")))
        self.pdb_confd = os.path.join(pdb, "conf.d")
        os.makedirs(self.pdb_confd)
        shutil.copy("/etc/puppetdb/conf.d/auth.conf", self.pdb_confd)
        write(os.path.join(self.pdb_confd, "config.ini"),
              "[global]\nvardir = {p}/var\nlogging-config = {p}/logback.xml\n"
              "[puppetdb]\ndisable-update-checking = true\n".format(p=pdb))
        write(os.path.join(self.pdb_confd, "database.ini"),
              "[database]\nsubname = //127.0.0.1:%d/puppetdb\nusername = puppetdb\n"
              "password = puppetdb\n" % self.pg_port)
        ssl_dir = os.path.join(pdb, "ssl")
        write(os.path.join(self.pdb_confd, "jetty.ini"), """[jetty]
host = 127.0.0.1
port = {http}
ssl-host = 127.0.0.1
ssl-port = {https}
ssl-key = {s}/private.pem
ssl-cert = {s}/public.pem
ssl-ca-cert = {s}/ca.pem
""".format(http=self.pdb_port, https=self.pdb_ssl_port, s=ssl_dir))
        os.makedirs(os.path.join(pdb, "var"))
        self.pdb_ssl = ssl_dir

    def _ca(self):
        run(["puppetserver", "ca", "setup", "--config",
             os.path.join(self.server_conf, "puppet.conf"), "--certname", SERVER_CERTNAME,
             "--subject-alt-names", "localhost,%s" % SERVER_CERTNAME])
        os.makedirs(self.pdb_ssl)
        # PuppetDB reuses the server's certificate: its SAN `localhost` is what puppetserver asks.
        for source, target in ((self.cert_file(SERVER_CERTNAME), "public.pem"),
                               (self.key_file(SERVER_CERTNAME), "private.pem"),
                               (self.ca_file, "ca.pem")):
            shutil.copy(source, os.path.join(self.pdb_ssl, target))
        os.chmod(os.path.join(self.pdb_ssl, "private.pem"), 0o600)

    def _spawn(self, name, command):
        log = open(os.path.join(self.root, name + ".out"), "ab")
        self.processes[name] = subprocess.Popen(command, stdout=log, stderr=log,
                                                stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

    def _start_puppetdb(self):
        self._spawn("puppetdb", ["java", "-Xmx256m"] + JAVA_QUICK + [
            "-Djava.security.egd=/dev/urandom", "-cp", "/usr/share/puppetdb/puppetdb.jar",
            "clojure.main", "-m", "puppetlabs.puppetdb.core", "services",
            "--config", self.pdb_confd, "--bootstrap-config", "/etc/puppetdb/bootstrap.cfg"])

    def _start_puppetserver(self):
        self._spawn("puppetserver", ["java", "-Xms512m", "-Xmx512m"] + JAVA_QUICK + [
            "-Djruby.logger.class=com.puppetlabs.jruby_utils.jruby.Slf4jLogger",
            "-Djruby.lib=/usr/share/jruby/lib", "-jar", "/usr/share/puppetserver/puppetserver.jar",
            "--config", self.ps_confd,
            "--bootstrap-config", "/etc/puppet/puppetserver/services.d"])

    def _wait(self, ready, label, name, timeout):
        deadline = time.monotonic() + timeout
        while not ready():
            if self.processes[name].poll() is not None:
                raise RuntimeError("%s exited with %d: see %s/%s.out and its log"
                                   % (label, self.processes[name].returncode, self.root, name))
            if time.monotonic() > deadline:
                raise RuntimeError("%s not ready within %d s: see %s" % (label, timeout, self.root))
            time.sleep(1)

    def _puppetdb_ready(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/status/v1/services/puppetdb-status"
                                        % self.pdb_port, timeout=5) as response:
                return json.load(response).get("state") == "running"
        except (OSError, ValueError):
            return False

    def _puppetserver_ready(self):
        context = ssl.create_default_context(cafile=self.ca_file)
        try:
            with urllib.request.urlopen("https://localhost:%d/status/v1/simple" % self.ps_port,
                                        context=context, timeout=5) as response:
                return response.read().decode().strip() == "running"
        except (OSError, ValueError):
            return False

    # -- paths ---------------------------------------------------------------------------

    @property
    def ca_file(self):
        return os.path.join(self.ssldir, "certs", "ca.pem")

    @property
    def crl_file(self):
        return os.path.join(self.cadir, "ca_crl.pem")

    def cert_file(self, certname):
        return os.path.join(self.ssldir, "certs", certname + ".pem")

    def key_file(self, certname):
        return os.path.join(self.ssldir, "private_keys", certname + ".pem")

    @property
    def environment(self):
        return os.path.join(self.code, "environments", "production")

    # -- PuppetDB queries ----------------------------------------------------------------

    def exported(self, certname):
        query = urllib.request.quote(json.dumps(
            ["and", ["=", "exported", True], ["=", "certname", certname]]))
        with urllib.request.urlopen("http://127.0.0.1:%d/pdb/query/v4/resources?query=%s"
                                    % (self.pdb_port, query), timeout=10) as response:
            return json.load(response)

    def wait_for_exports(self, certname, count, timeout=60):
        """PuppetDB stores commands asynchronously: wait before the collector runs."""
        deadline = time.monotonic() + timeout
        while True:
            resources = self.exported(certname)
            if len(resources) >= count:
                return resources
            if time.monotonic() > deadline:
                raise RuntimeError("PuppetDB holds %d exported resources of %s, not %d"
                                   % (len(resources), certname, count))
            time.sleep(0.5)

    # -- teardown ------------------------------------------------------------------------

    def peak_memory(self):
        return {name: peak_rss_mib(proc.pid) for name, proc in self.processes.items()}

    def remove(self):
        """Remove the stack's directory, or say what could not be removed (a server still
        writing there, say) rather than leave it behind silently."""
        failures = []
        shutil.rmtree(self.root, onerror=lambda function, path, exc_info: failures.append(
            "%s (%s)" % (path, exc_info[1])))
        if failures or os.path.exists(self.root):
            raise RuntimeError("e2e stack directory %s not removed: %s"
                               % (self.root, "; ".join(failures[:10]) or "it is still there"))

    def stop(self):
        for name in ("puppetserver", "puppetdb", "postgres"):
            proc = self.processes.get(name)
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


class Agent:
    """One node: its own confdir, vardir, ssldir... and environment for the facts."""

    def __init__(self, stack, certname, env=None, environment="production"):
        self.stack = stack
        self.certname = certname
        self.dir = os.path.join(stack.root, "agents", certname)
        self.conf = os.path.join(self.dir, "conf")
        self.ssldir = os.path.join(self.dir, "ssl")
        self.env = dict(os.environ, **(env or {}))
        write(os.path.join(self.conf, "puppet.conf"), """[main]
certname = {certname}
server = localhost
serverport = {port}
ssldir = {d}/ssl
vardir = {d}/var
logdir = {d}/log
rundir = {d}/run
publicdir = {d}/public
codedir = {d}/code
report = false
environment = {environment}
# Ruby's keep-alive over TLS 1.3 against Jetty stalls every first run by 30 s.
http_keepalive_timeout = 0
""".format(certname=certname, port=stack.ps_port, d=self.dir, environment=environment))

    @property
    def cert_file(self):
        return os.path.join(self.ssldir, "certs", self.certname + ".pem")

    @property
    def key_file(self):
        return os.path.join(self.ssldir, "private_keys", self.certname + ".pem")

    @property
    def ca_file(self):
        return os.path.join(self.ssldir, "certs", "ca.pem")

    def run(self, *options):
        """`puppet agent --test --detailed-exitcodes [options]` -> (exit code, output, seconds)."""
        started = time.monotonic()
        result = subprocess.run(
            ["puppet", "agent", "--test", "--detailed-exitcodes", "--color=false",
             "--confdir", self.conf, "--vardir", os.path.join(self.dir, "var")] + list(options),
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            universal_newlines=True, timeout=600)
        return result.returncode, result.stdout, time.monotonic() - started
