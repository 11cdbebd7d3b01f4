"""Counters in Redis, keyed by what the caller typed (or where it calls from), so known and unknown
names behave alike and every API process sees the same counts.

Fixed windows: a counter starts with its window (``SET NX EX``, which Redis 6 has; ``EXPIRE NX`` it
has not) and counts until the window expires.
"""

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


async def attempt(redis: Redis, scope: str, subject: str, limit: int, window_seconds: int) -> int:
    """Count one attempt of ``subject``; 0 when it is within ``limit`` for the window, otherwise the
    seconds until the window ends (an HTTP ``Retry-After``)."""
    key = _key(scope, subject)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(key, 0, ex=window_seconds, nx=True)
        pipe.incr(key)
        pipe.ttl(key)
        _, count, ttl = await pipe.execute()
    return 0 if int(count) <= limit else max(int(ttl), 1)


async def spend(redis: Redis, scope: str, subject: str, cost: int, budget: int, window_seconds: int) -> int:
    """Spend ``cost`` of ``subject``'s budget for the window; 0 while within it, otherwise the seconds
    until the window ends (an HTTP ``Retry-After``)."""
    key = _key(scope, subject)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(key, 0, ex=window_seconds, nx=True)
        pipe.incrby(key, cost)
        pipe.ttl(key)
        _, spent, ttl = await pipe.execute()
    return 0 if int(spent) <= budget else max(int(ttl), 1)


# Only while the window lasts: a DECR on an expired key would create one that never expires.
_REFUND = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end return 0"


async def refund(redis: Redis, scope: str, subject: str) -> None:
    """Take back one attempt counted by :func:`attempt` (it succeeded: only failures should add up)."""
    await redis.eval(_REFUND, 1, _key(scope, subject))  # type: ignore[misc]
