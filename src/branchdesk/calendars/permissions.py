"""Permissions of the business calendar."""

from __future__ import annotations

from branchdesk.access.registry import Scope, permission
from branchdesk.rbac.permissions import EVERYONE

CALENDAR_READ = permission(
    "calendar:read",
    "Read the holiday calendar and the branch's working days",
    "查看节假日与本网点工作日",
    baseline=EVERYONE,
)
CALENDAR_MANAGE = permission(
    "calendar:manage",
    "Publish the head-office holiday calendar",
    "发布总行节假日安排",
    scope=Scope.HEAD_OFFICE,
    baseline=["head_office_admin"],
)
BRANCH_CALENDAR_MANAGE = permission(
    "branch:manage_calendar", "Add and remove the branch's closures", "管理本网点停业安排", baseline=["branch_head"]
)
