"""Platform names as people write them -> Sentry platform ids (unknown -> `other`)."""
import re

# Sentry's base platform ids; framework variants (`python-django`) extend them.
SENTRY_PLATFORMS = frozenset("""
    android apple bun c capacitor cocoa cordova dart deno dotnet electron elixir flutter go
    ionic java javascript kotlin minidump native node objc other perl php powershell python
    react-native ruby rust swift unity unreal
""".split())

# The facts emit the base ids; definitions written by hand (or the article's `Ruby`) may not.
ALIASES = {
    "nodejs": "node", "node.js": "node", "node-js": "node",
    "js": "javascript", "typescript": "javascript", "ts": "javascript",
    "golang": "go",
    "csharp": "dotnet", "c#": "dotnet", ".net": "dotnet", "net": "dotnet",
    "aspnet": "dotnet", "asp.net": "dotnet", "fsharp": "dotnet", "f#": "dotnet",
    "py": "python", "python2": "python", "python3": "python",
    "rb": "ruby", "rails": "ruby-rails",
    "rs": "rust",
    "php7": "php", "php8": "php",
    "scala": "java", "groovy": "java", "clojure": "java", "jvm": "java",
    "kt": "kotlin",
    "objective-c": "objc", "objectivec": "objc",
    "c++": "native", "cpp": "native",
    "ex": "elixir", "exs": "elixir",
    "django": "python-django", "flask": "python-flask",
}
_VARIANT = re.compile(r"^([a-z]+(?:-native)?)-[a-z0-9-]+$")


def normalize_platform(value):
    """Any spelling -> a Sentry platform id; None or empty -> `other`."""
    if value is None:
        return "other"
    name = str(value).strip().lower()
    name = ALIASES.get(name, name)
    if name in SENTRY_PLATFORMS:
        return name
    variant = _VARIANT.match(name)
    if variant and variant.group(1) in SENTRY_PLATFORMS:
        return name
    return "other"
