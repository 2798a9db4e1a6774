"""The command line on hostile input (issue 14): a token a header cannot carry, a DSN file
that is no DSN, a vhost serving /dsn/ without a CRL; one clear line each, no traceback."""
import json

import pytest

from sentry_puppet import cli
from tests.unit.test_vhost import DELETE, write_config

TOKEN = "feedfacefeedfacefeedfacefeedfacefeedface"


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.delenv("SENTRY_PUPPET_TOKEN", raising=False)
    (tmp_path / "token").write_text(TOKEN + "\n")
    (tmp_path / "token").chmod(0o600)
    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "shop.yaml").write_text("project: shop\n")
    config = tmp_path / "config.yaml"
    config.write_text("backend: bugsink\nurl: http://127.0.0.1:9\ntoken_file: token\n"
                      "team: apps\ndefinitions_dir: defs\ndsn_dir: dsn\n")
    monkeypatch.setenv("SENTRY_PUPPET_CONFIG", str(config))
    return tmp_path


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert TOKEN not in out + err and "SECOND" not in out + err
    return code, out, err


@pytest.mark.parametrize("argv", [["sync"], ["sync", "--json"], ["sync", "--check"],
                                  ["dsn", "shop"], ["validate"], ["validate", "--json"]])
def test_a_token_with_a_second_line_is_refused_before_anything_is_sent(site, capsys, argv):
    (site / "token").write_text(TOKEN + "\nSECONDLINE\n")
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert ("config.yaml: the API token in token_file %s holds more than one line"
            % (site / "token")) in err
    if "--json" in argv:
        document = json.loads(out)
        assert document.get("failed") is True or document["problems"]


def test_validate_counts_a_bad_token_as_a_problem_but_a_missing_one_as_a_warning(site, capsys):
    (site / "token").unlink()
    code, out, err = run(capsys, "validate")
    assert code == 0 and "warning: " in err and "does not exist" in err
    (site / "token").write_text(TOKEN + "\x1b[2J\n")
    code, out, err = run(capsys, "validate")
    assert code == 1 and "an HTTP header cannot carry" in err and "1 problem." in out


def test_dsn_refuses_a_dsn_file_that_holds_no_dsn(site, capsys):
    (site / "dsn").mkdir()
    (site / "dsn" / "shop").write_text("https://k@h/1\nSetEnv EVIL 1\n")
    code, out, err = run(capsys, "dsn", "shop")
    assert code == 1 and out == ""
    assert "holds a DSN that is not a DSN like https://key@host/1" in err
    assert "sync --refresh-dsn" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv", [["render-vhost", "--dry-run"], ["validate"]])
def test_a_vhost_without_a_crl_is_warned_about_naming_the_setting(tmp_path, monkeypatch,
                                                                  capsys, argv):
    monkeypatch.setenv("SENTRY_PUPPET_TOKEN", TOKEN)
    monkeypatch.setenv("SENTRY_PUPPET_CONFIG", write_config(tmp_path, client_crl_file=DELETE))
    code, out, err = run(capsys, *argv)
    assert ("warning: %s: vhost.client_crl_file is not set: /dsn/ checks no revocation list"
            % (tmp_path / "config.yaml")) in err
    assert "sentry::bugsink fills it in" in err


@pytest.mark.parametrize("argv", [["render-vhost", "--dry-run"], ["validate"]])
def test_a_vhost_with_a_crl_is_not_warned_about(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.setenv("SENTRY_PUPPET_TOKEN", TOKEN)
    monkeypatch.setenv("SENTRY_PUPPET_CONFIG", write_config(tmp_path))
    code, out, err = run(capsys, *argv)
    assert "client_crl_file" not in err


def test_render_vhost_json_carries_the_warning(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SENTRY_PUPPET_CONFIG", write_config(tmp_path, client_crl_file=DELETE))
    code, out, err = run(capsys, "render-vhost", "--dry-run", "--json")
    [warning] = json.loads(out)["warnings"]
    assert "vhost.client_crl_file is not set" in warning
