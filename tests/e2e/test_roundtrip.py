"""The whole chain on a real puppetserver + PuppetDB: app servers export their apps, the Sentry
host's `sentry-puppet sync` reads them from PuppetDB and makes the projects on a real Bugsink,
Apache serves the DSNs to agents' certificates only, and the apps get SENTRY_DSN, by Puppet
alone; a new app gets its DSN at its app server's next run with only the Sentry host's timer
in between, and a deactivated app server's apps leave the definitions.

Run alone: .venv/bin/python -m pytest -m e2e -s   (-s prints each stage's wall time)
"""
import glob
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import yaml

from tests.e2e import exports
from tests.e2e.stack import Agent, write
from tests.support import bugsink
from tests.support.apache import Apache, give_to_run_user
from tests.support.ports import free_port

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
STDLIB = "/usr/share/puppet/modules/stdlib"

SITE_PP = """
$root = '{root}'
$node_dir = "${{root}}/agents/${{trusted['certname']}}"

# The base profile every node gets, the Sentry host included: a Sentry host that is also an
# app server (sentry::client declared before sentry::server there).
class base {{
  class {{ 'sentry::client':
    dsn_url     => 'https://localhost:{https_port}/dsn/',
    app_roots   => ["${{root}}/apps/${{trusted['certname']}}"],
    config_file => "${{node_dir}}/facts.conf",
    cache_dir   => "${{node_dir}}/cache",
    ca_file     => "${{node_dir}}/ssl/certs/ca.pem",
    cert_file   => "${{node_dir}}/ssl/certs/${{trusted['certname']}}.pem",
    key_file    => "${{node_dir}}/ssl/private_keys/${{trusted['certname']}}.pem",
    # The test's runs are seconds apart, not Puppet's 30 minutes: a 404 is believed 1 s.
    negative_ttl => 1,
  }}
}}

node /^app\\d+\\.example\\.com$/ {{
  include base
  $apps = "${{root}}/apps/${{trusted['certname']}}"
  # What an app's own manifest does: SENTRY_DSN once the DSN is known.
  $facts['sentry_apps'].each |$app, $info| {{
    $dsn = sentry::dsn($app)
    if $dsn {{
      file {{ "${{apps}}/${{app}}/sentry.env": content => "SENTRY_DSN=${{dsn}}\\n" }}
    }}
  }}
}}

node 'sentry.example.com' {{
  include base
  class {{ 'sentry::server':
    backend         => 'bugsink',
    url             => '{bugsink_url}',
    token           => Sensitive('{token}'),
    package_source  => '{repo}',
    venv            => "${{root}}/sentry-host/venv",
    config_dir      => "${{root}}/sentry-host/etc",
    definitions_dir => "${{root}}/sentry-host/etc/projects.d",
    dsn_dir         => "${{root}}/dsn",
    # No systemd here: the test runs what the timer would (the unit's ExecStart is
    # tests/integration/test_sync_timer_units.py's). The tool reads PuppetDB at the URL
    # puppetserver uses, with this agent's own certificate (a test ssldir: the module finds it).
    sync_timer      => false,
    vhost           => {{
      'path'                => "${{root}}/site/sentry.conf",
      'server_name'         => 'localhost',
      'listen'              => {https_port},
      'http_port'           => {http_port},
      'ssl_certificate'     => "${{root}}/site/server.pem",
      'ssl_certificate_key' => "${{root}}/site/server.key",
      'client_ca_file'      => "${{root}}/site/ca.pem",
      'client_crl_file'     => "${{root}}/site/crl.pem",
      'proxy'               => '{bugsink_url}',
    }},
  }}
}}
"""


class Stages:
    def __init__(self):
        self.times = []
        self.started = time.monotonic()

    def __call__(self, label, seconds):
        self.times.append((label, seconds))


def make_app(root, name, *files):
    for relative in files:
        path = os.path.join(root, name, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").close()


def agent_run(agent, stages, label, expected):
    code, output, seconds = agent.run()
    stages(label, seconds)
    assert code in expected, "%s: exit %d\n%s" % (label, code, output[-6000:])
    return output


def projects(server):
    return sorted(p["name"] for p in server.api("projects/"))


# The Sentry host's tool, as its timer runs it (sentry-puppet-sync.service's ExecStart).
TOOL_SYNC = ("{root}/sentry-host/venv/bin/sentry-puppet --config {root}/sentry-host/etc/config.yaml"
             " sync")


def definitions(root):
    """{app: exporting hosts}, as the Sentry host's tool reads them from PuppetDB now."""
    result = subprocess.run(
        TOOL_SYNC.format(root=root).split() + ["--dry-run", "--json"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
    assert result.returncode in (0, 2), result.stderr
    return {p["app"]: p["sources"] for p in json.loads(result.stdout)["projects"]}


def test_apps_get_projects_and_dsns_by_puppet_alone(stack, capsys):
    stages = Stages()
    for label, seconds in stack.timings.items():
        stages("stack: " + label, seconds)
    root = stack.root
    modules = os.path.join(stack.environment, "modules")
    os.symlink(str(REPO / "puppet-module"), os.path.join(modules, "sentry"))
    os.symlink(STDLIB, os.path.join(modules, "stdlib"))

    mark = time.monotonic()
    server = bugsink.Bugsink.setup(os.path.join(root, "bugsink")).start()
    stages("bugsink: migrate + start", time.monotonic() - mark)
    try:
        _round_trip(stack, server, stages, root)
    finally:
        server.stop()
        with capsys.disabled():
            print("\n== e2e stages (wall seconds) ==")
            for label, seconds in stages.times:
                print("  %-48s %6.1f" % (label, seconds))
            print("  %-48s %6.1f" % ("whole test", time.monotonic() - stages.started))
            for name, mib in stack.peak_memory().items():
                print("  peak RSS %-39s %6.0f MiB" % (name, mib or 0))


def _round_trip(stack, server, stages, root):
    https_port, http_port = free_port(), free_port()
    site = os.path.join(root, "site")
    os.makedirs(site)
    for source, name in ((stack.cert_file("puppet.localhost"), "server.pem"),
                         (stack.key_file("puppet.localhost"), "server.key"),
                         (stack.ca_file, "ca.pem"), (stack.crl_file, "crl.pem")):
        shutil.copy(source, os.path.join(site, name))
    give_to_run_user(site)
    write(os.path.join(stack.environment, "manifests", "site.pp"), SITE_PP.format(
        root=root, https_port=https_port, http_port=http_port, bugsink_url=server.url,
        token=server.token, repo=REPO))

    apps1 = os.path.join(root, "apps", "app01.example.com")
    make_app(apps1, "Foo-Bar", "Gemfile", "package.json")          # Rails with assets
    make_app(apps1, "billing", "manage.py", "requirements.txt")    # Django
    apps2 = os.path.join(root, "apps", "app02.example.com")
    make_app(apps2, "Foo-Bar", "Gemfile", "package.json")
    os.makedirs(os.path.join(root, "apps", "sentry.example.com"))   # runs no app (yet)

    def node(certname):
        facts_conf = os.path.join(root, "agents", certname, "facts.conf")
        return Agent(stack, certname, env={"SENTRY_PUPPET_FACTS_CONFIG": facts_conf})

    app01, app02, sentry_host = (node("app01.example.com"), node("app02.example.com"),
                                 node("sentry.example.com"))

    # 1. The app server: run 1 writes the facts' config (facts run before the catalog, so
    #    they cannot know the app root yet); run 2 finds the apps and exports them.
    agent_run(app01, stages, "app01 run 1 (writes facts.conf)", (0, 2))
    assert os.path.exists(os.path.join(root, "agents", "app01.example.com", "facts.conf"))
    out = agent_run(app01, stages, "app01 run 2 (exports 2 apps)", (0, 2))
    assert server.token not in out
    mark = time.monotonic()
    exported = stack.wait_for_exports("app01.example.com", 2)
    stages("puppetdb stores the exports", time.monotonic() - mark)
    assert sorted((r["title"], r["parameters"]["platform"]) for r in exported) == [
        ("Foo-Bar-app01.example.com", "ruby"), ("billing-app01.example.com", "python")]

    # 2. The Sentry host installs the tool, which reads the exports from PuppetDB itself
    #    (its catalog collects none), syncs, and renders the vhost.
    out = agent_run(sentry_host, stages, "sentry host run 1 (install, sync, vhost)", (2,))
    assert server.token not in out
    # Its base profile's sentry::client converged alongside sentry::server.
    assert os.path.exists(os.path.join(root, "agents", "sentry.example.com", "facts.conf"))
    assert not glob.glob(os.path.join(root, "sentry-host/etc/projects.d/*.yaml"))
    with open(os.path.join(root, "sentry-host/etc/config.yaml")) as handle:
        puppetdb = yaml.safe_load(handle)["puppetdb"]
    # puppetserver's own puppetdb.conf, and the agent's own certificate from its settings
    assert puppetdb["url"] == "https://localhost:%d" % stack.pdb_ssl_port
    assert puppetdb["cert_file"] == os.path.join(
        root, "agents", "sentry.example.com", "ssl", "certs", "sentry.example.com.pem")
    assert projects(server) == ["Foo-Bar", "billing"]
    dsns = {}
    for app in ("Foo-Bar", "billing"):
        with open(os.path.join(root, "dsn", app)) as handle:
            dsns[app] = handle.read().strip()
    assert os.path.exists(os.path.join(root, "site", "sentry.conf"))

    # Apache serves the rendered vhost with the puppetserver's real CA and CRL.
    mark = time.monotonic()
    apache = Apache(os.path.join(root, "apache"), os.path.join(site, "sentry.conf"),
                    ports=[https_port, http_port])
    apache.start()
    stages("apache start", time.monotonic() - mark)
    try:
        # 3. The app server fetches both DSNs with its own agent certificate.
        agent_run(app01, stages, "app01 run 3 (fetches DSNs, writes SENTRY_DSN)", (2,))
        for app in ("Foo-Bar", "billing"):
            with open(os.path.join(apps1, app, "sentry.env")) as handle:
                assert handle.read() == "SENTRY_DSN=%s\n" % dsns[app]

        # 4. A third run of each node changes nothing.
        agent_run(app01, stages, "app01 run 4 (no change)", (0,))
        agent_run(sentry_host, stages, "sentry host run 2 (no change)", (0,))

        # 5. An event sent to the Foo-Bar DSN is stored by Bugsink.
        mark = time.monotonic()
        subprocess.run([sys.executable, "-c", (
            "import sentry_sdk; sentry_sdk.init(%r); "
            "sentry_sdk.capture_message('hello from the e2e test'); sentry_sdk.flush(10)"
            % dsns["Foo-Bar"])], check=True, timeout=60)
        foo_bar = [p for p in server.api("projects/") if p["name"] == "Foo-Bar"][0]
        deadline = time.monotonic() + 30
        while server.api("projects/%s/" % foo_bar["id"])["digested_event_count"] < 1:
            assert time.monotonic() < deadline, "Bugsink stored no event for Foo-Bar"
            time.sleep(0.5)
        stages("event sent and stored", time.monotonic() - mark)

        # 6. A second app server exporting Foo-Bar too adds a definition, not a project.
        #    Foo-Bar's DSN is published already, so its run 2 gets it along with the export.
        agent_run(app02, stages, "app02 run 1 (writes facts.conf)", (0, 2))
        agent_run(app02, stages, "app02 run 2 (exports Foo-Bar, gets its DSN)", (2,))
        with open(os.path.join(apps2, "Foo-Bar", "sentry.env")) as handle:
            assert handle.read() == "SENTRY_DSN=%s\n" % dsns["Foo-Bar"]
        stack.wait_for_exports("app02.example.com", 1)
        assert definitions(root) == {"Foo-Bar": ["app01.example.com", "app02.example.com"],
                                     "billing": ["app01.example.com"]}
        agent_run(sentry_host, stages, "sentry host run 3 (app02's export: nothing to do)",
                  (0,))
        assert projects(server) == ["Foo-Bar", "billing"]
        agent_run(app02, stages, "app02 run 3 (no change)", (0,))

        # 7. An app deployed before app02's run N has its DSN after run N+1, with no Sentry
        #    host Puppet run between: only what its timer runs (`sentry-puppet sync`).
        make_app(apps2, "newapp", "go.mod")
        agent_run(app02, stages, "app02 run N (finds newapp, exports it, DSN 404)", (0, 2))
        stack.wait_for_exports("app02.example.com", 2)
        mark = time.monotonic()
        timer = subprocess.run(TOOL_SYNC.format(root=root).split(), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, universal_newlines=True, timeout=300)
        stages("what the Sentry host's timer runs (sync)", time.monotonic() - mark)
        assert timer.returncode == 0, timer.stdout
        assert projects(server) == ["Foo-Bar", "billing", "newapp"]
        time.sleep(1.5)   # negative_ttl (1 s here; 900 s against a 30 min run interval)
        agent_run(app02, stages, "app02 run N+1 (newapp's DSN)", (2,))
        with open(os.path.join(root, "dsn", "newapp")) as handle:
            newapp_dsn = handle.read().strip()
        with open(os.path.join(apps2, "newapp", "sentry.env")) as handle:
            assert handle.read() == "SENTRY_DSN=%s\n" % newapp_dsn

        # 8. A retired app server: its apps leave the definitions at once; projects stay.
        exports.deactivate(stack, "app02.example.com")
        exports.wait_for(lambda: not stack.exported("app02.example.com"),
                         "app02's exports gone from the active nodes' resources")
        assert definitions(root) == {"Foo-Bar": ["app01.example.com"],
                                     "billing": ["app01.example.com"]}
        assert projects(server) == ["Foo-Bar", "billing", "newapp"]
    finally:
        apache.stop()
