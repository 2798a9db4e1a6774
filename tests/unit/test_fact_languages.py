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
    documented = [(cells[2].strip(), " ".join(m.strip(" `") for m in cells[3].split(",")))
                  for cells in rows]
    assert documented == fact.LANGUAGE_MARKERS
