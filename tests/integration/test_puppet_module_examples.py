"""Every example a reader may copy works: each `@example` of the module's manifests and
functions and each ```puppet block of README.md, puppet-module/README.md and docs/*.md is
applied with `puppet apply --noop` (the module, Debian's stdlib and puppetlabs-apache on the
modulepath); each Hiera block (```yaml with `sentry::` keys) names only parameters that exist
and, as the Hiera data of a node, compiles with the classes it configures; and every
`config.yaml` an example makes `sentry::server` write is one the tool accepts, vhost included.
A broken example fails here, naming its file and line."""
import base64
import json
import os
import pathlib
import re
import shutil
import subprocess
import textwrap

import pytest
import yaml

from sentry_puppet.config import ConfigError, load_config
from sentry_puppet.vhost import check_settings
from tests.support.puppet import STRICT, warnings, without_sandbox_noise
from tests.support.release import released_module

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
MODULE = REPO / "puppet-module"
DEBIAN_MODULES = pathlib.Path("/usr/share/puppet/modules")
# stdlib: the module's dependency; apache (+ its concat): the examples show puppetlabs-apache.
OTHER_MODULES = ("stdlib", "apache", "concat")
MARKDOWN = [REPO / "README.md", MODULE / "README.md"] + sorted((REPO / "docs").glob("*.md"))
# What the examples look up (`lookup('sentry::token')`), as a site's Hiera would hold it.
SITE_DATA = {"sentry::token": "example-api-token"}
# Appended to each example: the config.yaml sentry::server would write, for the tool to judge.
SHOW_CONFIG = """
if defined(Class['sentry::server']) {
  notice("sentry-puppet config: ${base64('encode', File[$sentry::server::config_file]['content'], 'strict')}")
}
if defined(Class['sentry::bugsink']) {
  $fragment = "${sentry::bugsink::tool_config_dir}/config.d/bugsink.yaml"
  notice("sentry-puppet fragment: ${base64('encode', File[$fragment]['content'], 'strict')}")
}
"""


class Example:
    def __init__(self, where, kind, text):
        self.where, self.kind, self.text = where, kind, text

    def __repr__(self):
        return self.where


def module_examples():
    found = []
    for path in sorted(MODULE.glob("manifests/**/*.pp")) + sorted(MODULE.glob("functions/**/*.pp")):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines, 1):
            if not re.match(r"#\s*@example\b", line):
                continue
            code = []
            for following in lines[number:]:
                if not following.startswith("#   "):
                    break
                code.append(following[4:])
            assert code, "%s:%d: an @example with no code under it" % (path, number)
            found.append(Example("%s:%d" % (path.relative_to(REPO), number), "puppet",
                                 "\n".join(code)))
    return found


def markdown_blocks():
    found = []
    for path in MARKDOWN:
        text = path.read_text()
        # Fences may be indented (a block inside a list item): the block is dedented.
        for match in re.finditer(r"^( *)```(\w*)\n(.*?)^\1```", text, re.S | re.M):
            line = text.count("\n", 0, match.start()) + 1
            where = "%s:%d" % (path.relative_to(REPO), line)
            body = textwrap.dedent(match.group(3))
            if match.group(2) == "puppet":
                found.append(Example(where, "puppet", body))
            elif match.group(2) in ("yaml", "yml") and re.search(r"^sentry::", body, re.M):
                found.append(Example(where, "hiera", body))
    return found


EXAMPLES = module_examples() + markdown_blocks()


def test_examples_are_found():
    """The extraction itself: the examples this module is known to have are all seen."""
    where = [e.where for e in EXAMPLES]
    assert sum(w.startswith("puppet-module/manifests/server.pp") for w in where) >= 1
    assert sum(w.startswith("puppet-module/manifests/client.pp") for w in where) >= 2
    assert sum(w.startswith("puppet-module/functions/dsn.pp") for w in where) == 1
    assert sum(w.startswith("puppet-module/README.md") for w in where) >= 5  # one in a list
    assert any(e.kind == "hiera" for e in EXAMPLES)


@pytest.fixture(scope="module")
def parameters(tmp_path_factory):
    """{class or define name: {parameter names}} from puppet-strings, as REFERENCE.md has them."""
    copy = tmp_path_factory.mktemp("strings") / "sentry"
    shutil.copytree(str(MODULE), str(copy), ignore=shutil.ignore_patterns("spec", ".yardoc"))
    subprocess.run([tool("puppet"), "strings", "generate", "--format", "json", "--out",
                    "strings.json", "manifests/**/*.pp"], cwd=str(copy), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    data = json.loads((copy / "strings.json").read_text())
    return {item["name"]: {tag["name"] for tag in item["docstring"]["tags"]
                           if tag["tag_name"] == "param"}
            for item in data["puppet_classes"] + data["defined_types"]}


def tool(name):
    path = shutil.which(name)
    assert path, "%s is not installed: run scripts/install-deps (as root)" % name
    return path


def hiera_keys_problems(where, data, parameters):
    problems = []
    for key in data:
        if not key.startswith("sentry::"):
            continue
        owner, _, parameter = key.rpartition("::")
        if owner not in parameters:
            problems.append("%s: %s: there is no class %s" % (where, key, owner))
        elif parameter not in parameters[owner]:
            problems.append("%s: %s: %s has no parameter %r (it has: %s)" % (
                where, key, owner, parameter, ", ".join(sorted(parameters[owner]))))
    return problems


def test_module_data_names_only_parameters_that_exist(parameters):
    data = yaml.safe_load((MODULE / "data" / "common.yaml").read_text())
    assert hiera_keys_problems("puppet-module/data/common.yaml", data, parameters) == []


def test_hiera_levels_exist():
    config = yaml.safe_load((MODULE / "hiera.yaml").read_text())
    datadir = MODULE / config["defaults"]["datadir"]
    for level in config["hierarchy"]:
        assert "%{" not in level["path"] or list(datadir.glob(
            re.sub(r"%\{[^}]*\}", "*", level["path"]))), (
            "hiera.yaml: level %r names %s, which matches no file" % (level["name"], level["path"]))
        assert "%{" in level["path"] or (datadir / level["path"]).is_file(), level


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    """The module as released (its tool's wheel in files/): the examples, like the README's
    Hiera, name no package_source."""
    return released_module(tmp_path_factory.mktemp("release"))


def apply_noop(tmp_path, module, code, data):
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "sentry").symlink_to(module)
    for name in OTHER_MODULES:
        assert (DEBIAN_MODULES / name).is_dir(), (
            "Debian's puppet-module-puppetlabs-%s is not installed: run scripts/install-deps "
            "(as root)" % name)
        (modules / name).symlink_to(DEBIAN_MODULES / name)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "example.yaml").write_text(yaml.safe_dump(data))
    (tmp_path / "data" / "site.yaml").write_text(yaml.safe_dump(SITE_DATA))
    (tmp_path / "hiera.yaml").write_text(yaml.safe_dump({
        "version": 5, "defaults": {"datadir": str(tmp_path / "data"), "data_hash": "yaml_data"},
        "hierarchy": [{"name": "example", "path": "example.yaml"},
                      {"name": "site", "path": "site.yaml"}]}))
    result = subprocess.run(
        [tool("puppet"), "apply", "--noop", "--detailed-exitcodes", "--color=false"] + STRICT + [
         "--modulepath", str(modules), "--hiera_config", str(tmp_path / "hiera.yaml"),
         "--confdir", str(tmp_path / "conf"), "--vardir", str(tmp_path / "var"),
         "-e", code + SHOW_CONFIG],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=300,
        # The examples are for a Sentry host under systemd, as a reader's is; the defaults'
        # compile-time failure elsewhere is test_puppet_module_checks.py's.
        env=dict(os.environ, HOME=str(tmp_path), FACTER_service_provider="systemd"))
    return result.returncode, without_sandbox_noise(result.stdout)


def check_server_config(tmp_path, where, output):
    """The config.yaml the example makes sentry::server write: the tool must accept it.
    -> how many there were."""
    configs = re.findall(r"sentry-puppet config: (\S+)", output)
    # sentry::bugsink's defaults, which the tool merges under config.yaml (config.d/).
    for encoded in re.findall(r"sentry-puppet fragment: (\S+)", output):
        fragment = yaml.safe_load(base64.b64decode(encoded))
        fragment["ca_file"] = str(tmp_path / "ca.pem")   # the agent's CA: not on this machine
        (tmp_path / "ca.pem").write_text("")
        (tmp_path / "config.d").mkdir(exist_ok=True)
        (tmp_path / "config.d" / "bugsink.yaml").write_text(yaml.safe_dump(fragment))
    for encoded in configs:
        raw = yaml.safe_load(base64.b64decode(encoded))
        if raw.get("ca_file"):
            # The example names the reader's Puppet CA; this machine need not have it.
            raw["ca_file"] = str(tmp_path / "ca.pem")
            (tmp_path / "ca.pem").write_text("")
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(raw))
        try:
            config = load_config(str(path), need_token=False)
            if config.vhost is not None:
                check_settings(config)
        except ConfigError as exc:
            pytest.fail("%s: the tool refuses the config.yaml it makes sentry::server write: %s"
                        % (where, exc))
    return len(configs)


@pytest.mark.parametrize("example", EXAMPLES, ids=repr)
def test_example_compiles(example, tmp_path, parameters, module):
    if example.kind == "hiera":
        data = yaml.safe_load(example.text)
        assert hiera_keys_problems(example.where, data, parameters) == []
        classes = sorted({k.rpartition("::")[0] for k in data if k.startswith("sentry::")})
        code = "\n".join("include %s" % c for c in classes)
    else:
        data, code = {}, example.text
    code_exit, output = apply_noop(tmp_path, module, code, data)
    assert code_exit in (0, 2), "%s does not compile:\n%s\n--- code ---\n%s" % (
        example.where, output[-4000:], code)
    # The module's own warnings are an example's point (covermymeds/sentry's parameters): others
    # (a deprecated stdlib function, Puppet's strict mode) fail it.
    assert warnings(output, module_own_too=False) == [], "%s warns" % example.where
    declares_server = re.search(r"class \{ 'sentry::server'|include sentry::server\b", code)
    assert check_server_config(tmp_path, example.where, output) == (1 if declares_server else 0)
