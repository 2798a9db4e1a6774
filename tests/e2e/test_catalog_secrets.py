"""No secret in clear in a catalog or a report, on the real puppetserver + PuppetDB.

One node declares every class of the module (sentry::bugsink, sentry::server, sentry::client)
with every secret parameter set to a canary: the Bugsink admin password, a database_url whose
password holds `@` and whose query holds another password, the secret key, the API token. Two
such nodes, one for each kind of value `Sentry::Secret` takes:
- `sensitive`: the canaries as Sensitive values (Hiera `convert_to: Sensitive`);
- `deferred`: each `Deferred('sentry::secret_file', [PATH])`, PATH a 0600 file on the agent.
Each agent runs twice, changing nothing on this machine (no Bugsink, no Apache, no package):
- `--tags` naming no resource: the catalog is compiled, stored by PuppetDB and cached by the
  agent as in a real run (a `--noop` run caches no catalog), and nothing is applied;
- `--noop --debug`: every resource is evaluated and reported (to PuppetDB and the server's
  report store) with what it would change.
Then no canary may be anywhere: the agent's output, PuppetDB's stored catalog, the agent's
last_run_report.yaml, the reports PuppetDB stored (with their events and logs), the server's
stored reports; and in the agent's cached catalog (root's alone): for `deferred` nowhere, for
`sensitive` nowhere outside the parameters each resource lists in sensitive_parameters, which
Puppet itself keeps there in clear.
"""
import glob
import json
import os
import pathlib
import time
import urllib.parse
import urllib.request

import pytest
import yaml

from tests.e2e.stack import Agent, write

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
STDLIB = "/usr/share/puppet/modules/stdlib"

# Each secret its own canary, so a failure names what leaked.
CANARIES = {
    "admin_password": "CANARYadminpw7c1",
    "database_url password": "CANARYdbpw4e2",
    "database_url query password": "CANARYsslpw9d3",
    "secret_key": "CANARYsecretkey2b8",
    "token": "CANARYtoken5f6",
}

# A value in a parameter that is not Sensitive: it must be found where the canaries must not,
# so that each place searched is shown to hold the parameters (a check that cannot miss).
CONTROL = "CONTROLplainvalue3a1"

# The secrets the module takes, as Sentry::Secret values: Sensitive from Hiera, or Deferred.
SECRETS = ("sentry::bugsink::admin_password", "sentry::bugsink::database_url",
           "sentry::bugsink::secret_key", "sentry::server::token")


def site_pp(certname, deferred_dir=None):
    if deferred_dir is None:
        declared = "  include sentry::bugsink\n  include sentry::server\n"
    else:
        def parameters(klass):
            return "".join("    %s => Deferred('sentry::secret_file', ['%s']),\n" % (
                name.split("::")[-1], os.path.join(deferred_dir, name.split("::")[-1]))
                for name in SECRETS if name.startswith(klass + "::"))
        declared = "  class { 'sentry::bugsink':\n%s  }\n  class { 'sentry::server':\n%s  }\n" % (
            parameters("sentry::bugsink"), parameters("sentry::server"))
    return "node '%s' {\n%s  include sentry::client\n  notify { 'control': message => '%s' }\n}\n" % (
        certname, declared, CONTROL)


def secret_values():
    return {
        "sentry::bugsink::admin_password": CANARIES["admin_password"],
        "sentry::bugsink::database_url": "postgresql://bugsink:%s@x@127.0.0.1:5432/bugsink"
                                         "?sslpassword=%s" % (CANARIES["database_url password"],
                                                              CANARIES["database_url query "
                                                                       "password"]),
        "sentry::bugsink::secret_key": CANARIES["secret_key"],
        "sentry::server::token": CANARIES["token"],
    }


def node_data(root, agent_dir, app_root, certname, environment):
    base_url = "https://%s:8443" % certname
    return {
        "sentry::bugsink::version": "2.6.2",
        "sentry::bugsink::base_url": base_url,
        "sentry::bugsink::admin_email": "ops@example.com",
        "sentry::bugsink::worker": False,
        "sentry::bugsink::service_provider": "debian",
        "sentry::bugsink::venv": os.path.join(root, "bugsink", "venv"),
        "sentry::bugsink::conf_dir": os.path.join(root, "bugsink", "etc"),
        "sentry::bugsink::data_dir": os.path.join(root, "bugsink", "data"),
        "sentry::bugsink::site_file": os.path.join(root, "apache", "sentry.conf"),
        "sentry::server::environment": environment,
        "sentry::server::sync_timer": False,
        "sentry::server::backend": "bugsink",
        "sentry::server::url": base_url,
        "sentry::server::package_source": str(REPO),
        "sentry::server::venv": os.path.join(root, "tool-venv"),
        "sentry::server::config_dir": os.path.join(root, "tool"),
        "sentry::server::definitions_dir": os.path.join(root, "tool", "projects.d"),
        "sentry::server::dsn_dir": os.path.join(root, "dsn"),
        "sentry::server::vhost": {"server_name": certname, "listen": 8443,
                                  "path": os.path.join(root, "apache", "sentry.conf")},
        "sentry::client::environment": environment,
        "sentry::client::dsn_url": base_url + "/dsn/",
        "sentry::client::app_roots": [app_root],
        "sentry::client::config_file": os.path.join(agent_dir, "facts.conf"),
        "sentry::client::cache_dir": os.path.join(agent_dir, "cache"),
    }


def pdb_get(stack, path, **query):
    url = "http://127.0.0.1:%d%s" % (stack.pdb_port, path)
    if query:
        url += "?" + urllib.parse.urlencode(query)
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def pdb_wait(stack, certname, path, ready, timeout=60, **query):
    """PuppetDB stores commands asynchronously."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            text = pdb_get(stack, path, **query)
            if ready(text):
                return text
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("PuppetDB has no %s for %s within %d s" % (path, certname,
                                                                             timeout))
        time.sleep(0.5)


def leaks(text):
    return sorted(name for name, canary in CANARIES.items() if canary in text)


@pytest.mark.parametrize("kind", ["sensitive", "deferred"])
def test_no_secret_in_any_catalog_or_report(stack, kind):
    certname = "canary-%s.example.com" % kind
    environment_name = "canary_" + kind
    environment = os.path.join(stack.code, "environments", environment_name)
    root = os.path.join(stack.root, "canary-e2e-" + kind)
    agent_dir = os.path.join(stack.root, "agents", certname)
    app_root = os.path.join(root, "apps")
    write(os.path.join(app_root, "shop", "Gemfile"), "")
    os.makedirs(os.path.join(environment, "modules"))
    os.symlink(str(REPO / "puppet-module"), os.path.join(environment, "modules", "sentry"))
    os.symlink(STDLIB, os.path.join(environment, "modules", "stdlib"))
    write(os.path.join(environment, "hiera.yaml"), "---\nversion: 5\ndefaults:\n  datadir: data\n"
          "  data_hash: yaml_data\nhierarchy:\n  - name: node\n    path: node.yaml\n")
    data = node_data(root, agent_dir, app_root, certname, environment_name)
    if kind == "sensitive":
        write(os.path.join(environment, "manifests", "site.pp"), site_pp(certname))
        data.update(secret_values())
        data["lookup_options"] = {name: {"convert_to": "Sensitive"} for name in SECRETS}
    else:
        secrets_dir = os.path.join(agent_dir, "secrets")
        os.makedirs(secrets_dir, mode=0o700)
        for name, value in secret_values().items():
            path = os.path.join(secrets_dir, name.split("::")[-1])
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
                handle.write(value)
        write(os.path.join(environment, "manifests", "site.pp"), site_pp(certname, secrets_dir))
    write(os.path.join(environment, "data", "node.yaml"), yaml.safe_dump(data))

    agent = Agent(stack, certname, environment=environment_name,
                  env={"SENTRY_PUPPET_FACTS_CONFIG": os.path.join(agent_dir, "facts.conf")})
    conf = os.path.join(agent.conf, "puppet.conf")
    with open(conf, encoding="utf-8") as handle:
        text = handle.read().replace("report = false", "report = true")
    write(conf, text)
    vardir = os.path.join(agent.dir, "var")
    last_run = os.path.join(vardir, "state", "last_run_report.yaml")
    code, output, _ = agent.run("--tags", "no_resource_has_this_tag", "--debug")
    assert code in (0, 2), output
    assert leaks(output) == [], "the agent's --debug output"
    with open(last_run, encoding="utf-8") as handle:
        assert leaks(handle.read()) == [], "the agent's %s (the --tags run)" % last_run
    code, output, _ = agent.run("--noop", "--debug")
    assert code in (0, 2), output
    assert "bugsink admin user" in output and CONTROL in output  # every resource evaluated
    assert leaks(output) == [], "the agent's --noop --debug output"

    # PuppetDB's stored catalog: the real one (the password file is in it), no canary.
    catalog = pdb_wait(stack, certname, "/pdb/query/v4/catalogs/" + certname,
                       lambda text: "admin_password" in text)
    resources = json.loads(catalog)["resources"]["data"]
    titles = {(r["type"], r["title"]) for r in resources}
    assert ("Exec", "bugsink admin user") in titles and ("Exec", "bugsink migrate") in titles
    assert ("Class", "Sentry::Client") in titles and ("Class", "Sentry::Server") in titles
    assert CONTROL in catalog
    assert leaks(catalog) == [], "PuppetDB's stored catalog"

    # The agent caches the catalog as it received it, in a file only root reads. Sensitive
    # values: Puppet keeps those of the parameters a resource lists in sensitive_parameters
    # there in clear (it wraps them in Sensitive when it loads the catalog again); nowhere
    # else. Deferred values: the cache holds the unresolved call, so no secret at all.
    cached = os.path.join(vardir, "client_data", "catalog", certname + ".json")
    info = os.stat(cached)  # Puppet writes it 0660 root:root
    assert info.st_mode & 0o007 == 0 and info.st_uid == info.st_gid == 0, (
        "%s is readable by others" % cached)
    with open(cached, encoding="utf-8") as handle:
        cached_catalog = json.load(handle)
    outside, inside = [], []
    for resource in cached_catalog["resources"]:
        secret = set(resource.get("sensitive_parameters", []))
        parameters = resource.get("parameters", {})
        outside.append({k: v for k, v in parameters.items() if k not in secret})
        inside.append({k: v for k, v in parameters.items() if k in secret})
    titles = {(r["type"], r["title"]) for r in cached_catalog["resources"]}
    assert ("Exec", "bugsink admin user") in titles and CONTROL in json.dumps(outside)
    assert leaks(json.dumps(outside)) == [], "the agent's cached catalog %s" % cached
    if kind == "deferred":
        assert "Deferred" in json.dumps(cached_catalog)  # the calls, resolved on each run
        assert leaks(json.dumps(cached_catalog)) == [], "the agent's cached catalog %s" % cached
    print("\ncached catalog (%s): %s in sensitive_parameters" % (
        kind, ", ".join(leaks(json.dumps(inside))) or "no secret"))

    with open(last_run, encoding="utf-8") as handle:
        report = handle.read()
    assert "bugsink admin user" in report and CONTROL in report
    assert leaks(report) == [], "the agent's %s" % last_run

    query = json.dumps(["=", "certname", certname])
    reports = json.loads(pdb_wait(stack, certname, "/pdb/query/v4/reports",
                                  lambda text: len(json.loads(text)) == 2, query=query))
    # The reports with their logs and metrics, and every resource event (PuppetDB 7 answers
    # /reports/<hash>/events with a 500; the events endpoint holds the same).
    stored = json.dumps(reports) + pdb_get(stack, "/pdb/query/v4/events", query=query)
    assert "bugsink admin user" in stored and CONTROL in stored
    assert leaks(stored) == [], "the report PuppetDB stored"

    on_server = glob.glob(os.path.join(stack.root, "puppetserver", "var", "reports", certname,
                                       "*.yaml"))
    assert on_server, "the server stored no report (reports = store)"
    texts = []
    for path in on_server:
        with open(path, encoding="utf-8") as handle:
            texts.append(handle.read())
        assert leaks(texts[-1]) == [], "the server's report %s" % path
    assert any(CONTROL in text for text in texts)
