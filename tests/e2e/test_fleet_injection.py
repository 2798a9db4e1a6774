"""bench/fleet.py's injection at tiny scale, on the real PuppetDB: synthetic app servers'
catalogs posted concurrently through the command API are stored as the exports
sentry::source::export makes (titles `<app>-<certname>`, tagged with the environment, every
third host sharing its apps), and a bigger fleet is the smaller one plus more hosts."""
from tests.e2e import exports, fleet

ENVIRONMENT = "fleetsmoke"   # its own tag: the other e2e tests count `production`'s exports


def test_injected_hosts_export_five_apps_each_sharing_them_by_threes(stack):
    fleet.inject(stack, 0, 4, ENVIRONMENT, workers=3)
    fleet.wait_stored(stack, 20, ENVIRONMENT, timeout=120)
    fleet.inject(stack, 4, 7, ENVIRONMENT, workers=3)
    fleet.wait_stored(stack, 35, ENVIRONMENT, timeout=120)
    assert exports.exported_count(stack, ENVIRONMENT) == 35

    resources = [r for h in range(7) for r in stack.exported(fleet.certname(h))]
    assert len(resources) == 35
    assert {r["type"] for r in resources} == {exports.TYPE}
    assert all(r["title"] == "%s-%s" % (r["parameters"]["project"], r["certname"])
               and ENVIRONMENT in r["tags"] and r["parameters"]["tag"] == ENVIRONMENT
               for r in resources)
    projects = {r["parameters"]["project"] for r in resources}
    assert len(projects) == fleet.distinct_apps(7) == 15
    assert {r["parameters"]["project"] for r in stack.exported("web00000.example.com")} == {
        r["parameters"]["project"] for r in stack.exported("web00002.example.com")} == {
        "shop00000", "billing00000", "search00000", "api00000", "worker00000"}
