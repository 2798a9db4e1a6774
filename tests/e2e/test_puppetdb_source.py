"""The tool reads the app servers' exports from the REAL PuppetDB (7.12, of tests/e2e/stack.py)
over HTTPS with the Sentry host's own agent certificate: only exported
`Sentry::Source::Project` resources tagged with its environment, and a deactivated app
server's apps leave the definitions at once.

The exports are put in with PuppetDB's `replace catalog` command (what puppetserver sends
after compiling an app server's catalog); the retirement is a real `puppet node deactivate`.
"""
import json
import os

from tests.e2e import exports
from tests.e2e.stack import Agent, write
from tests.integration.cli_env import CliEnv
from tests.support.fake_sentry import FakeSentry

ENVIRONMENT = "pdbsource"   # a Puppet environment of its own: the round trip's site.pp stays
# The round trip's app servers export with tag `production` into the same PuppetDB: this test's
# exports carry a tag of their own, and its hosts names of their own.
TAG = "pdbsource"


def plan(env):
    code, out, err = env.run("sync", "--dry-run", "--json")
    assert code in (0, 2), err
    document = json.loads(out)
    return document, {p["app"]: p["sources"] for p in document["projects"]}


def test_the_tool_reads_active_nodes_exports_and_a_deactivated_hosts_apps_leave(stack, tmp_path):
    write(os.path.join(stack.code, "environments", ENVIRONMENT, "manifests", "site.pp"),
          "node default { }\n")
    sentry_host = Agent(stack, "sentry.example.com", environment=ENVIRONMENT)
    code, output, _ = sentry_host.run()   # its certificate: what the tool reads PuppetDB with
    assert code in (0, 2), output[-4000:]

    app01, app02, app03 = ("pdb-app01.example.com", "pdb-app02.example.com",
                           "pdb-app03.example.com")
    exports.replace_catalog(stack, app01, [
        exports.export("Foo-Bar", app01, environment=TAG, platform="ruby"),
        exports.export("shop", app01, environment=TAG, platform="node")])
    exports.replace_catalog(stack, app02, [
        exports.export("Foo-Bar", app02, environment=TAG, platform="ruby"),
        # covermymeds/sentry's export, still in PuppetDB: organization and path ride along.
        exports.export("legacy", app02, environment=TAG, platform="java", organization="acme",
                       path="/srv/legacy")])
    exports.replace_catalog(stack, app03, [
        exports.export("staging-only", app03, environment="staging"),
        exports.export("not-exported", app03, environment=TAG, exported=False)])
    for certname, count in ((app01, 2), (app02, 2), (app03, 1)):
        stack.wait_for_exports(certname, count)

    sentry = FakeSentry(projects=0, teams=("apps",)).start()
    try:
        env = CliEnv(tmp_path, sentry.url, sentry.token, backend="sentry",
                     organization=sentry.org, puppetdb={
                         "url": "https://localhost:%d" % stack.pdb_ssl_port,
                         "environment": TAG, "ca_file": sentry_host.ca_file,
                         "cert_file": sentry_host.cert_file, "key_file": sentry_host.key_file})

        document, apps = plan(env)
        assert apps == {"Foo-Bar": [app01, app02], "legacy": [app02], "shop": [app01]}
        assert document["definitions"]["count"] == 4 and document["problems"] == []
        assert "PuppetDB https://localhost:%d" % stack.pdb_ssl_port in (
            document["definitions"]["origin"])

        out = exports.deactivate(stack, app02)
        assert app02 in out
        exports.wait_for(lambda: not stack.exported(app02),
                         "app02's exports gone from the active nodes' resources")
        document, apps = plan(env)
        assert apps == {"Foo-Bar": [app01], "shop": [app01]}
        assert document["definitions"]["count"] == 2
        assert sentry.project_slugs() == []   # --dry-run throughout
    finally:
        sentry.stop()

    code, out, err = env.run("validate")
    assert code == 0, err
    assert "2 apps from 2 definitions in PuppetDB" in out
