"""config.d/*.yaml: defaults other Puppet classes (sentry::bugsink) contribute; config.yaml wins."""
import pytest
import yaml

from sentry_puppet.config import ConfigError, load_config

BASE = {"backend": "bugsink", "url": "https://sentry.example.com", "team": "apps"}
BUGSINK = {
    "token_file": "/etc/bugsink/token",
    "ca_file": None,   # set per test: it must exist
    "vhost": {
        "path": "/etc/apache2/sites-enabled/sentry_puppet.conf",
        "ssl_certificate": "/ssl/certs/host.pem",
        "ssl_certificate_key": "/ssl/private_keys/host.pem",
        "client_ca_file": "/ssl/certs/ca.pem",
        "client_crl_file": "/etc/bugsink/crl.pem",
        "wsgi": {"python_home": "/opt/bugsink/venv", "script": "/etc/bugsink/wsgi.py",
                 "python_path": "/etc/bugsink"},
    },
}


@pytest.fixture
def site(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("CA\n")

    def write(config, *fragments):
        (tmp_path / "config.d").mkdir(exist_ok=True)
        for name, fragment in fragments:
            (tmp_path / "config.d" / name).write_text(yaml.safe_dump(fragment))
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(config))
        return str(path)
    return write, str(ca)


def test_a_fragment_fills_what_config_yaml_leaves_out(site):
    write, ca = site
    path = write(dict(BASE, vhost={"server_name": "sentry.example.com", "listen": 8443}),
                 ("bugsink.yaml", dict(BUGSINK, ca_file=ca)))
    config = load_config(path, need_token=False)
    assert config.token_file == "/etc/bugsink/token" and config.ca_file == ca
    assert config.vhost == dict(BUGSINK["vhost"], server_name="sentry.example.com", listen=8443)


def test_given_values_win_key_by_key_down_to_wsgi(site, tmp_path):
    write, ca = site
    path = write(dict(BASE, token_file="mine", vhost={
        "server_name": "sentry.example.com", "ssl_certificate": "/etc/ssl/public.pem",
        "wsgi": {"processes": 4}}), ("bugsink.yaml", dict(BUGSINK, ca_file=ca)))
    config = load_config(path, need_token=False)
    assert config.token_file == str(tmp_path / "mine")
    assert config.vhost["ssl_certificate"] == "/etc/ssl/public.pem"
    assert config.vhost["ssl_certificate_key"] == "/ssl/private_keys/host.pem"
    assert config.vhost["wsgi"] == dict(BUGSINK["vhost"]["wsgi"], processes=4)


def test_no_vhost_in_config_yaml_means_none_rendered(site):
    write, ca = site
    config = load_config(write(BASE, ("bugsink.yaml", dict(BUGSINK, ca_file=ca))),
                         need_token=False)
    assert config.vhost is None


def test_proxy_in_config_yaml_keeps_the_fragments_wsgi_out(site):
    write, ca = site
    path = write(dict(BASE, vhost={"server_name": "s.example.com", "proxy": "http://127.0.0.1:9000"}),
                 ("bugsink.yaml", dict(BUGSINK, ca_file=ca)))
    vhost = load_config(path, need_token=False).vhost
    assert "wsgi" not in vhost and vhost["proxy"] == "http://127.0.0.1:9000"


def test_fragments_in_name_order_the_first_wins(site):
    write, ca = site
    path = write(BASE, ("10-a.yaml", {"timeout": 5}), ("20-b.yaml", {"timeout": 30}))
    assert load_config(path, need_token=False).timeout == 5


def test_an_unknown_key_in_a_fragment_names_the_fragment(site, tmp_path):
    write, _ = site
    path = write(BASE, ("bugsink.yaml", {"tokn_file": "/x"}))
    with pytest.raises(ConfigError, match=r"config\.d/bugsink\.yaml: unknown key 'tokn_file'"):
        load_config(path, need_token=False)


def test_a_broken_fragment_names_the_fragment(site, tmp_path):
    write, _ = site
    path = write(BASE)
    (tmp_path / "config.d" / "bugsink.yaml").write_text("vhost: [unclosed\n")
    with pytest.raises(ConfigError, match=r"config\.d/bugsink\.yaml: not valid YAML"):
        load_config(path, need_token=False)
