"""Where Debian's PostgreSQL server binaries are: looked up, never assumed."""
import glob
import os
import re

PG_BINS = "/usr/lib/postgresql/*/bin"  # Debian's layout, one directory per major release


def postgresql_bin(pattern=PG_BINS):
    """The newest installed PostgreSQL's bin directory (what Debian's `postgresql` package
    depends on: 15 on Debian 12, 17 on Debian 13)."""
    found = [path for path in glob.glob(pattern)
             if re.fullmatch(r"\d+", path.split("/")[-2]) and os.path.exists(path + "/initdb")]
    if not found:
        raise RuntimeError("no PostgreSQL server in %s (no initdb there): run "
                           "scripts/install-deps (as root)" % pattern)
    return max(found, key=lambda path: int(path.split("/")[-2]))
