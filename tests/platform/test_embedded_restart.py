"""A development server killed with SIGKILL leaves its embedded PostgreSQL running; the next start
adopts it and the next clean stop stops it (issue 15 item 6).

Real processes, not mocks: a child starts the embedded servers in a fresh data directory and is
killed with SIGKILL; a second child starts and stops them cleanly; no PostgreSQL may be left running
for that data directory. Every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

STEP_TIMEOUT = 180  # seconds: initdb on a busy two-core machine
CHILD = """
import sys, time
from pathlib import Path
from branchdesk.platform.embedded import EmbeddedServers

servers = EmbeddedServers(Path(sys.argv[1]))
servers.start_postgres()
servers.start_redis()
if sys.argv[2] == "crash":
    print("ready", flush=True)
    time.sleep(600)
else:
    servers.stop()
"""


def postgres_of(pgdata: Path) -> list[psutil.Process]:
    """PostgreSQL server processes whose command line names this data directory."""
    return [
        proc
        for proc in psutil.process_iter(["name", "cmdline"])
        if proc.info["name"] == "postgres" and str(pgdata) in " ".join(proc.info["cmdline"] or [])
    ]


def postmaster_pid(pgdata: Path) -> int | None:
    pid_file = pgdata / "postmaster.pid"
    return int(pid_file.read_text().split()[0]) if pid_file.exists() else None


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Not tmp_path: its root is private to root, and the embedded server runs as another user.
    path = Path(tempfile.mkdtemp(prefix="branchdesk-restart-")).resolve()
    yield path
    for proc in postgres_of(path / "postgres"):  # whatever a failing run left behind
        proc.kill()
    redis_pid_file = next(path.glob("*.pid"), None)
    if redis_pid_file is not None:
        psutil.Process(int(redis_pid_file.read_text())).kill()
    shutil.rmtree(path, ignore_errors=True)


def test_a_clean_stop_after_a_crash_stops_the_embedded_postgres(data_dir):
    pgdata = data_dir / "postgres"
    crashed = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data_dir), "crash"], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    watchdog = threading.Timer(STEP_TIMEOUT, crashed.kill)  # a hung start ends the read below
    watchdog.start()
    try:
        assert crashed.stdout is not None
        lines = iter(crashed.stdout.readline, "")  # log lines, then "ready"; ends if the child exits
        assert any(line.strip() == "ready" for line in lines), "the first start failed"
    finally:
        watchdog.cancel()
        os.kill(crashed.pid, signal.SIGKILL)
        crashed.wait(timeout=10)
    left = postmaster_pid(pgdata)
    assert left is not None and psutil.pid_exists(left), "the crashed process's server should still run"

    restart = subprocess.run(
        [sys.executable, "-c", CHILD, str(data_dir), "clean"], capture_output=True, text=True, timeout=STEP_TIMEOUT
    )

    assert restart.returncode == 0, restart.stderr
    deadline = time.monotonic() + 10
    while psutil.pid_exists(left) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not psutil.pid_exists(left)
    assert postgres_of(pgdata) == []
    assert postmaster_pid(pgdata) is None
