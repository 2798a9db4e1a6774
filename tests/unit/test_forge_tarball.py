"""scripts/forge-tarball: what it builds from the module passes its own Forge-style check, and
the check names each thing the Forge refuses or flags (metadata, members, stray files,
checksums, links). Pure files: tarballs built in a temp dir."""
import hashlib
import io
import json
import pathlib
import subprocess
import sys
import tarfile

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
SCRIPT = REPO / "scripts" / "forge-tarball"
METADATA = json.loads((REPO / "puppet-module" / "metadata.json").read_text())
FOLDER = "%s-%s" % (METADATA["name"], METADATA["version"])


def forge(*args):
    result = subprocess.run([sys.executable, str(SCRIPT)] + [str(a) for a in args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=60)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def built(tmp_path):
    wheel = tmp_path / ("sentry_puppet-%s-py3-none-any.whl" % METADATA["version"])
    wheel.write_bytes(b"a wheel")
    code, out = forge("build", REPO / "puppet-module", tmp_path, "--add", REPO / "CHANGELOG.md",
                      "--add", REPO / "LICENSE", "--add-to-files", wheel)
    assert code == 0, out
    return pathlib.Path(out.strip())


def members(tarball):
    with tarfile.open(str(tarball)) as archive:
        return {m.name[len(FOLDER) + 1:]: (m, archive.extractfile(m).read() if m.isfile() else None)
                for m in archive.getmembers()}


def test_the_built_module_is_clean_and_ships_only_the_module(built):
    assert built.name == FOLDER + ".tar.gz"
    assert forge("check", built) == (0, "forge-tarball: %s: clean\n" % built)
    shipped = members(built)
    assert {"metadata.json", "README.md", "REFERENCE.md", "CHANGELOG.md", "LICENSE",
            "checksums.json", "facts.d/sentry_apps.py", "manifests/server.pp",
            "files/sentry_puppet-%s-py3-none-any.whl" % METADATA["version"]} <= set(shipped)
    assert not [p for p in shipped if p.startswith("spec")]
    # pluginsync runs the fact: it stays executable; all else 0644/0755, root's.
    fact, _ = shipped["facts.d/sentry_apps.py"]
    assert fact.mode == 0o755 and shipped["manifests/server.pp"][0].mode == 0o644
    assert {(m.uid, m.gid) for m, _ in shipped.values()} == {(0, 0)}
    sums = json.loads(shipped["checksums.json"][1])
    assert sums["manifests/server.pp"] == hashlib.md5(
        (REPO / "puppet-module" / "manifests" / "server.pp").read_bytes()).hexdigest()


def test_same_input_same_tarball(tmp_path, monkeypatch):
    """With SOURCE_DATE_EPOCH (scripts/release sets it from the last commit) the build repeats."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    digests = []
    for n in (1, 2):
        out = tmp_path / str(n)
        out.mkdir()
        code, path = forge("build", REPO / "puppet-module", out)
        assert code == 0, path
        digests.append(hashlib.sha256(pathlib.Path(path.strip()).read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def rewrite(source, target, change):
    """A copy of SOURCE with CHANGE(files dict, extra TarInfos list) applied; checksums.json
    recomputed unless the change touched it."""
    files = {p: data for p, (m, data) in members(source).items() if m.isfile()}
    modes = {p: m.mode for p, (m, _) in members(source).items()}
    extra = []
    before = files.get("checksums.json")
    change(files, extra, modes)
    if files.get("checksums.json") == before:
        files["checksums.json"] = json.dumps({p: hashlib.md5(d).hexdigest() for p, d in files.items()
                                              if p != "checksums.json"}).encode()
    with tarfile.open(str(target), "w:gz") as archive:
        for path, data in sorted(files.items()):
            info = tarfile.TarInfo(FOLDER + "/" + path)
            info.size, info.mode = len(data), modes.get(path, 0o644)
            archive.addfile(info, io.BytesIO(data))
        for info in extra:
            archive.addfile(info)
    return target


def metadata_change(**fields):
    def change(files, extra, modes):
        metadata = json.loads(files["metadata.json"])
        for key, value in fields.items():
            if value is None:
                metadata.pop(key)
            else:
                metadata[key] = value
        files["metadata.json"] = json.dumps(metadata).encode()
    return change


def symlink(files, extra, modes):
    info = tarfile.TarInfo(FOLDER + "/manifests/link.pp")
    info.type, info.linkname = tarfile.SYMTYPE, "/etc/shadow"
    extra.append(info)


def add(path, mode=0o644):
    def change(files, extra, modes):
        files[path] = b"x"
        modes[path] = mode
    return change


def tamper(files, extra, modes):
    files["manifests/server.pp"] += b"# changed after checksums.json\n"
    files["checksums.json"] = files["checksums.json"] + b" "


def broken_link(files, extra, modes):
    files["README.md"] += b"\nSee [the tool](../docs/tool.md) and [ok](REFERENCE.md#sentryserver).\n"


CASES = [
    (metadata_change(author=None), "`author` is missing"),
    (metadata_change(name="Sentry_Puppet"), "name 'Sentry_Puppet' is not `owner-module`"),
    (metadata_change(version="1.0"), "version '1.0' is not semantic"),
    (metadata_change(dependencies=[{"name": "puppetlabs/stdlib", "version_requirement": ">= 8.5.0"}]),
     "'>= 8.5.0' has no upper bound"),
    (metadata_change(dependencies=[{"name": "puppetlabs/stdlib"}]), "no version_requirement"),
    (metadata_change(requirements=[{"name": "puppet", "version_requirement": "seven"}]),
     "'seven' is not a version range"),
    (symlink, "manifests/link.pp: not a regular file or directory (symlink)"),
    (add(".git/config"), ".git/config: a stray file (.git)"),
    (add("spec/fixtures/modules/x"), "a stray file (fixtures)"),
    (add("lib/__pycache__/x.pyc"), "a stray file (__pycache__)"),
    (add("manifests/world.pp", 0o666), "manifests/world.pp: mode 0666"),
    (add("manifests/setuid.pp", 0o4755), "manifests/setuid.pp: mode 4755"),
    (tamper, "checksums.json: manifests/server.pp does not match its checksum"),
    (broken_link, "README.md: link to ../docs/tool.md, which the tarball does not hold"),
]


@pytest.mark.parametrize("change, problem", CASES, ids=[p for _, p in CASES])
def test_check_names_what_the_forge_refuses(built, tmp_path, change, problem):
    (tmp_path / "bad").mkdir()
    bad = rewrite(built, tmp_path / "bad" / built.name, change)
    code, out = forge("check", bad)
    assert code == 1, out
    assert problem in out, out


def test_check_wants_one_top_folder_named_after_the_metadata(built, tmp_path):
    renamed = tmp_path / "sentrypuppet-sentry-9.9.9.tar.gz"
    renamed.write_bytes(built.read_bytes())
    code, out = forge("check", renamed)
    assert code == 1 and "the file name is not %s.tar.gz" % FOLDER in out, out
