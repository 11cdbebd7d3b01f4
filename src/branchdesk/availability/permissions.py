"""Permissions of staff availability."""

from __future__ import annotations

from branchdesk.access.registry import permission
from branchdesk.rbac.permissions import BRANCH_ROLES, EVERYONE

AVAILABILITY_READ = permission(
    "availability:read",
    "See who in the branch is away and who covers",
    "查看本网点人员离岗与顶岗安排",
    baseline=EVERYONE,
)
AVAILABILITY_OWN = permission(
    "availability:record_own",
    "Record one's own absences and name a cover",
    "登记本人离岗并指定顶岗人",
    baseline=BRANCH_ROLES,
)
AVAILABILITY_MANAGE = permission(
    "availability:manage",
    "Record and cancel anyone's absences in the branch",
    "登记和撤销本网点任何人的离岗",
    baseline=["branch_head"],
)
