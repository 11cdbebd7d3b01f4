"""Permissions of access reviews."""

from __future__ import annotations

from branchdesk.access.registry import permission

ACCESS_REVIEW_MANAGE = permission(
    "access_review:manage", "Run access reviews", "组织权限复核", baseline=["branch_head", "compliance_officer"]
)
