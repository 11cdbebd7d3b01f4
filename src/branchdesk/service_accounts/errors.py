"""Error codes of service accounts."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

SERVICE_ACCOUNT_NAME = ErrorCode(
    "SERVICE_ACCOUNT_NAME", "A service account name is 1 to 200 characters.", "服务账号名称须为 1 至 200 个字符。"
)

SERVICE_ACCOUNT_SLUG = ErrorCode(
    "SERVICE_ACCOUNT_SLUG",
    "The client name is 2 to 40 lowercase letters, digits or hyphens, starting with a letter.",
    "客户端名称须为 2 至 40 位小写字母、数字或连字符，并以字母开头。",
)

SERVICE_ACCOUNT_EXISTS = ErrorCode(
    "SERVICE_ACCOUNT_EXISTS",
    "The branch already has a service account {client_id}.",
    "本网点已有服务账号 {client_id}。",
)

SERVICE_ACCOUNT_NO_PERMISSIONS = ErrorCode(
    "SERVICE_ACCOUNT_NO_PERMISSIONS",
    "Give the service account at least one permission.",
    "须为服务账号指定至少一项权限。",
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
