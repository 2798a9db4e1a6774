"""config.d/*.yaml: defaults that other parts of the site contribute to config.yaml.

sentry::bugsink writes `config.d/bugsink.yaml` next to config.yaml: the token file it created,
the CA that signed its certificate, and the vhost's WSGI and TLS settings. The Puppet classes
stay independent of each other (no `defined()`, any declaration order); the operator's
config.yaml states only what differs, and what it states wins.

Merge rules, config.yaml first, then the fragments in name order:
- top-level keys: the first that gives a key wins;
- `vhost`: merged key by key, but only into a vhost that config.yaml has (no `vhost` in
  config.yaml: nothing is rendered, whatever the fragments hold);
- `vhost.wsgi`: merged key by key, and left out when config.yaml's vhost has `proxy`.
"""
import glob
import os

FRAGMENT_DIR = "config.d"


class FragmentError(ValueError):
    """A fragment names a key config.yaml does not know; the message names the file."""


def merge_fragments(path, raw, read_yaml, known):
    """config.yaml's mapping `raw` with the defaults of every config.d/*.yaml beside `path`.
    `read_yaml` reads one file into a mapping (raising with the file's name); `known` are the
    keys config.yaml may hold."""
    directory = os.path.join(os.path.dirname(os.path.abspath(path)), FRAGMENT_DIR)
    fragments = []
    for name in sorted(glob.glob(os.path.join(directory, "*.yaml"))):
        fragment = read_yaml(name)
        unknown = sorted(str(key) for key in fragment if key not in known)
        if unknown:
            raise FragmentError("%s: unknown key %r (known keys: %s); remove or correct it (the "
                                "file's writer, e.g. Puppet's sentry::bugsink, may be newer "
                                "than this tool)" % (name, unknown[0], ", ".join(known)))
        fragments.append(fragment)
    merged = dict(raw)
    for fragment in fragments:
        for key, value in fragment.items():
            if key == "vhost":
                continue
            merged.setdefault(key, value)
    if isinstance(raw.get("vhost"), dict):
        merged["vhost"] = _merge_vhost(raw["vhost"], [f.get("vhost") for f in fragments])
    return merged


def _merge_vhost(vhost, defaults):
    merged = dict(vhost)
    for default in defaults:
        if not isinstance(default, dict):
            continue
        for key, value in default.items():
            if key == "wsgi":
                continue
            merged.setdefault(key, value)
        wsgi = default.get("wsgi")
        if isinstance(wsgi, dict) and merged.get("proxy") is None:
            given = merged.get("wsgi")
            if given is None:
                merged["wsgi"] = dict(wsgi)
            elif isinstance(given, dict):
                merged["wsgi"] = dict(wsgi, **given)
    return merged
