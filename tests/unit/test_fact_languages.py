"""Language detection on the top level of real deployments, checkouts and build output alike
(docs/facts.md shows the same table). A name ending in / is a directory."""
import os

import pytest

from tests.facts_support import REPO, load_fact_module

fact = load_fact_module()

LAYOUTS = [
    # .NET
    ("dotnet: slnx + browser tests", ["Shop.slnx", "package.json", "src/", "tests/", "README.md",
                                      "Directory.Build.props"], "dotnet", "Shop.slnx"),
    ("dotnet: slnx only", ["Shop.slnx", "package.json", "package-lock.json", "src/"],
     "dotnet", "Shop.slnx"),
    ("dotnet: sln", ["Shop.sln", "src/", "package.json"], "dotnet", "Shop.sln"),
    ("dotnet: one project", ["Shop.csproj", "Program.cs", "appsettings.json", "wwwroot/"],
     "dotnet", "Shop.csproj"),
    ("dotnet: F#", ["Shop.fsproj", "Program.fs"], "dotnet", "Shop.fsproj"),
    ("dotnet: global.json, solution below", ["global.json", "src/", "package.json"],
     "dotnet", "global.json"),
    ("dotnet: published", ["Shop.dll", "Shop.runtimeconfig.json", "Shop.deps.json", "Shop.pdb",
                           "web.config", "appsettings.json", "wwwroot/", "Shop",
                           "Microsoft.AspNetCore.Mvc.dll"], "dotnet", "Shop.runtimeconfig.json"),
    ("dotnet: published, single file", ["Shop", "Shop.pdb", "appsettings.json", "web.config"],
     "dotnet", "web.config"),
    # Java
    ("java: maven", ["pom.xml", "src/", "mvnw", "package.json"], "java", "pom.xml"),
    ("java: gradle kotlin", ["build.gradle.kts", "settings.gradle.kts", "gradlew", "src/"],
     "java", "build.gradle.kts"),
    ("java: gradle multi-project root", ["settings.gradle", "gradlew", "app/"],
     "java", "settings.gradle"),
    ("java: scala sbt", ["build.sbt", "project/", "src/"], "java", "build.sbt"),
    ("java: a war", ["shop.war"], "java", "shop.war"),
    ("java: a fat jar", ["shop-1.0.jar", "application.yml"], "java", "shop-1.0.jar"),
    ("java: exploded war", ["WEB-INF/", "META-INF/", "index.jsp"], "java", "WEB-INF"),
    ("java: exploded spring boot jar", ["BOOT-INF/", "META-INF/", "org/"], "java", "BOOT-INF"),
    ("java: gradle installDist", ["bin/shop", "lib/shop.jar", "lib/guava.jar"],
     "java", "lib/guava.jar"),
    # Go: a checkout tells; a built service is one static binary, which a listing cannot tell
    ("go: module", ["go.mod", "go.sum", "main.go", "web/package.json"], "go", "go.mod"),
    ("go: workspace", ["go.work", "svc/", "lib/"], "go", "go.work"),
    ("go: a lone binary", ["shop", "config.yaml"], "other", None),
    # Rust: the same
    ("rust: crate", ["Cargo.toml", "Cargo.lock", "src/", "target/"], "rust", "Cargo.toml"),
    ("rust: a lone binary", ["shop"], "other", None),
    # Python
    ("python: django", ["manage.py", "requirements.txt", "package.json", "shop/"],
     "python", "manage.py"),
    ("python: pyproject", ["pyproject.toml", "uv.lock", "src/"], "python", "pyproject.toml"),
    ("python: flask, requirements", ["requirements.txt", "app.py", "package.json"],
     "python", "requirements.txt"),
    ("python: a wsgi.py", ["wsgi.py", "static/"], "python", "wsgi.py"),
    ("python: deployed with its venv", ["venv/", "shop/", "gunicorn.conf.py"],
     "python", "venv"),
    ("python: the app dir is a venv", ["bin/", "lib/", "include/", "pyvenv.cfg"],
     "python", "pyvenv.cfg"),
    # Ruby
    ("ruby: rails", ["Gemfile", "Gemfile.lock", "config.ru", "package.json", "bin/"],
     "ruby", "Gemfile"),
    ("ruby: rack only", ["config.ru", "app.rb"], "ruby", "config.ru"),
    ("ruby: bundler gems.rb", ["gems.rb", "config.ru"], "ruby", "gems.rb"),
    # PHP
    ("php: laravel", ["artisan", "composer.json", "package.json", "public/"],
     "php", "composer.json"),
    ("php: wordpress", ["wp-config.php", "wp-login.php", "index.php", "wp-content/"],
     "php", "wp-config.php"),
    ("php: plain", ["index.php", "lib.php", "style.css"], "php", "index.php"),
    ("php: on IIS", ["index.php", "web.config"], "php", "index.php"),
    # Node
    ("node: package.json", ["package.json", "server.js"], "node", "package.json"),
    ("node: next.js checkout", ["next.config.mjs", "package.json", "app/"],
     "node", "next.config.mjs"),
    ("node: next.js standalone", [".next/", "node_modules/", "package.json", "server.js"],
     "node", ".next"),
    ("node: nuxt .output", ["nitro.json", "public/", "server/"], "node", "nitro.json"),
    ("node: only node_modules", ["node_modules/", "index.js"], "node", "node_modules"),
    ("node: dist with server.js", ["dist/server.js", "dist/chunk.js"], "node", "dist/server.js"),
    ("node: nest dist", ["dist/main.js"], "node", "dist/main.js"),
    # Elixir
    ("elixir: phoenix", ["mix.exs", "mix.lock", "assets/package.json"], "elixir", "mix.exs"),
    ("elixir: release", ["bin/", "erts-14.2.5/", "lib/", "releases/"], "elixir", "erts-14.2.5"),
    ("elixir: release without erts", ["bin/", "lib/", "releases/start_erl.data",
                                      "releases/COOKIE"], "elixir", "releases/start_erl.data"),
    # Dart
    ("dart: pubspec", ["pubspec.yaml", "bin/", "lib/"], "dart", "pubspec.yaml"),
    # nothing to tell
    ("other: static files", ["index.html", "css/"], "other", None),
    ("other: empty", [], "other", None),
]


def build(root, entries):
    root.mkdir()
    for entry in entries:
        target = root / entry
        if entry.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("")
    return root


@pytest.mark.parametrize("entries, lang, decided_by", [row[1:] for row in LAYOUTS],
                         ids=[row[0] for row in LAYOUTS])
def test_layout(tmp_path, entries, lang, decided_by):
    app = build(tmp_path / "app", entries)
    assert fact.detect_language(str(app)) == (
        lang, decided_by and os.path.join(str(app), decided_by))


def test_a_subdirectory_is_listed_only_when_nothing_above_decides(tmp_path, monkeypatch):
    listed = []
    real = os.listdir
    monkeypatch.setattr(fact.os, "listdir", lambda path: listed.append(path) or real(path))
    app = build(tmp_path / "app", ["Gemfile", "lib/tasks.jar"])
    assert fact.detect_language(str(app))[0] == "ruby"
    assert listed == [fact.os_path(str(app))]


def test_the_documented_table_is_the_facts_table():
    text = (REPO / "docs" / "facts.md").read_text("utf-8")
    rows = [line.split("|") for line in text.splitlines()
            if line.startswith("| ") and line.split("|")[1].strip().isdigit()]
    markers = [[m.strip() for m in cells[3].split(",")] for cells in rows]
    documented = [(cells[2].strip(), " ".join(m.replace(" (workspace)", "").strip("`")
                                              for m in row))
                  for cells, row in zip(rows, markers)]
    assert documented == fact.LANGUAGE_MARKERS
    workspaces = {m.replace(" (workspace)", "").strip("`") for row in markers for m in row
                  if m.endswith(" (workspace)")}
    assert workspaces == fact.WORKSPACE_MARKERS
    locks = {}
    for cells in rows:
        for pair in filter(None, (p.strip() for p in cells[4].split(";"))):
            manifest, lock = pair.split(" + ")
            locks[manifest.strip("`")] = " ".join(l.strip("`") for l in lock.split("/"))
    assert locks == fact.LOCK_FILES
    # every manifest with a lock is a marker of the table (else the rule would skip it)
    assert {manifest for manifest, _, _ in fact.LOCKED_MANIFESTS} == set(fact.LOCK_FILES)


# -- workspace files and lock files ----------------------------------------------------------
# A workspace file gathers projects (Gradle's settings.gradle, a .NET solution and its
# directory-wide settings, go.work) and does not say what this directory deploys; another
# language's manifest with the lock file its tool wrote beside it does. A Dart pub workspace
# (pubspec.yaml, pubspec.lock) that also holds a go.work is a Dart app.
WORKSPACES = [("java", "settings.gradle"), ("java", "settings.gradle.kts"),
              ("dotnet", "Shop.slnx"), ("dotnet", "Shop.sln"), ("dotnet", "global.json"),
              ("dotnet", "Directory.Build.props"), ("dotnet", "Directory.Packages.props"),
              ("go", "go.work")]
LOCKED = [("elixir", "mix.exs", "mix.lock"), ("ruby", "Gemfile", "Gemfile.lock"),
          ("ruby", "gems.rb", "gems.locked"), ("php", "composer.json", "composer.lock"),
          ("python", "pyproject.toml", "uv.lock"), ("python", "pyproject.toml", "poetry.lock"),
          ("python", "pyproject.toml", "pdm.lock"), ("python", "Pipfile", "Pipfile.lock"),
          ("java", "build.gradle", "gradle.lockfile"),
          ("java", "build.gradle.kts", "gradle.lockfile"),
          ("dotnet", "Shop.csproj", "packages.lock.json"),
          ("dotnet", "Shop.fsproj", "packages.lock.json"),
          ("dotnet", "Shop.vbproj", "packages.lock.json"),
          ("go", "go.mod", "go.sum"), ("rust", "Cargo.toml", "Cargo.lock"),
          ("dart", "pubspec.yaml", "pubspec.lock")]
PAIRS = [(workspace, manifest, lock, lang)
         for workspace_lang, workspace in WORKSPACES
         for lang, manifest, lock in LOCKED if lang != workspace_lang]


@pytest.mark.parametrize("workspace, manifest, lock, lang", PAIRS,
                         ids=["%s vs %s+%s" % pair[:3] for pair in PAIRS])
def test_a_workspace_file_yields_to_another_languages_manifest_and_lock(
        tmp_path, workspace, manifest, lock, lang):
    app = build(tmp_path / "app", [workspace, manifest, lock, "README.md", "lib/"])
    assert fact.detect_language(str(app)) == (lang, os.path.join(str(app), manifest))


def test_the_dart_pub_workspace_with_a_go_work_is_dart(tmp_path):
    app = build(tmp_path / "app", ["pubspec.yaml", "pubspec.lock", "go.work", "packages/",
                                   "analysis_options.yaml"])
    assert fact.detect_language(str(app)) == ("dart", os.path.join(str(app), "pubspec.yaml"))


@pytest.mark.parametrize("entries, lang, decided_by", [
    # without its lock file a manifest proves less (a Cargo.toml of a helper crate): the rank
    # decides as before
    (["go.work", "pubspec.yaml"], "go", "go.work"),
    (["Shop.sln", "Cargo.toml", "src/"], "dotnet", "Shop.sln"),
    (["settings.gradle", "go.mod"], "java", "settings.gradle"),
    # package.json and its lock are in every asset pipeline: no manifest for this rule
    (["settings.gradle", "package.json", "package-lock.json"], "java", "settings.gradle"),
    (["go.work", "package.json", "yarn.lock"], "go", "go.work"),
    # the workspace's own language with its lock: the table's order, as before
    (["go.work", "go.mod", "go.sum"], "go", "go.mod"),
    (["settings.gradle", "build.gradle", "gradle.lockfile"], "java", "build.gradle"),
    # two workspaces and one locked manifest: both workspaces yield to it
    (["Shop.sln", "go.work", "Cargo.toml", "Cargo.lock"], "rust", "Cargo.toml"),
    # a workspace of the locked manifest's language stays in the race
    (["Shop.sln", "go.work", "go.mod", "go.sum"], "go", "go.mod"),
], ids=["lockless manifest", "lockless crate", "go.mod without go.sum", "node asset pipeline",
        "yarn asset pipeline", "own language", "gradle locking", "two workspaces",
        "own workspace stays"])
def test_what_the_workspace_rule_leaves_alone(tmp_path, entries, lang, decided_by):
    app = build(tmp_path / "app", entries)
    assert fact.detect_language(str(app)) == (lang, os.path.join(str(app), decided_by))
