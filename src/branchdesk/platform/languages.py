"""The language of an answer, from the caller's ``Accept-Language``: the one parser that GraphQL, its
WebSocket operations and the file downloads share."""

from __future__ import annotations

import functools

DEFAULT = "en"
# Primary language subtag → the locale whose labels and messages we hold.
SUPPORTED = {"en": "en", "zh": "zh-CN"}
MAX_ENTRIES = 20  # a longer list is someone's mistake or mischief: the first entries decide


@functools.lru_cache(maxsize=256)  # browsers send a handful of distinct headers; parsed once each
def negotiate(accept_language: str | None) -> str:
    """The supported locale the caller prefers most (RFC 9110 §12.5.4 q-values; ties keep their order):
    ``en-US,zh-CN;q=0.9`` → ``en``, ``zh-CN;q=0.8,en;q=0.9`` → ``en``, ``zh`` → ``zh-CN``. ``*`` or
    nothing supported: English."""
    ranked: list[tuple[float, int, str]] = []
    for position, entry in enumerate((accept_language or "").split(",")[:MAX_ENTRIES]):
        tag, *params = (part.strip() for part in entry.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0  # a malformed weight counts for nothing
        primary = tag.split("-")[0].lower()
        locale = DEFAULT if primary == "*" else SUPPORTED.get(primary)
        if locale is not None and 0 < quality <= 1:
            ranked.append((-quality, position, locale))
    return min(ranked)[2] if ranked else DEFAULT
