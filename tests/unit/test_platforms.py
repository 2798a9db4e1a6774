import pytest

from sentry_puppet.platforms import normalize_platform


@pytest.mark.parametrize("given, expected", [
    ("Ruby", "ruby"), ("ruby", "ruby"), (" PYTHON ", "python"),
    ("nodejs", "node"), ("Node.js", "node"), ("golang", "go"), ("csharp", "dotnet"),
    ("C#", "dotnet"), (".NET", "dotnet"), ("python3", "python"), ("python-django", "python-django"),
    ("java", "java"), ("elixir", "elixir"), ("rust", "rust"), ("dart", "dart"), ("php", "php"),
    ("cobol", "other"), ("", "other"), (None, "other"), ("python django", "other"),
    ("nosuch-variant", "other"), ("react-native", "react-native"),
])
def test_platform_spellings_map_to_sentry_ids(given, expected):
    assert normalize_platform(given) == expected
