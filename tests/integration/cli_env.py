"""Run the installed `sentry-puppet` as a subprocess against a config in a tmp dir."""
import os
import subprocess
import sys

import yaml

CLI = os.path.join(os.path.dirname(os.path.abspath(sys.executable)), "sentry-puppet")


class CliEnv:
    def __init__(self, root, url, token, **overrides):
        self.root = root
        self.token = token
        self.defs = root / "defs"
        self.dsn_dir = root / "dsn"
        self.defs.mkdir(exist_ok=True)
        token_file = root / "token"
        token_file.write_text(token + "\n")
        token_file.chmod(0o600)
        self.config = root / "config.yaml"
        settings = {"backend": "bugsink", "url": url, "token_file": str(token_file),
                    "team": "apps", "definitions_dir": str(self.defs),
                    "dsn_dir": str(self.dsn_dir), "timeout": 5}
        settings.update(overrides)
        self.config.write_text(yaml.safe_dump(settings))

    def define(self, filename, text):
        path = self.defs / filename
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return path

    def start(self, *args):
        env = {k: v for k, v in os.environ.items() if k != "SENTRY_PUPPET_TOKEN"}
        return subprocess.Popen([CLI, "--config", str(self.config)] + list(args), env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(self, *args, timeout=120):
        proc = self.start(*args)
        out, err = proc.communicate(timeout=timeout)
        # The house rule every test checks: the token never reaches any output.
        assert self.token not in out and self.token not in err
        assert "Traceback" not in err, err
        return proc.returncode, out, err

    def dsn_files(self):
        if not self.dsn_dir.exists():
            return {}
        return {p.name: p.read_text() for p in self.dsn_dir.iterdir()}
