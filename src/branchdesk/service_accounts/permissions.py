"""Permissions of service accounts."""

from __future__ import annotations

from branchdesk.access.registry import permission

SERVICE_ACCOUNT_MANAGE = permission(
    "service_account:manage",
    "Create, rotate and deactivate the branch's service accounts",
    "管理本网点服务账号",
    baseline=["branch_head"],
)
