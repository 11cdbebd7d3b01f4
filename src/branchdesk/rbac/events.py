"""What the rbac domain announces to live subscribers (``platform/events.py``): every change to a
branch's policy or role assignments, once it has committed."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.platform.events import Event, publish_after_commit

POLICY_CHANGED = "policy.changed"
# What changed: a role's permission in the branch, a member's roles, the head-office baseline (every
# branch), a service account's grants.
KINDS = ("permission", "roles", "baseline", "service_account")


def policy_changed(
    session: AsyncSession, branch_id: uuid.UUID | None, kind: str, change_id: uuid.UUID | None = None
) -> None:
    """Announce after commit; ``branch_id`` None for the baseline; ``change_id`` the PolicyChange recorded."""
    assert kind in KINDS, kind
    data = {"kind": kind, "change": str(change_id) if change_id is not None else None}
    publish_after_commit(session, Event(POLICY_CHANGED, branch_id, data))
