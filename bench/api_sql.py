"""What one request of each query sends to PostgreSQL, for ``bench/api.py``.

The service runs in-process (httpx's ASGI transport) on its own runtime, built from the same settings
as the server under load; SQLAlchemy events on both engines record each statement, BEGIN, COMMIT and
ROLLBACK, and a wrapper on the dialect counts pool pre-pings, which the events do not see (on asyncpg
a ping is three round trips: BEGIN, ``;``, ROLLBACK).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from api_servers import CLIENTS_SQL, STAFF_SQL
from sqlalchemy import event
from sqlalchemy.engine import Engine

from branchdesk.api import create_app
from branchdesk.runtime import Runtime, runtime
from branchdesk.platform.settings import Settings


def _raw(sql: str) -> dict[str, Any]:
    """A baseline's statements, by construction (api_servers.raw_app): asyncpg sends exactly these."""
    return {
        "count": 4,
        "pings": 0,
        "checkouts": 1,
        "cold_count": None,
        "statements": ["BEGIN", "select set_config('app.tenant_id', $1, true)", _one_line(sql), "COMMIT"],
    }


def _one_line(statement: str) -> str:
    return " ".join(statement.split())


RAW_STATEMENTS = {"raw": _raw(STAFF_SQL), "raw_clients": _raw(CLIENTS_SQL)}


class StatementLog:
    """Everything the application and platform engines send while the block runs."""

    def __init__(self, rt: Runtime) -> None:
        self.engines = {"app": rt.db.app_engine.sync_engine, "platform": rt.db.platform_engine.sync_engine}
        self.statements: list[str] = []
        self.pings = 0
        self.checkouts = 0
        self._listeners: list[tuple[Engine, str, Callable[..., Any]]] = []
        self._pings: list[tuple[Any, Any]] = []

    def _listen(self, engine: Engine, name: str, fn: Callable[..., Any]) -> None:
        event.listen(engine, name, fn)
        self._listeners.append((engine, name, fn))

    def __enter__(self) -> StatementLog:
        for label, engine in self.engines.items():

            def record(text: str, label: str = label) -> None:
                self.statements.append(f"[{label}] {text}")

            self._listen(engine, "before_cursor_execute", lambda c, cur, stmt, *_, r=record: r(_one_line(stmt)))
            self._listen(engine, "begin", lambda c, r=record: r("BEGIN"))
            self._listen(engine, "commit", lambda c, r=record: r("COMMIT"))
            self._listen(engine, "rollback", lambda c, r=record: r("ROLLBACK"))
            self._listen(engine, "checkout", self._checked_out)
            self._wrap_ping(engine.dialect)
        return self

    def _checked_out(self, *args: Any) -> None:
        self.checkouts += 1

    def _wrap_ping(self, dialect: Any) -> None:
        original = dialect.do_ping

        def counted(dbapi_connection: Any) -> bool:
            self.pings += 1
            return original(dbapi_connection)

        dialect.do_ping = counted
        self._pings.append((dialect, original))

    def __exit__(self, *exc: Any) -> None:
        for engine, name, fn in self._listeners:
            event.remove(engine, name, fn)
        for dialect, original in self._pings:
            dialect.do_ping = original

    def figures(self) -> dict[str, Any]:
        return {
            "count": len(self.statements),
            "pings": self.pings,
            "checkouts": self.checkouts,
            "statements": self.statements,
        }


async def capture_statements(settings: Settings, loads: list[Any]) -> dict[str, Any]:
    """Per query: the statements of a warm request (after one that loaded the branch policy and
    prepared the statements), and how many the first request sent."""
    captured = {}
    async with runtime(settings, run_migrations=False) as rt:
        app = create_app(settings, rt)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            for load in loads:
                with StatementLog(rt) as cold:
                    await client.post(load.path, json=load.body, headers=load.headers)
                with StatementLog(rt) as warm:
                    response = await client.post(load.path, json=load.body, headers=load.headers)
                if response.status_code != 200 or "errors" in response.json():
                    raise SystemExit(f"{load.name} failed in-process: {response.text[:500]}")
                captured[load.name] = warm.figures() | {"cold_count": len(cold.statements)}
    return captured
