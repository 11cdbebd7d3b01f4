"""Error codes of the policy domain."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

UNKNOWN_ROLE = ErrorCode("UNKNOWN_ROLE", "There is no role {role}.", "不存在角色 {role}。")

ROLE_NAME = ErrorCode(
    "INVALID_ROLE_NAME",
    "A role name is 2 to 50 lowercase letters, digits or underscores.",
    "角色名须为 2 至 50 位小写字母、数字或下划线。",
)
