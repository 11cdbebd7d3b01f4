"""What the request path works out once per statement object, kept only while that object lives.

Statements on hot paths are built once, so what is derived from one (a page's statement, how its SQL is
sent straight to the driver) is kept by the statement's identity. Statements built per request (a list
filtered by a search, a caller's data scope) are keyed the same way; kept with a strong reference, each
stayed until a size limit cleared the cache, and a full cache held hundreds of thousands of objects
(statements, their compiled forms and result metadata) that every full collection walked: a list built
per request paid ~100 ms pauses (bench/api.py, the clients list). Here an entry goes when its statement
does: the weak reference's callback runs before the object's memory (and so its id) can be reused.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class KeptWhileAlive(Generic[V]):
    """Values under keys whose first element is ``id(owner)``; each goes when its owner is collected (or,
    past ``limit`` values, when all are dropped at once)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.values: dict[tuple[Hashable, ...], V] = {}
        self._keys: dict[int, list[tuple[Hashable, ...]]] = {}  # by owner id: its keys
        self._owners: dict[int, weakref.ref[Any]] = {}  # by owner id: the reference that tells of its end

    def get(self, key: tuple[Hashable, ...]) -> V | None:
        return self.values.get(key)

    def __len__(self) -> int:
        return len(self.values)

    def put(self, owner: object, key: tuple[Hashable, ...], value: V) -> None:
        ident = id(owner)
        if key[0] != ident:
            raise ValueError("a key starts with its owner's id")
        if len(self.values) >= self.limit:
            self.clear()
        if ident not in self._owners:
            try:
                self._owners[ident] = weakref.ref(owner, self._forgetter(ident))
            except TypeError:  # an owner without weak references cannot say when it goes: nothing is kept
                return
        self.values[key] = value
        self._keys.setdefault(ident, []).append(key)

    def clear(self) -> None:
        self.values.clear()
        self._keys.clear()
        self._owners.clear()  # the references go too: their callbacks never run

    def _forgetter(self, ident: int) -> Any:
        def forget(_reference: object) -> None:
            self._owners.pop(ident, None)
            for key in self._keys.pop(ident, ()):
                self.values.pop(key, None)

        return forget
