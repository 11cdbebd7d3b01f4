"""Identifiers: UUIDv7, time-ordered so that new rows land at the end of the primary-key index."""

import uuid

import uuid_utils


def new_id() -> uuid.UUID:
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)
