"""Permissions of the inbox: everyone reads and manages their own notifications, nobody anyone else's."""

from __future__ import annotations

from branchdesk.access.registry import permission

# Every role there is (rbac.permissions.EVERYONE: this package sits beside rbac, not above it).
EVERYONE = (
    "branch_head",
    "customer_manager",
    "lobby_manager",
    "teller",
    "risk_officer",
    "compliance_officer",
    "it_support",
    "head_office_admin",
    "auditor",
)

NOTIFICATION_READ = permission(
    "notification:read",
    "Read one's own notifications and set how they arrive",
    "查看本人通知并设置接收方式",
    baseline=EVERYONE,
)
