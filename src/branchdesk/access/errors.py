"""Error codes of entering a branch."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

BRANCH_ACCESS = ErrorCode("BRANCH_ACCESS_DENIED", "You have no access to branch {code}.", "您无权进入网点 {code}。")
BRANCH_REQUIRED = ErrorCode(
    "BRANCH_REQUIRED",
    "Choose the branch to act in with the X-Branch header.",
    "请通过 X-Branch 请求头选择要操作的网点。",
)
BRANCH_SUSPENDED = ErrorCode(
    "BRANCH_SUSPENDED",
    "Branch {code} is {status}; its staff cannot act in it.",
    "网点 {code} 当前状态为“{status_zh}”，员工无法在此办理业务。",
)
UNKNOWN_PERMISSION = ErrorCode(
    "UNKNOWN_PERMISSION", "There is no permission {permission}.", "不存在权限 {permission}。"
)

OUT_OF_SCOPE = ErrorCode(
    "PERMISSION_OUT_OF_SCOPE",
    "{permission} is a head-office permission; a branch cannot grant it.",
    "{permission} 属于总行权限，网点不能授予。",
)
# The branch statuses as entering a branch reports them (the tenants domain owns the enum).
STATUS_ZH = {"active": "正常营业", "suspended": "暂停", "closed": "已关闭"}
