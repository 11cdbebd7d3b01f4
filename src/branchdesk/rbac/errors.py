"""Error codes of the policy domain."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

UNKNOWN_ROLE = ErrorCode("UNKNOWN_ROLE", "There is no role {role}.", "不存在角色 {role}。")

ROLE_NAME = ErrorCode(
    "INVALID_ROLE_NAME",
    "A role name is 2 to 50 lowercase letters, digits or underscores.",
    "角色名须为 2 至 50 位小写字母、数字或下划线。",
)

HEAD_OFFICE_ROLE = ErrorCode(
    "HEAD_OFFICE_ROLE_OUTSIDE_HEAD_OFFICE",
    "The role {role} can only be held in the head office.",
    "角色 {role} 只能在总行授予。",
)

NOT_DATA_SCOPED = ErrorCode(
    "PERMISSION_NOT_DATA_SCOPED",
    "The permission {permission} has no data scope: grant it without one.",
    "权限 {permission} 不区分数据范围，授予时无需指定。",
)
