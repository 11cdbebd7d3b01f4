#!/usr/bin/env python3
"""Bootstrap for a machine with only python3 and pip.

    python3 dev.py start          start the service with demo data on embedded PostgreSQL and Redis
    python3 dev.py test [ARGS]    the house-rule checks, then the test suite (ARGS go to pytest)
    python3 dev.py check          the house-rule checks alone: ruff, ruff format, mypy, import-linter
    python3 dev.py run CMD ...    run a command in the project environment (e.g. branchdesk --help)

It installs uv with pip when missing, then lets uv create .venv from uv.lock.

`test` runs the checks first and stops at the first that fails. A run that selects part of the suite
(-m, -k, --lf, --deselect or a test path: e.g. CI's second pass, `test -m external`) skips them: they
judge the code, not the servers, and already ran on the whole-suite pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent

CHECKS = [
    ("ruff check", ["ruff", "check", "."], "lint: `python3 dev.py run ruff check --fix .` fixes most"),
    ("ruff format", ["ruff", "format", "--check", "."], "formatting: `python3 dev.py run ruff format .`"),
    ("mypy", ["mypy"], "types in src/ (config: [tool.mypy] in pyproject.toml)"),
    ("import-linter", ["lint-imports", "--no-logo"], "layers and library boundaries ([tool.importlinter])"),
]
SELECTING = ("-m", "-k", "--lf", "--last-failed", "--deselect")


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


def _selects_part(pytest_args: list[str]) -> bool:
    return any(arg.startswith(SELECTING) or (ROOT / arg.split("::")[0]).exists() for arg in pytest_args)


def _check(run: list[str], env: dict[str, str]) -> int:
    for name, command, what in CHECKS:
        print(f"--- {name}", flush=True)
        if subprocess.run([*run, *command], env=env).returncode != 0:
            print(f"\n{name} failed ({what}); tests not run.", file=sys.stderr)
            return 1
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"start", "test", "check", "run"}:
        print(__doc__)
        return 2
    os.chdir(ROOT)
    uv = _uv()
    env = {**os.environ, "UV_PYTHON": os.environ.get("UV_PYTHON", sys.executable)}
    subprocess.run([*uv, "sync", "--frozen", "--quiet"], check=True, env=env)
    command, rest = argv[0], argv[1:]
    run = [*uv, "run", "--frozen", "--no-sync"]
    if command == "check" or (command == "test" and not _selects_part(rest)):
        failed = _check(run, env)
        if failed or command == "check":
            return failed
    if command == "start":
        # The demo signs in with passwords alone (README): second factors stay optional here unless the
        # environment says otherwise. Development only: production refuses to start with them off.
        env.setdefault("BRANCHDESK_SECOND_FACTOR_ENFORCED", "false")
        args = ["branchdesk", "serve", *rest]
    elif command == "test":
        args = ["pytest", *rest]
    else:
        args = rest
    return subprocess.run([*run, *args], env=env).returncode


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
