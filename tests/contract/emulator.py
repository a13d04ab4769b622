"""Starts `telform emulator` as a real process on a free loopback port, for the contract suites.

Used by schemathesis_run.py and wxc_sdk_suite.py: both talk to the emulator over HTTP only.
"""

import os
import re
import subprocess
import tempfile
import time


class Emulator:
    """`with Emulator(telform, seed) as emu:` gives `emu.url` and `emu.env` (the TELFORM_* values
    of its env file). The process is stopped (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, telform, seed=None):
        self.telform = telform
        self.seed = seed
        self.dir = tempfile.TemporaryDirectory(prefix="telform-contract-")
        self.proc = None
        self.url = None
        self.env = {}

    def __enter__(self):
        env_file = os.path.join(self.dir.name, "emulator.env")
        args = [self.telform, "emulator", "--listen", "127.0.0.1:0", "--env-file", env_file]
        if self.seed:
            args += ["--seed", self.seed]
        self.log = open(os.path.join(self.dir.name, "emulator.log"), "w+")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            found = re.search(r"listening on (http://\S+)", line)
            if found:
                self.url = found.group(1)
                break
        if not self.url:
            self.__exit__(None, None, None)
            raise RuntimeError(f"telform emulator did not start (last output: {line!r})")
        with open(env_file) as f:
            for entry in f:
                found = re.match(r"^(\w+)='(.*)'$", entry.strip())
                if found:
                    self.env[found.group(1)] = found.group(2).replace("'\\''", "'")
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.dir.cleanup()
        return False

    def acg_token(self, session):
        """An ACG bearer token from the emulator's Entra ID token endpoint (client credentials)."""
        e = self.env
        r = session.post(
            e["TELFORM_ACG_TOKEN_URL"],
            data={
                "grant_type": "client_credentials",
                "client_id": e["TELFORM_ACG_CLIENT_ID"],
                "client_secret": e["TELFORM_ACG_CLIENT_SECRET"],
                "scope": e["TELFORM_ACG_SCOPE"],
            },
            timeout=10,
        )
        r.raise_for_status()
        return r.json()["access_token"]
