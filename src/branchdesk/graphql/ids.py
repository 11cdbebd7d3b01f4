"""Reading global ids that arguments carry, and the node ids relay hands to ``resolve_nodes``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import strawberry
from strawberry import relay

from branchdesk.platform.errors import NotFound


def node_uuid(global_id: strawberry.ID | str, type_name: str, error: NotFound) -> uuid.UUID:
    """The id inside a global id of ``type_name``; anything else is ``error`` (not found)."""
    try:
        gid = relay.GlobalID.from_id(str(global_id))
        if gid.type_name != type_name:
            raise ValueError(gid.type_name)
        return uuid.UUID(gid.node_id)
    except (ValueError, TypeError) as exc:
        raise error from exc


def staff_uuid(global_id: strawberry.ID | str, field: str = "staffId") -> uuid.UUID:
    return node_uuid(global_id, "StaffMember", NotFound("Staff member", "员工", field=field))


def node_uuids(node_ids: Iterable[str]) -> list[uuid.UUID | None]:
    """Node ids (already taken out of their global ids) as UUIDs; one that is not a UUID is None."""
    found: list[uuid.UUID | None] = []
    for node_id in node_ids:
        try:
            found.append(uuid.UUID(node_id))
        except ValueError:
            found.append(None)
    return found
