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
REVIEW_CLOSED = ErrorCode(
    "ACCESS_REVIEW_CLOSED", "The access review “{name}” is already closed.", "权限复核“{name}”已结束。"
)
REVIEW_PENDING = ErrorCode(
    "ACCESS_REVIEW_PENDING",
    "The access review cannot close: {pending} of {total} items are not decided yet.",
    "权限复核尚不能结束：{total} 项中还有 {pending} 项未复核。",
)
REVIEW_SELF = ErrorCode(
    "ACCESS_REVIEW_SELF_DECISION",
    "You cannot decide about your own access; another reviewer must.",
    "不能复核本人的权限，须由其他复核人处理。",
)
REVIEW_REVIEWER = ErrorCode(
    "ACCESS_REVIEW_REVIEWER", "Access reviews are decided by a member of staff.", "权限复核须由员工本人处理。"
)
REVIEW_DECISION = ErrorCode(
    "ACCESS_REVIEW_DECISION", "Decide CONFIRMED or REVOKED.", "复核结论须为“保留”或“撤销”。"
)
REVIEW_NAME = ErrorCode("ACCESS_REVIEW_NAME", "A review name is 1 to 200 characters.", "复核名称须为 1 至 200 个字符。")
REVIEW_NOTE = ErrorCode("ACCESS_REVIEW_NOTE", "A note is at most 500 characters.", "备注最多 500 个字符。")
SERVICE_ACCOUNT_NAME = ErrorCode(
    "SERVICE_ACCOUNT_NAME", "A service account name is 1 to 200 characters.", "服务账号名称须为 1 至 200 个字符。"
)
SERVICE_ACCOUNT_SLUG = ErrorCode(
    "SERVICE_ACCOUNT_SLUG",
    "The client name is 2 to 40 lowercase letters, digits or hyphens, starting with a letter.",
    "客户端名称须为 2 至 40 位小写字母、数字或连字符，并以字母开头。",
)
SERVICE_ACCOUNT_EXISTS = ErrorCode(
    "SERVICE_ACCOUNT_EXISTS", "The branch already has a service account {client_id}.", "本网点已有服务账号 {client_id}。"
)
SERVICE_ACCOUNT_NO_PERMISSIONS = ErrorCode(
    "SERVICE_ACCOUNT_NO_PERMISSIONS", "Give the service account at least one permission.", "须为服务账号指定至少一项权限。"
)
PERMISSION_NOT_HELD = ErrorCode(
    "PERMISSION_NOT_HELD",
    "You can only give a service account permissions you hold yourself ({permission}).",
    "只能授予服务账号您本人拥有的权限（{permission}）。",
)
SERVICE_ACCOUNT_INACTIVE = ErrorCode(
    "SERVICE_ACCOUNT_INACTIVE", "The service account {client_id} is deactivated.", "服务账号 {client_id} 已停用。"
)
SERVICE_ACCOUNT_MANAGER = ErrorCode(
    "SERVICE_ACCOUNT_MANAGED_BY_STAFF",
    "Service accounts are managed by members of staff, not by another service account.",
    "服务账号须由员工管理，不能由服务账号管理。",
)
