from branchdesk.platform.errors import ErrorCode

UNKNOWN_ROLE = ErrorCode("UNKNOWN_ROLE", "There is no role {role}.", "不存在角色 {role}。")
UNKNOWN_PERMISSION = ErrorCode("UNKNOWN_PERMISSION", "There is no permission {permission}.", "不存在权限 {permission}。")
OUT_OF_SCOPE = ErrorCode(
    "PERMISSION_OUT_OF_SCOPE",
    "{permission} is a head-office permission; a branch cannot grant it.",
    "{permission} 属于总行权限，网点不能授予。",
)
ROLE_NAME = ErrorCode(
    "INVALID_ROLE_NAME", "A role name is 2 to 50 lowercase letters, digits or underscores.", "角色名须为 2 至 50 位小写字母、数字或下划线。"
)
