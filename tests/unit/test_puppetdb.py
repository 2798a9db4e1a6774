"""The PuppetDB source: its query, its streamed parsing, the checks every resource goes
through, and its refusal to take "no answer" for "no definitions" (HTTP mocked here; the TLS
and fault tests against a real HTTPS server are in tests/integration/test_puppetdb_source.py,
the real PuppetDB in tests/e2e/test_puppetdb_source.py)."""
import json

import pytest
import requests

from sentry_puppet import puppet_agent
from sentry_puppet.config import ConfigError, PuppetDBSettings, load_config
from sentry_puppet.puppetdb import (PuppetDBError, iter_json_array, load_puppetdb_definitions,
                                    query)
from tests.support.fake_puppetdb import exported

SETTINGS = PuppetDBSettings(url="https://puppetdb.test:8081", environment="production",
                            ca_file="/ssl/ca.pem", cert_file="/ssl/sentry.pem",
                            key_file="/ssl/sentry.key")


def chunked(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)]


ELEMENTS = [{"certname": "app01", "title": "Café-app01", "parameters": {"project": "Café"}},
            {"certname": "app02", "title": "x-app02", "parameters": {"project": "x", "n": [1, {}]}},
            {"certname": "app03", "title": "y", "parameters": {"project": "a]b,c[\"d"}}]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 100000])
def test_a_streamed_array_gives_the_same_elements_whatever_the_chunk_boundaries(size):
    data = json.dumps(ELEMENTS, indent=1, ensure_ascii=False).encode("utf-8")
    assert list(iter_json_array(chunked(data, size))) == ELEMENTS


@pytest.mark.parametrize("text", [b"[]", b" [ ] ", b"[\n]\n"])
def test_an_empty_array_is_no_elements(text):
    assert list(iter_json_array([text])) == []


@pytest.mark.parametrize("text, said", [
    (b"", "empty"),
    (b'[{"a": 1}, {"b": 2}', "closing"),
    (b'[{"a": 1}, {"b":', "closing"),
    (b'[{"a": 1}', "closing"),
    (b"[", "closing"),
    (b'{"error": "x"}', "not a list"),
    (b'[{"a": 1}] [', "after the end"),
    (b'[{"a": 1} {"b": 2}]', "expected `,`"),
    (b"[\xff]", "utf-8"),
])
def test_a_cut_or_broken_answer_is_an_error_never_a_shorter_list(text, said):
    with pytest.raises(ValueError) as caught:
        for size in (1, len(text) or 1):
            list(iter_json_array(chunked(text, size)))
    assert said in str(caught.value).lower()


def test_the_query_asks_for_exported_tagged_resources_of_active_nodes_only():
    extract, fields, (conjunction, *clauses) = query("staging")
    assert (extract, fields, conjunction) == ("extract", ["certname", "title", "parameters"], "and")
    assert ["=", "type", "Sentry::Source::Project"] in clauses
    assert ["=", "exported", True] in clauses
    assert ["=", "tag", "staging"] in clauses
    [nodes] = [c for c in clauses if c[0] == "in"]
    assert nodes == ["in", "certname", ["extract", "certname", ["select_nodes", [
        "and", ["null?", "deactivated", True], ["null?", "expired", True]]]]]


class Answer:
    """What requests.Session.get gives back, streamed in small chunks."""

    def __init__(self, status=200, body=None, text=""):
        self.status_code = status
        self.reason = "Reason"
        self.text = text
        self._data = json.dumps(body).encode() if body is not None else text.encode()

    def iter_content(self, size):
        return chunked(self._data, 5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


@pytest.fixture
def puppetdb(mocker):
    """Set .answer (an Answer or an exception); .calls holds the requests made."""
    state = mocker.Mock(answer=Answer(body=[]), calls=[])

    def get(session, url, **kwargs):
        state.calls.append((url, kwargs))
        if isinstance(state.answer, Exception):
            raise state.answer
        return state.answer
    mocker.patch.object(requests.Session, "get", get)
    return state


def test_one_request_with_the_hosts_certificate_and_the_puppet_ca(puppetdb):
    load_puppetdb_definitions(SETTINGS, "apps", 10)
    [(url, kwargs)] = puppetdb.calls
    assert url == "https://puppetdb.test:8081/pdb/query/v4/resources"
    assert json.loads(kwargs["params"]["query"]) == query("production")
    assert kwargs["verify"] == "/ssl/ca.pem"
    assert kwargs["cert"] == ("/ssl/sentry.pem", "/ssl/sentry.key")
    assert kwargs["stream"] is True


def test_many_hosts_exporting_one_app_give_one_app_with_every_certname(puppetdb):
    puppetdb.answer = Answer(body=[
        exported("Foo-Bar", "app02.example.com", platform="Ruby"),
        exported("Foo-Bar", "app01.example.com", platform="ruby", team="payments"),
        exported("Foo-Bar", "app03.example.com", platform="ruby", team="payments"),
        exported("shop", "app01.example.com", platform="node"),
    ])
    defs = load_puppetdb_definitions(SETTINGS, "apps", 10)
    assert defs.problems == [] and defs.file_count == 4
    assert "PuppetDB https://puppetdb.test:8081" in defs.origin and "production" in defs.origin
    foo, shop = sorted(defs.apps, key=lambda a: a.name)
    assert (foo.name, foo.slug, foo.platform, foo.team) == ("Foo-Bar", "foo-bar", "ruby",
                                                             "payments")
    assert foo.sources == ("app01.example.com", "app02.example.com", "app03.example.com")
    assert (shop.platform, shop.team, shop.sources) == ("node", "apps", ("app01.example.com",))
    assert defs.warnings and "team" in defs.warnings[0]   # app02 named no team


def test_each_bad_resource_is_named_by_title_and_certname_and_the_others_survive(puppetdb):
    puppetdb.answer = Answer(body=[
        exported("good", "app01.example.com"),
        exported("a/b", "app02.example.com"),
        exported("ok2", "app03.example.com", team="Not A Slug"),
        exported("x", "app04.example.com", colour="blue"),
        {"certname": "app05.example.com", "title": "broken", "parameters": "nope"},
        exported("123", "app06.example.com"),
        exported("good", "app07.example.com", platform=["python"]),
    ])
    defs = load_puppetdb_definitions(SETTINGS, "apps", 10)
    assert [a.name for a in defs.apps] == ["good"]
    assert defs.apps[0].sources == ("app01.example.com",)
    said = "\n".join(defs.problems)
    for title, certname, reason in [
            ("a/b-app02.example.com", "app02.example.com", "path separator"),
            ("ok2-app03.example.com", "app03.example.com", "is not a slug"),
            ("x-app04.example.com", "app04.example.com", "unknown key 'colour'"),
            ("broken", "app05.example.com", "no parameters"),
            ("123-app06.example.com", "app06.example.com", "digits only"),
            ("good-app07.example.com", "app07.example.com", "platform ['python'] is not")]:
        assert ("Sentry::Source::Project[%s] exported by %s: " % (title, certname)) in said
        assert reason in said
    assert len(defs.problems) == 6


def test_the_old_modules_organization_and_path_are_accepted_and_ignored(puppetdb):
    puppetdb.answer = Answer(body=[exported("legacy", "old01.example.com", organization="acme",
                                            path="/srv/legacy", source="somewhere-else")])
    defs = load_puppetdb_definitions(SETTINGS, "apps", 10)
    assert defs.problems == []
    [app] = defs.apps
    assert (app.name, app.sources) == ("legacy", ("old01.example.com",))


@pytest.mark.parametrize("answer, said", [
    (requests.exceptions.ConnectionError("[Errno 111] Connection refused"),
     "PuppetDB: cannot connect (Connection refused)"),
    (requests.exceptions.ConnectTimeout("x"), "no connection within 10 s"),
    (requests.exceptions.SSLError("certificate verify failed: unable to get local issuer"),
     "TLS with PuppetDB failed (unable to get local issuer"),
    (requests.exceptions.SSLError("(Caused by SSLError(SSLEOFError(8, 'EOF occurred in violation "
                                  "of protocol (_ssl.c:2393)')))"),
     "(EOF occurred in violation of protocol); PuppetDB refused this host's certificate: "
     "puppetdb.cert_file /ssl/sentry.pem"),
    (Answer(403, text="Permission denied"), "answered 403 (Permission denied); PuppetDB refused "
     "this host's certificate /ssl/sentry.pem: add its certname to PuppetDB's "
     "certificate-allowlist"),
    (Answer(500, text="boom"), "answered 500 (boom); see PuppetDB's log"),
    (Answer(text='[{"certname": "a", "title": "b", "parameters": {"project": "a"}}'),
     "broke off or is not a JSON list of resources (the list ends before its closing `]`)"),
])
def test_no_usable_answer_is_an_error_naming_the_url_never_no_definitions(puppetdb, answer, said):
    puppetdb.answer = answer
    with pytest.raises(PuppetDBError) as caught:
        load_puppetdb_definitions(SETTINGS, "apps", 10)
    message = str(caught.value)
    assert message.startswith("https://puppetdb.test:8081/pdb/query/v4/resources: ")
    assert said in message
    assert "nothing was changed" in message


# -- config ---------------------------------------------------------------------------------

BASE = "backend: bugsink\nurl: http://127.0.0.1:8000\nteam: apps\n"


@pytest.fixture
def agent_ssl(tmp_path, monkeypatch):
    """A Puppet agent's ssldir and puppet.conf (certname sentry.example.com) at test paths."""
    ssldir = tmp_path / "ssl"
    (ssldir / "certs").mkdir(parents=True)
    (ssldir / "private_keys").mkdir()
    for path in ("certs/ca.pem", "certs/sentry.example.com.pem",
                 "private_keys/sentry.example.com.pem"):
        (ssldir / path).write_text("PEM\n")
    conf = tmp_path / "puppet.conf"
    conf.write_text("[main]\ncertname = Sentry.Example.COM  # upper case too\n")
    monkeypatch.setattr(puppet_agent, "SSLDIRS", (str(tmp_path / "none"), str(ssldir)))
    monkeypatch.setattr(puppet_agent, "PUPPET_CONFS", (str(conf),))
    return ssldir


def write_config(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(BASE + text)
    return str(path)


def test_puppetdb_needs_only_a_url_on_a_puppet_agent(tmp_path, agent_ssl):
    config = load_config(write_config(tmp_path, "puppetdb: {url: 'https://pdb:8081/'}\n"),
                         need_token=False)
    assert config.puppetdb == PuppetDBSettings(
        url="https://pdb:8081", environment="production",
        ca_file=str(agent_ssl / "certs/ca.pem"),
        cert_file=str(agent_ssl / "certs/sentry.example.com.pem"),
        key_file=str(agent_ssl / "private_keys/sentry.example.com.pem"))


def test_without_puppetdb_the_definitions_come_from_files(tmp_path):
    assert load_config(write_config(tmp_path, ""), need_token=False).puppetdb is None


@pytest.mark.parametrize("text, said", [
    ("puppetdb: {url: 'http://pdb:8080'}\n", "is not an https URL"),
    ("puppetdb: {}\n", "is not an https URL"),
    ("puppetdb: https://pdb:8081\n", "puppetdb must be a mapping"),
    ("puppetdb: {url: 'https://pdb:8081', tag: x}\n", "puppetdb: unknown key 'tag'"),
    ("puppetdb: {url: 'https://pdb:8081', ca_file: nope.pem}\n",
     "puppetdb.ca_file %s does not exist; set puppetdb.ca_file"),
    ("puppetdb: {url: 'https://pdb:8081', environment: ''}\n", "environment must be a non-empty"),
])
def test_bad_puppetdb_settings_are_refused_naming_the_key(tmp_path, agent_ssl, text, said):
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, need_token=False)
    assert str(caught.value).startswith(path)
    assert said.replace("%s", str(tmp_path / "nope.pem")) in str(caught.value)


def test_no_agent_ssldir_and_no_files_given_says_which_to_set(tmp_path, monkeypatch):
    monkeypatch.setattr(puppet_agent, "SSLDIRS", (str(tmp_path / "none"),))
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, "puppetdb: {url: 'https://pdb:8081'}\n"),
                    need_token=False)
    assert "no Puppet agent ssldir here" in str(caught.value)
    assert "set them" in str(caught.value)
