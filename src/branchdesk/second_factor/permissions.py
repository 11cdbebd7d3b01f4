"""Permissions of the second factor: which roles must use one (head office)."""

from __future__ import annotations

from branchdesk.access.registry import Scope, permission

SECOND_FACTOR_POLICY = permission(
    "second_factor.policy:manage",
    "Set which roles must use a second factor at sign-in",
    "设置哪些角色登录须使用双重验证",
    scope=Scope.HEAD_OFFICE,
    baseline=["head_office_admin"],
)
