"""App servers' exports put straight into PuppetDB through its command API, as puppetserver
does after compiling their catalogs (`replace catalog`, wire format v9), and taken out with
`puppet node deactivate`, as an operator retires a host. Used by the e2e test of the PuppetDB
source and by bench/fleet-style measurements with thousands of synthetic app servers."""
import datetime
import json
import subprocess
import time
import urllib.parse
import urllib.request
import uuid

TYPE = "Sentry::Source::Project"


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def export(app, certname, environment="production", exported=True, **parameters):
    """One `@@sentry::source::project` as sentry::source::export declares it."""
    params = {"project": app, "platform": "python", "source": certname, "tag": environment}
    params.update(parameters)
    return {"type": TYPE, "title": "%s-%s" % (app, certname), "aliases": [],
            "exported": exported, "file": "/etc/puppet/code/modules/sentry/manifests/source/"
            "export.pp", "line": 31,
            "tags": ["sentry::source::project", "sentry", "source", "project", environment,
                     "sentry::source::export", "export", app.lower()],
            "parameters": {k: v for k, v in params.items() if v is not None}}


def catalog(certname, resources, environment="production"):
    return {"certname": certname, "version": str(int(time.time())), "environment": environment,
            "transaction_uuid": str(uuid.uuid4()), "catalog_uuid": str(uuid.uuid4()),
            "code_id": None, "job_id": None, "producer_timestamp": now(),
            "producer": "puppet.localhost", "edges": [], "resources": [
                {"type": "Class", "title": "main", "aliases": [], "exported": False,
                 "tags": ["class"], "parameters": {}, "file": None, "line": None}] + resources}


def replace_catalog(stack, certname, resources, environment="production"):
    """POST the command; PuppetDB stores it asynchronously (see wait_for)."""
    params = urllib.parse.urlencode({"command": "replace_catalog", "version": 9,
                                     "certname": certname, "producer-timestamp": now()})
    body = json.dumps(catalog(certname, resources, environment)).encode()
    request = urllib.request.Request(
        "http://127.0.0.1:%d/pdb/cmd/v1?%s" % (stack.pdb_port, params), data=body,
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def deactivate(stack, certname):
    """`puppet node deactivate` with the puppetserver's own config, as an operator runs it."""
    return subprocess.run(
        ["puppet", "node", "deactivate", certname, "--confdir", stack.server_conf,
         "--color=false"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
        timeout=120, check=True).stdout


def exported_count(stack, environment="production"):
    """Exported Sentry::Source::Project resources of active nodes, asked over plain HTTP."""
    query = ["extract", [["function", "count"]],
             ["and", ["=", "type", TYPE], ["=", "exported", True], ["=", "tag", environment]]]
    url = "http://127.0.0.1:%d/pdb/query/v4/resources?query=%s" % (
        stack.pdb_port, urllib.parse.quote(json.dumps(query)))
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.load(response)[0]["count"]


def wait_for(condition, what, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("PuppetDB did not get there within %d s: %s" % (timeout, what))
        time.sleep(0.5)
