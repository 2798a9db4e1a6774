"""render-vhost without Apache: what the template holds, what is refused, when the file is
written, and the exit codes Puppet's exec reads. (tests/integration/test_vhost_apache.py
serves the same renderings from a real Apache.)"""
import os

import pytest
import yaml

from sentry_puppet import cli
from sentry_puppet.config import load_config
from sentry_puppet.vhost import VhostError, render, render_vhost


def write_config(tmp_path, **vhost_changes):
    """A config whose vhost names files that exist, in tmp_path/files."""
    files = tmp_path / "files"
    (files / "venv").mkdir(parents=True, exist_ok=True)
    for name in ("sentry.pem", "sentry.key", "ca.pem", "crl.pem", "wsgi.py"):
        (files / name).write_text("x\n")
    vhost = {
        "path": str(tmp_path / "sites" / "sentry.conf"),
        "server_name": "sentry.example.com",
        "ssl_certificate": str(files / "sentry.pem"),
        "ssl_certificate_key": str(files / "sentry.key"),
        "client_ca_file": str(files / "ca.pem"),
        "client_crl_file": str(files / "crl.pem"),
        "wsgi": {"python_home": str(files / "venv"), "script": str(files / "wsgi.py"),
                 "python_path": "/etc/bugsink"},
    }
    for key, value in vhost_changes.items():
        if value is DELETE:
            vhost.pop(key)
        else:
            vhost[key] = value
    (tmp_path / "sites").mkdir(exist_ok=True)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({
        "backend": "bugsink", "url": "https://sentry.example.com", "team": "apps",
        "dsn_dir": "/var/lib/sentry_puppet/dsn", "vhost": vhost}))
    return str(path)


DELETE = object()


def rendered(tmp_path, **changes):
    return render(load_config(write_config(tmp_path, **changes), need_token=False))


def test_wsgi_site_serves_the_app_in_daemon_mode_with_authorization_passed(tmp_path):
    text = rendered(tmp_path)
    files = tmp_path / "files"
    assert ("WSGIDaemonProcess sentry_puppet python-home=%s python-path=/etc/bugsink "
            "processes=2 threads=15" % (files / "venv")) in text
    assert "WSGIApplicationGroup %{GLOBAL}" in text
    assert "WSGIPassAuthorization On" in text
    assert 'WSGIScriptAlias / "%s"' % (files / "wsgi.py") in text
    assert "ProxyPass" not in text


def test_proxy_site_forwards_all_but_dsn(tmp_path):
    text = rendered(tmp_path, wsgi=DELETE, proxy="http://127.0.0.1:9000")
    assert text.index("ProxyPass /dsn/ !") < text.index("ProxyPass / http://127.0.0.1:9000/")
    assert "WSGI" not in text


def directives(text):
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def test_tls_12_and_up_and_dsn_only_for_verified_clients(tmp_path):
    text = directives(rendered(tmp_path))
    assert "SSLProtocol -all +TLSv1.2 +TLSv1.3" in text
    assert "SSLVerifyClient optional" in text
    assert "SSLVerifyClient require" not in text
    assert 'SSLCACertificateFile "%s"' % (tmp_path / "files" / "ca.pem") in text
    assert 'SSLCARevocationFile "%s"' % (tmp_path / "files" / "crl.pem") in text
    assert 'Alias /dsn/ "/var/lib/sentry_puppet/dsn/"' in text
    assert "Require expr \"%{SSL_CLIENT_VERIFY} == 'SUCCESS'\"" in text
    assert "ForceType text/plain" in text
    assert "Listen" not in text


def test_without_crl_no_revocation_check(tmp_path):
    text = rendered(tmp_path, client_crl_file=DELETE)
    assert "SSLCARevocation" not in text


def test_port_80_redirects_to_https_unless_disabled(tmp_path):
    text = rendered(tmp_path)
    assert "<VirtualHost *:80>" in text
    assert "Redirect permanent / https://sentry.example.com/" in text
    text = rendered(tmp_path, listen=8443, http_port=8080)
    assert "<VirtualHost *:8080>" in text and "<VirtualHost *:8443>" in text
    assert "Redirect permanent / https://sentry.example.com:8443/" in text
    assert "Redirect" not in rendered(tmp_path, http_port=None)


def test_relative_paths_are_taken_from_the_config_directory(tmp_path):
    text = rendered(tmp_path, ssl_certificate="certs/sentry.pem")
    assert 'SSLCertificateFile "%s"' % (tmp_path / "certs" / "sentry.pem") in text


@pytest.mark.parametrize("key, value", [
    ("server_name", "sentry.example.com\n  SSLVerifyClient none"),
    ("server_name", 'sentry"example'),
    ("server_name", "sentry.example.com>"),
    ("server_name", "not a host"),
    ("ssl_certificate", '/etc/ssl/x.pem"\nRequire all granted'),
    ("client_ca_file", "/etc/ssl/ca.pem\r"),
    ("client_crl_file", "/etc/</Directory>"),
    ("path", "/etc/apache2/${EVIL}"),
    ("proxy", "http://127.0.0.1:9000/\nProxyPass /dsn/ http://x/"),
])
def test_unsafe_value_is_refused_naming_the_key(tmp_path, key, value):
    changes = {key: value}
    if key == "proxy":
        changes["wsgi"] = DELETE
    with pytest.raises(VhostError) as caught:
        rendered(tmp_path, **changes)
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "config.yaml") + ": vhost.%s " % key)


def test_unsafe_wsgi_value_is_refused_naming_the_nested_key(tmp_path):
    with pytest.raises(VhostError, match=r"vhost\.wsgi\.python_home '/opt/venv\\n"):
        rendered(tmp_path, wsgi={"python_home": "/opt/venv\nWSGIRestrictEmbedded Off",
                                 "script": "/opt/wsgi.py"})


def test_unsafe_dsn_dir_is_refused(tmp_path):
    path = write_config(tmp_path)
    raw = yaml.safe_load(open(path))
    raw["dsn_dir"] = '/srv/dsn"'
    open(path, "w").write(yaml.safe_dump(raw))
    with pytest.raises(VhostError, match="dsn_dir"):
        render(load_config(path, need_token=False))


@pytest.mark.parametrize("changes, words", [
    ({"server_name": DELETE}, "vhost.server_name is missing"),
    ({"sever_name": "x"}, "unknown key vhost.sever_name"),
    ({"proxy": "http://127.0.0.1:9000"}, "exactly one of vhost.wsgi"),
    ({"wsgi": DELETE}, "exactly one of vhost.wsgi"),
    ({"listen": "443"}, "vhost.listen '443' must be a port number"),
    ({"listen": 70000}, "vhost.listen 70000 must be a port number"),
    ({"wsgi": {"python_home": "/v", "script": "/w.py", "threads": 0}}, "vhost.wsgi.threads 0"),
    ({"wsgi": {"script": "/w.py"}}, "vhost.wsgi.python_home is missing"),
    ({"proxy": "ftp://x", "wsgi": DELETE}, "is not a base URL"),
])
def test_bad_settings_are_named(tmp_path, changes, words):
    with pytest.raises(VhostError) as caught:
        rendered(tmp_path, **changes)
    assert words in str(caught.value)


def test_no_vhost_section_says_so(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("backend: bugsink\nurl: http://127.0.0.1:8000\nteam: apps\n")
    with pytest.raises(VhostError, match="key 'vhost' is missing"):
        render(load_config(str(path), need_token=False))


def test_written_once_then_left_alone(tmp_path):
    config = load_config(write_config(tmp_path), need_token=False)
    first = render_vhost(config)
    assert first.changed and first.written
    site = tmp_path / "sites" / "sentry.conf"
    assert oct(site.stat().st_mode & 0o777) == oct(0o644)
    before = site.stat()
    second = render_vhost(config)
    assert not second.changed and not second.written and second.diff == ""
    after = site.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_dry_run_shows_a_diff_and_writes_nothing(tmp_path):
    config = load_config(write_config(tmp_path), need_token=False)
    render_vhost(config)
    site = tmp_path / "sites" / "sentry.conf"
    old = site.read_text()
    changed = load_config(write_config(tmp_path, server_name="errors.example.com"),
                          need_token=False)
    result = render_vhost(changed, dry_run=True)
    assert result.changed and not result.written
    assert "-    ServerName sentry.example.com" in result.diff
    assert "+    ServerName errors.example.com" in result.diff
    assert site.read_text() == old
    assert [p.name for p in site.parent.iterdir()] == ["sentry.conf"]  # no temp file left


def test_missing_directory_is_named(tmp_path):
    config = load_config(write_config(tmp_path, path=str(tmp_path / "nope" / "s.conf")),
                         need_token=False)
    with pytest.raises(VhostError, match="directory .*nope does not exist"):
        render_vhost(config)


@pytest.mark.parametrize("key", ["ssl_certificate", "client_crl_file"])
def test_missing_certificate_file_is_named_and_nothing_written(tmp_path, key):
    config = load_config(write_config(tmp_path, **{key: str(tmp_path / "gone.pem")}),
                         need_token=False)
    with pytest.raises(VhostError, match=r"vhost\.%s .*gone\.pem does not exist" % key):
        render_vhost(config)
    assert not (tmp_path / "sites" / "sentry.conf").exists()
    assert render_vhost(config, dry_run=True).changed  # --check still says what would change


def test_missing_wsgi_script_is_named(tmp_path):
    config = load_config(write_config(tmp_path, wsgi={
        "python_home": str(tmp_path / "files" / "venv"), "script": "/nonexistent/wsgi.py"}),
        need_token=False)
    with pytest.raises(VhostError, match=r"vhost\.wsgi\.script /nonexistent/wsgi.py"):
        render_vhost(config)


# The command line, as Puppet's exec runs it.

def test_cli_exit_codes_follow_puppet(tmp_path, capsys):
    config = write_config(tmp_path)
    site = tmp_path / "sites" / "sentry.conf"
    assert cli.main(["--config", config, "render-vhost", "--check"]) == 2
    assert not site.exists()
    assert "would change" in capsys.readouterr().out
    assert cli.main(["--config", config, "render-vhost", "--detailed-exitcodes"]) == 2
    assert "ServerName sentry.example.com" in site.read_text()
    assert cli.main(["--config", config, "render-vhost", "--detailed-exitcodes"]) == 0
    assert cli.main(["--config", config, "render-vhost", "--check"]) == 0
    assert "up to date" in capsys.readouterr().out
    write_config(tmp_path, server_name="errors.example.com")
    assert cli.main(["--config", config, "render-vhost"]) == 0  # changed, not asked for 2
    assert "ServerName errors.example.com" in site.read_text()


def test_cli_json_document(tmp_path, capsys):
    import json
    config = write_config(tmp_path)
    assert cli.main(["--config", config, "render-vhost", "--dry-run", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["changed"] is True and document["written"] is False
    assert document["path"] == str(tmp_path / "sites" / "sentry.conf")


def test_cli_refuses_a_quote_naming_the_key_and_writes_nothing(tmp_path, capsys):
    config = write_config(tmp_path, server_name='x" example')
    assert cli.main(["--config", config, "render-vhost"]) == 1
    err = capsys.readouterr().err
    assert "vhost.server_name" in err and "Traceback" not in err
    assert not os.path.exists(tmp_path / "sites" / "sentry.conf")


def test_validate_reports_a_bad_vhost(tmp_path, capsys):
    config = write_config(tmp_path, listen="https")
    (tmp_path / "defs").mkdir()
    raw = yaml.safe_load(open(config))
    raw["definitions_dir"] = str(tmp_path / "defs")
    open(config, "w").write(yaml.safe_dump(raw))
    assert cli.main(["--config", config, "validate"]) == 1
    assert "vhost.listen 'https'" in capsys.readouterr().err
