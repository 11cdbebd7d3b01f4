"""Permissions of the tenants domain: branches and their staff."""

from __future__ import annotations

from branchdesk.access.registry import Scope, permission

_ALL = (
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
HO = Scope.HEAD_OFFICE

BRANCH_ONBOARD = permission("branch:onboard", "Onboard branches", "开设网点", scope=HO, baseline=["head_office_admin"])
BRANCH_SUSPEND = permission(
    "branch:suspend", "Suspend and reactivate branches", "暂停与恢复网点", scope=HO, baseline=["head_office_admin"]
)
BRANCH_LIST = permission(
    "branch:list", "List all branches", "查看全部网点", scope=HO, baseline=["head_office_admin", "auditor"]
)
BRANCH_READ = permission("branch:read", "Read the branch profile", "查看本网点信息", baseline=_ALL)
STAFF_READ = permission("staff:read", "Read staff of the branch", "查看本网点员工", baseline=_ALL)
STAFF_PII_READ = permission(
    "staff.pii:read",
    "See staff personal data unmasked",
    "查看员工敏感信息（不脱敏）",
    baseline=["branch_head", "compliance_officer"],
)
STAFF_MANAGE = permission(
    "staff:manage",
    "Manage staff: hire, move, deactivate, reset credentials",
    "员工管理",
    baseline=["branch_head", "head_office_admin"],
)
