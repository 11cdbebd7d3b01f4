"""Reading global ids that arguments carry."""

from __future__ import annotations

import uuid

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
