#!/usr/bin/env python3
"""Bootstrap for a machine with only python3 and pip.

    python3 dev.py start          start the service with demo data on embedded PostgreSQL and Redis
    python3 dev.py test [ARGS]    run the test suite (ARGS go to pytest)
    python3 dev.py run CMD ...    run a command in the project environment (e.g. branchdesk --help)

It installs uv with pip when missing, then lets uv create .venv from uv.lock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _uv() -> list[str]:
    if shutil.which("uv"):
        return ["uv"]
    probe = [sys.executable, "-m", "uv", "--version"]
    if subprocess.run(probe, capture_output=True).returncode == 0:
        return [sys.executable, "-m", "uv"]
    for extra in ([], ["--user"], ["--break-system-packages"]):
        install = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "uv", *extra]
        if subprocess.run(install).returncode == 0 and subprocess.run(probe, capture_output=True).returncode == 0:
            return [sys.executable, "-m", "uv"]
    sys.exit("could not install uv with pip; install it (https://docs.astral.sh/uv/) and try again")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"start", "test", "run"}:
        print(__doc__)
        return 2
    os.chdir(ROOT)
    uv = _uv()
    env = {**os.environ, "UV_PYTHON": os.environ.get("UV_PYTHON", sys.executable)}
    subprocess.run([*uv, "sync", "--frozen", "--quiet"], check=True, env=env)
    command, rest = argv[0], argv[1:]
    if command == "start":
        args = ["branchdesk", "serve", *rest]
    elif command == "test":
        args = ["pytest", *rest]
    else:
        args = rest
    return subprocess.run([*uv, "run", "--frozen", "--no-sync", *args], env=env).returncode


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
