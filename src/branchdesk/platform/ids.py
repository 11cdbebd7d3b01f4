"""Identifiers: UUIDv7, time-ordered so that new rows land at the end of the primary-key index."""

import uuid

import uuid_utils


def new_id() -> uuid.UUID:
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


def new_ids_for_copy(count: int) -> list[uuid_utils.UUID]:
    """``count`` new ids for a binary COPY, which writes any value with ``.bytes``: making a standard
    ``uuid.UUID`` of each would cost more than the rest of an imported row's id."""
    return [uuid_utils.uuid7() for _ in range(count)]
