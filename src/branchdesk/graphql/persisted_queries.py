"""Automatic persisted queries (APQ), as Apollo Client's persisted-query link speaks them.

A client first sends only ``extensions.persistedQuery {version: 1, sha256Hash}``. A hash we know runs
its query; one we do not is answered ``PersistedQueryNotFound`` (code ``PERSISTED_QUERY_NOT_FOUND``,
HTTP 200), and the client sends the query with its hash, which is checked and kept in Redis — shared by
every API process — for next time. A version we do not speak is answered ``PERSISTED_QUERY_NOT_SUPPORTED``,
which makes the client stop hashing and send whole queries.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from redis.asyncio import Redis

VERSION = 1
KEY = "branchdesk:apq:"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Refused(ValueError):
    """A persisted-query request that is malformed (400); the message can be shown to the caller."""


class Unsupported(Exception):
    """A persisted-query version other than ours: the client is told to send whole queries."""


def requested_hash(extensions: dict[str, Any] | None) -> str | None:
    """The hash a request names; ``None`` for an ordinary request."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != VERSION:
        raise Unsupported()
    sha = persisted.get("sha256Hash")
    if not isinstance(sha, str) or not _SHA256.match(sha):
        raise Refused("persistedQuery.sha256Hash must be 64 lower-case hex digits.")
    return sha


def check(sha: str, query: str) -> None:
    if hashlib.sha256(query.encode("utf-8")).hexdigest() != sha:
        raise Refused("The persisted query's sha256Hash does not match its query.")


async def look_up(redis: Redis, sha: str) -> str | None:
    found = await redis.get(KEY + sha)
    return found.decode("utf-8") if isinstance(found, bytes) else found


async def keep(redis: Redis, sha: str, query: str, ttl_seconds: int) -> None:
    await redis.set(KEY + sha, query.encode("utf-8"), ex=ttl_seconds)
