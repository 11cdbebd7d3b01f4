"""Failure counters in Redis, keyed by what the caller typed, so known and unknown names behave alike."""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis


def _key(scope: str, subject: str) -> str:
    return f"throttle:{scope}:{hashlib.sha256(subject.strip().lower().encode()).hexdigest()}"


async def count_failure(redis: Redis, scope: str, subject: str, window_seconds: int) -> int:
    """Count one more failure for ``subject`` within the window; returns the count so far."""
    key = _key(scope, subject)
    async with redis.pipeline(transaction=True) as pipe:
        # The window starts at the first failure (SET NX), works on Redis 6 too (no EXPIRE NX).
        pipe.set(key, 0, ex=window_seconds, nx=True)
        pipe.incr(key)
        _, count = await pipe.execute()
    return int(count)


async def clear(redis: Redis, scope: str, subject: str) -> None:
    await redis.delete(_key(scope, subject))
