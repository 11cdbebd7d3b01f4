"""Automatic persisted queries (APQ), as Apollo Client's persisted-query link speaks them, over HTTP and
over WebSocket (graphql-transport-ws ``subscribe`` messages carry the same ``extensions``).

A client first sends only ``extensions.persistedQuery {version: 1, sha256Hash}`` (over WebSocket, with
``query`` left out or empty: the protocol's field). A hash we know runs its query; one we do not is
answered ``PersistedQueryNotFound`` (code ``PERSISTED_QUERY_NOT_FOUND``; HTTP 200, or an ``error``
message for that operation id, the socket staying open), and the client sends the query with its hash,
which is checked and kept in Redis — shared by every API process and both transports — for next time,
once it has parsed and validated. A version we do not speak is answered ``PERSISTED_QUERY_NOT_SUPPORTED``,
which makes the client stop hashing and send whole queries.
"""

from __future__ import annotations

import hashlib
import re
from contextvars import ContextVar
from typing import Any

import structlog
from redis.asyncio import Redis

log = structlog.get_logger(__name__)

VERSION = 1
KEY = "branchdesk:apq:"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

# (hash, query) of an operation sent whole with its hash: kept once it reaches execution. Set by the
# transport around the operation (HTTP: the request's task; WebSocket: copied into the operation's task).
TO_KEEP: ContextVar[tuple[str, str] | None] = ContextVar("persisted_query_to_keep", default=None)


class Refused(ValueError):
    """A persisted-query request that is malformed: HTTP 400, or BAD_USER_INPUT over WebSocket."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.zh = zh


class Unsupported(Exception):
    """A persisted-query version other than ours: the client is told to send whole queries."""


def requested_hash(extensions: Any) -> str | None:
    """The hash a request names; ``None`` for an ordinary request."""
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != VERSION:
        raise Unsupported()
    sha = persisted.get("sha256Hash")
    if not isinstance(sha, str) or not _SHA256.match(sha):
        raise Refused(
            "persistedQuery.sha256Hash must be 64 lower-case hex digits.",
            "persistedQuery.sha256Hash 须为 64 位小写十六进制数字。",
        )
    return sha


def check(sha: str, query: str) -> None:
    if hashlib.sha256(query.encode("utf-8")).hexdigest() != sha:
        raise Refused(
            "The persisted query's sha256Hash does not match its query.",
            "persistedQuery.sha256Hash 与查询文本不符。",
        )


async def look_up(redis: Redis, sha: str) -> str | None:
    found = await redis.get(KEY + sha)
    return found.decode("utf-8") if isinstance(found, bytes) else found


async def keep(redis: Redis, sha: str, query: str, ttl_seconds: int) -> None:
    await redis.set(KEY + sha, query.encode("utf-8"), ex=ttl_seconds)


async def keep_pending(redis: Redis, ttl_seconds: int) -> None:
    """Keeps the query of :data:`TO_KEEP`, if any: called when an operation starts executing, where only
    a document that parsed and validated gets, on either transport, so nothing else is ever kept."""
    pending = TO_KEEP.get()
    if pending is None:
        return
    try:
        await keep(redis, *pending, ttl_seconds)
    except Exception:  # the operation still runs; the client sends the query again next time
        log.warning("a persisted query could not be kept", exc_info=True)
